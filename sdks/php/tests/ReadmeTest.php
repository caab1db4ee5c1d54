<?php

declare(strict_types=1);

namespace ProdVisual\Tests;

use ProdVisual\Tests\Harness\PhpServer;
use ProdVisual\Tests\Harness\Processes;

/**
 * The README's examples, run as written against the real server (test plan: DOC). Only the
 * placeholders change: the key, the server's address, and the example.com photos (the bench
 * photos served on loopback). They run from a scratch project whose vendor/autoload.php
 * registers composer.json's PSR-4 map, as `composer install` would.
 */
final class ReadmeTest extends TestCase
{
    private const DOCUMENT_EXAMPLE = <<<'PHP'
        <?php
        require 'vendor/autoload.php';

        $client = new \ProdVisual\Client('pv_live_a1b2c3d4...');

        $result = $client->generate([
            'image_url' => 'https://example.com/product.jpg',
            'style' => 'lifestyle',
            'platform' => 'amazon',
        ]);

        echo $result->output_url, "\n";  // https://cdn.prodvisual.com/output/...
        echo $result->credits_remaining, "\n";  // 49

        PHP;

    private const BASE_URL_OPTION = ", ['base_url' => 'http://127.0.0.1:8080']";

    private static ?string $project = null;

    /** @return list<string> the README's php blocks, in order */
    private static function examples(): array
    {
        preg_match_all('/```php\n(.*?)```/s', (string) file_get_contents(dirname(__DIR__) . '/README.md'), $matches);
        self::assertCount(4, $matches[1], 'php examples in the README');
        return $matches[1];
    }

    /** A scratch project: vendor/autoload.php made from composer.json's PSR-4 entries. */
    private static function project(): string
    {
        if (self::$project === null) {
            $package = dirname(__DIR__);
            $composer = json_decode((string) file_get_contents("$package/composer.json"), true, 512, JSON_THROW_ON_ERROR);
            $map = [];
            foreach ($composer['autoload']['psr-4'] as $prefix => $dir) {
                $map[$prefix] = "$package/" . rtrim($dir, '/') . '/';
            }
            $dir = Processes::tempDir('pv-sdk-php-readme-');
            mkdir("$dir/vendor");
            file_put_contents("$dir/vendor/autoload.php", '<?php
// Stands in for Composer\'s autoloader: composer.json\'s PSR-4 map, registered as `composer install` would.
spl_autoload_register(static function (string $class): void {
    foreach (' . var_export($map, true) . ' as $prefix => $dir) {
        if (strncmp($class, $prefix, strlen($prefix)) === 0) {
            $file = $dir . str_replace("\\\\", "/", substr($class, strlen($prefix))) . ".php";
            if (is_file($file)) {
                require $file;
            }
        }
    }
});
');
            self::$project = $dir;
        }
        return self::$project;
    }

    public static function tearDownAfterClass(): void
    {
        if (self::$project !== null) {
            Processes::removeTree(self::$project);
            self::$project = null;
        }
    }

    private function substitute(string $code): string
    {
        $code = str_replace(['pv_live_a1b2c3d4...', 'http://127.0.0.1:8080', 'https://example.com/product.jpg'], [$this->server->liveKey, $this->server->baseUrl, $this->sources->url(0)], $code);
        foreach ([1, 2, 3] as $n) {
            $code = str_replace("https://example.com/product$n.jpg", $this->sources->url($n), $code);
        }
        return $code;
    }

    /** @param array<string, string> $env */
    private function runExample(string $name, string $code, array $env = []): string
    {
        $dir = self::project();
        file_put_contents("$dir/$name.php", $code);
        [$status, $stdout, $stderr] = Processes::runPhp("$dir/$name.php", [], $env, $dir);
        self::assertSame(0, $status, "$name.php: $stdout\n$stderr");
        return $stdout;
    }

    /** @testdox DOC the README holds the document's example verbatim, but for base_url */
    public function testTheReadmeHasTheDocumentsExample(): void
    {
        $first = self::examples()[0];
        self::assertStringContainsString("new \\ProdVisual\\Client('pv_live_a1b2c3d4...'" . self::BASE_URL_OPTION . ');', $first);
        self::assertSame(self::DOCUMENT_EXAMPLE, str_replace(self::BASE_URL_OPTION, '', $first));
    }

    /** @testdox DOC the document's example runs */
    public function testTheDocumentsExampleRuns(): void
    {
        $output = explode("\n", $this->runExample('document', $this->substitute(self::examples()[0])));
        self::assertStringStartsWith($this->server->baseUrl . '/output/gen_', $output[0]);
        self::assertMatchesRegularExpression('/^\d+$/', $output[1]);
    }

    /** @testdox DOC the document's example runs with no base_url and PRODVISUAL_BASE_URL set */
    public function testTheDocumentsExampleRunsWithTheBaseUrlInTheEnvironment(): void
    {
        $output = $this->runExample('document_env', $this->substitute(self::DOCUMENT_EXAMPLE), ['PRODVISUAL_BASE_URL' => $this->server->baseUrl . '/v1']);
        self::assertStringStartsWith($this->server->baseUrl . '/output/gen_', $output);
    }

    /** @testdox DOC the batch example runs */
    public function testTheBatchExampleRuns(): void
    {
        $output = explode("\n", trim($this->runExample('batch', $this->substitute(self::examples()[1]))));
        self::assertCount(4, $output);
        self::assertMatchesRegularExpression('/^batch_\S+ (pending|processing) 3 \d+$/', $output[0]);
        foreach (array_slice($output, 1) as $line) {
            self::assertMatchesRegularExpression('#^gen_\S+ completed ' . preg_quote($this->server->baseUrl, '#') . '/output/#', $line);
        }
    }

    /** @testdox DOC the error example runs */
    public function testTheErrorExampleRuns(): void
    {
        self::assertStringStartsWith('invalid_request 400 ', $this->runExample('errors', $this->substitute(self::examples()[2])));
    }

    /** @testdox DOC the webhook example verifies a real delivery, called as a function and as a plain PHP endpoint */
    public function testTheWebhookExampleVerifiesARealDelivery(): void
    {
        $pending = $this->client->generate($this->sources->item(0, ['webhook_url' => $this->receiver->url]));
        $delivery = $this->receiver->waitFor('generation.completed', $pending->id);
        $dir = self::project();
        file_put_contents("$dir/body", $delivery->body);
        file_put_contents("$dir/headers.json", json_encode($delivery->headers));
        $example = $this->substitute(self::examples()[3]);
        $call = <<<'PHP'

            $raw = file_get_contents(__DIR__ . '/body');
            $headers = json_decode(file_get_contents(__DIR__ . '/headers.json'), true);
            handleWebhook($raw, $headers);
            try {
                handleWebhook($raw . ' ', $headers);
            } catch (\RuntimeException $error) {
                echo "tampered body refused\n";
            }

            PHP;
        $expected = "generation.completed {$delivery->header('X-ProdVisual-Event-Id')} {$pending->id}\n";
        self::assertSame($expected . "tampered body refused\n", $this->runExample('webhook', $example . $call));

        // The endpoint the README's last line describes, under `php -S` set up as in production
        // (errors logged, not displayed, so that an uncaught exception answers 500).
        file_put_contents("$dir/endpoint.php", $example . "\nhandleWebhook(file_get_contents('php://input'), getallheaders());\n");
        $endpoint = new PhpServer("$dir/endpoint.php", [], "$dir/endpoint.log", ['display_errors' => '0', 'log_errors' => '1']);
        try {
            $forward = function (string $body) use ($endpoint, $delivery): array {
                $headers = [];
                foreach ($delivery->headers as $name => $value) {
                    if (stripos($name, 'x-prodvisual-') === 0 || strcasecmp($name, 'content-type') === 0) {
                        $headers[] = "$name: $value";
                    }
                }
                $handle = curl_init($endpoint->baseUrl . '/');
                curl_setopt_array($handle, [CURLOPT_POST => true, CURLOPT_POSTFIELDS => $body, CURLOPT_HTTPHEADER => $headers, CURLOPT_RETURNTRANSFER => true, CURLOPT_TIMEOUT => 30]);
                $answer = (string) curl_exec($handle);
                $status = curl_getinfo($handle, CURLINFO_RESPONSE_CODE);
                curl_close($handle);
                return [$status, $answer];
            };
            self::assertSame([200, $expected], $forward($delivery->body));
            self::assertSame(500, $forward($delivery->body . ' ')[0]); // the RuntimeException
        } finally {
            $endpoint->stop();
        }
    }
}
