<?php

declare(strict_types=1);

namespace ProdVisual\Tests;

use ProdVisual\Tests\Harness\Processes;

/**
 * The package installs (test plan: PKG): composer.json has what Composer needs (Composer itself
 * is not used here), and without Composer `require 'src/autoload.php'` loads every class on a
 * PHP with no extension but curl (and json, built in).
 */
final class PackageTest extends TestCase
{
    private const PACKAGE = __DIR__ . '/..';

    /** @testdox PKG composer.json: prodvisual/sdk, PHP >= 8.1, ext-curl and ext-json only, PSR-4 autoload of src/ */
    public function testComposerJson(): void
    {
        // Read by a PHP of its own, as `php -r 'json_decode(...)'`.
        [$status, $stdout, $stderr] = Processes::runPhp('-r', [
            '$c = json_decode(file_get_contents($argv[1]), true, 512, JSON_THROW_ON_ERROR);'
            . ' echo json_encode([$c["name"], $c["type"], $c["license"], $c["require"], $c["autoload"], isset($c["description"])]);',
            realpath(self::PACKAGE) . '/composer.json',
        ]);
        self::assertSame(0, $status, $stderr);
        self::assertSame(
            ['prodvisual/sdk', 'library', 'MIT', ['php' => '>=8.1', 'ext-curl' => '*', 'ext-json' => '*'], ['psr-4' => ['ProdVisual\\' => 'src/']], true],
            json_decode($stdout, true),
        );
    }

    /** @testdox PKG require 'src/autoload.php' from a temporary script loads every class, PSR-4 paths, on PHP with curl only */
    public function testTheAutoloaderLoadsEveryClassWithoutComposer(): void
    {
        $src = realpath(self::PACKAGE . '/src');
        $classes = [];
        $files = new \RecursiveIteratorIterator(new \RecursiveDirectoryIterator($src, \FilesystemIterator::SKIP_DOTS));
        foreach ($files as $file) {
            $relative = substr($file->getPathname(), strlen($src) + 1);
            if ($relative === 'autoload.php') {
                continue;
            }
            // PSR-4: the file's path names its class, which the file declares in that namespace.
            $class = 'ProdVisual\\' . str_replace('/', '\\', substr($relative, 0, -strlen('.php')));
            $text = (string) file_get_contents($file->getPathname());
            $namespace = substr($class, 0, (int) strrpos($class, '\\'));
            $short = substr($class, strlen($namespace) + 1);
            self::assertStringContainsString("namespace $namespace;", $text, $relative);
            self::assertMatchesRegularExpression("/^(final |abstract )?(class|interface|trait) $short\\b/m", $text, $relative);
            $classes[] = $class;
        }
        sort($classes);
        self::assertContains('ProdVisual\\Client', $classes);
        self::assertContains('ProdVisual\\Exception\\ApiException', $classes);

        $dir = Processes::tempDir('pv-sdk-php-pkg-');
        try {
            file_put_contents("$dir/script.php", '<?php
declare(strict_types=1);
require ' . var_export("$src/autoload.php", true) . ';
$missing = [];
foreach (' . var_export($classes, true) . ' as $class) {
    if (!class_exists($class)) {
        $missing[] = $class;
    }
}
$client = new \ProdVisual\Client($argv[1], ["base_url" => $argv[2]]);
echo json_encode([\ProdVisual\Client::VERSION, $missing, count($client->styles()), get_loaded_extensions()]), "\n";
');
            [$status, $stdout, $stderr] = Processes::runPhp("$dir/script.php", [$this->server->liveKey, $this->server->baseUrl], [], $dir);
            self::assertSame(0, $status, $stderr);
            [$version, $missing, $styles] = json_decode($stdout, true);
            self::assertSame(['1.0.0', [], 22], [$version, $missing, $styles]);

            // No php.ini, no extension but curl: nothing else is needed.
            $child = Processes::startPhp("$dir/script.php", [$this->server->liveKey, $this->server->baseUrl], [], $dir, ['-n', '-d', 'extension=curl']);
            [$status, $stdout, $stderr] = Processes::finish($child, 60);
            self::assertSame(0, $status, $stderr);
            [$version, $missing, $styles, $extensions] = json_decode($stdout, true);
            self::assertSame(['1.0.0', [], 22], [$version, $missing, $styles]);
            self::assertNotContains('mbstring', $extensions);
        } finally {
            Processes::removeTree($dir);
        }
    }
}
