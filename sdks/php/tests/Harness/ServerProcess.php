<?php

declare(strict_types=1);

namespace ProdVisual\Tests\Harness;

/** `prodvisual serve` on a fresh data directory and a free loopback port. */
final class ServerProcess
{
    public readonly string $executable;
    public readonly string $dataDir;
    public readonly int $port;
    public readonly string $baseUrl;
    public string $liveKey = '';
    public string $testKey = '';
    /** @var resource|null */
    private $process;

    /** The repository's root: this file is sdks/php/tests/Harness/ServerProcess.php. */
    public static function repoRoot(): string
    {
        return dirname(__DIR__, 4);
    }

    /** PRODVISUAL_EXECUTABLE, else .build/debug or .build/release under the repository. */
    public static function locateExecutable(): string
    {
        $explicit = getenv('PRODVISUAL_EXECUTABLE');
        if ($explicit !== false && $explicit !== '') {
            if (!is_file($explicit) || !is_executable($explicit)) {
                throw new \RuntimeException("PRODVISUAL_EXECUTABLE=$explicit is not an executable file");
            }
            return $explicit;
        }
        foreach (['debug', 'release'] as $configuration) {
            $path = self::repoRoot() . "/.build/$configuration/prodvisual";
            if (is_file($path) && is_executable($path)) {
                return $path;
            }
        }
        throw new \RuntimeException('No prodvisual executable under ' . self::repoRoot()
            . '/.build/{debug,release}: run `swift build --product prodvisual` or set PRODVISUAL_EXECUTABLE.');
    }

    /** Starts the server; ready() waits for it. */
    public static function launch(int $rateLimitPerMinute = 1_000_000): self
    {
        return new self($rateLimitPerMinute);
    }

    public static function start(int $rateLimitPerMinute = 1_000_000): self
    {
        return self::launch($rateLimitPerMinute)->ready();
    }

    private function __construct(int $rateLimitPerMinute)
    {
        $this->executable = self::locateExecutable();
        $this->dataDir = Processes::tempDir('pv-sdk-php-');
        $this->port = Processes::freePort();
        $this->baseUrl = "http://127.0.0.1:{$this->port}";
        $pipes = [];
        $this->process = proc_open(
            [
                $this->executable, 'serve',
                '--host', '127.0.0.1', '--port', (string) $this->port,
                '--data-dir', $this->dataDir, '--allow-private-sources',
                '--rate-limit-per-minute', (string) $rateLimitPerMinute,
            ],
            [
                0 => ['file', '/dev/null', 'r'],
                1 => ['file', "{$this->dataDir}/stdout.log", 'a'],
                2 => ['file', "{$this->dataDir}/stderr.log", 'a'],
            ],
            $pipes,
            null,
            Processes::environment(['PRODVISUAL_RATE_LIMIT_PER_DAY' => '100000000']),
        );
        if (!is_resource($this->process)) {
            throw new \RuntimeException("cannot start {$this->executable}");
        }
    }

    /** Waits until /health answers, then reads the first-start keys from stdout. */
    public function ready(float $timeout = 60): self
    {
        $deadline = microtime(true) + $timeout;
        $last = 'no answer';
        while (true) {
            $status = proc_get_status($this->process);
            if (!$status['running']) {
                throw new \RuntimeException("the server exited with {$status['exitcode']}\n" . $this->stderrTail());
            }
            $handle = curl_init($this->baseUrl . '/health');
            curl_setopt_array($handle, [CURLOPT_RETURNTRANSFER => true, CURLOPT_TIMEOUT => 2]);
            $body = curl_exec($handle);
            $code = curl_getinfo($handle, CURLINFO_RESPONSE_CODE);
            $last = $body === false ? curl_error($handle) : "HTTP $code";
            curl_close($handle);
            if ($code === 200) {
                break;
            }
            if (microtime(true) > $deadline) {
                $this->stop();
                throw new \RuntimeException("the server was not healthy within $timeout s ($last)\n" . $this->stderrTail());
            }
            usleep(100_000);
        }
        $text = (string) file_get_contents("{$this->dataDir}/stdout.log");
        foreach (explode("\n", $text) as $line) {
            $words = preg_split('/\s+/', trim($line)) ?: [];
            $last = end($words) ?: '';
            if (str_contains($line, 'Live key (spends credits):') && str_starts_with($last, 'pv_live_')) {
                $this->liveKey = $last;
            }
            if (str_contains($line, 'Test key (free, watermarked):') && str_starts_with($last, 'pv_test_')) {
                $this->testKey = $last;
            }
        }
        if ($this->liveKey === '' || $this->testKey === '') {
            throw new \RuntimeException("the server printed no first-start keys:\n$text");
        }
        return $this;
    }

    /** A live key on a new account with $credits, made by the operator command. */
    public function createKey(int $credits = 0): string
    {
        $output = [];
        $status = 0;
        exec(
            escapeshellarg($this->executable) . ' keys create --data-dir ' . escapeshellarg($this->dataDir)
                . ' --credits ' . $credits . ' 2>/dev/null',
            $output,
            $status,
        );
        if ($status !== 0 || $output === []) {
            throw new \RuntimeException("keys create failed ($status)");
        }
        return trim((string) end($output));
    }

    public function outputsDir(): string
    {
        return "{$this->dataDir}/outputs";
    }

    public function stderrTail(int $lines = 30): string
    {
        $text = @file_get_contents("{$this->dataDir}/stderr.log");
        if ($text === false) {
            return '(no stderr log)';
        }
        return implode("\n", array_slice(explode("\n", rtrim($text)), -$lines));
    }

    public function stop(): void
    {
        if ($this->process === null) {
            return;
        }
        if (proc_get_status($this->process)['running']) {
            proc_terminate($this->process, 15);
            if (!Processes::waitExit($this->process, 15)) {
                proc_terminate($this->process, 9);
                Processes::waitExit($this->process, 10);
            }
        }
        proc_close($this->process);
        $this->process = null;
        if (getenv('PRODVISUAL_KEEP_TEST_DATA') === false || getenv('PRODVISUAL_KEEP_TEST_DATA') === '') {
            Processes::removeTree($this->dataDir);
        }
    }
}
