<?php

declare(strict_types=1);

namespace ProdVisual\Tests\Harness;

/** Small helpers for the processes and folders the harness makes. */
final class Processes
{
    public static function freePort(): int
    {
        $socket = stream_socket_server('tcp://127.0.0.1:0', $errno, $error);
        if ($socket === false) {
            throw new \RuntimeException("no free port: $error");
        }
        $name = stream_socket_get_name($socket, false);
        fclose($socket);
        return (int) substr($name, strrpos($name, ':') + 1);
    }

    /** @return array<string, string> the environment without PRODVISUAL_* variables */
    public static function environment(array $extra = []): array
    {
        $env = [];
        foreach (getenv() as $name => $value) {
            if (!str_starts_with($name, 'PRODVISUAL_')) {
                $env[$name] = $value;
            }
        }
        return array_merge($env, $extra);
    }

    public static function tempDir(string $prefix): string
    {
        $dir = sys_get_temp_dir() . '/' . $prefix . bin2hex(random_bytes(5));
        if (!mkdir($dir, 0700)) {
            throw new \RuntimeException("cannot make $dir");
        }
        return $dir;
    }

    public static function removeTree(string $path): void
    {
        if (is_link($path) || is_file($path)) {
            @unlink($path);
            return;
        }
        if (!is_dir($path)) {
            return;
        }
        foreach (scandir($path) ?: [] as $entry) {
            if ($entry !== '.' && $entry !== '..') {
                self::removeTree("$path/$entry");
            }
        }
        @rmdir($path);
    }

    /** Waits for a process opened with proc_open to exit; true when it did within $seconds. */
    public static function waitExit($process, float $seconds): bool
    {
        $deadline = microtime(true) + $seconds;
        while (microtime(true) < $deadline) {
            if (!proc_get_status($process)['running']) {
                return true;
            }
            usleep(50_000);
        }
        return !proc_get_status($process)['running'];
    }

    /** True when something accepts connections on 127.0.0.1:$port. */
    public static function listening(int $port): bool
    {
        $connection = @fsockopen('127.0.0.1', $port, $errno, $error, 0.5);
        if ($connection === false) {
            return false;
        }
        fclose($connection);
        return true;
    }

    /**
     * Runs a PHP script in a child process and returns [exit status, stdout, stderr].
     *
     * @param list<string> $args
     * @param array<string, string> $env
     * @return array{int, string, string}
     */
    public static function runPhp(string $script, array $args = [], array $env = [], ?string $cwd = null, float $timeout = 300): array
    {
        $process = self::startPhp($script, $args, $env, $cwd);
        return self::finish($process, $timeout);
    }

    /**
     * Starts a PHP script in a child process, its output piped.
     *
     * @param list<string> $args
     * @param array<string, string> $env
     * @return array{process: resource, stdout: resource, stderr: resource}
     */
    public static function startPhp(string $script, array $args = [], array $env = [], ?string $cwd = null, array $phpOptions = []): array
    {
        $pipes = [];
        $process = proc_open(
            array_merge([PHP_BINARY], $phpOptions, [$script], $args),
            [0 => ['file', '/dev/null', 'r'], 1 => ['pipe', 'w'], 2 => ['pipe', 'w']],
            $pipes,
            $cwd,
            self::environment($env),
        );
        if (!is_resource($process)) {
            throw new \RuntimeException("cannot run $script");
        }
        stream_set_blocking($pipes[1], false);
        stream_set_blocking($pipes[2], false);
        return ['process' => $process, 'stdout' => $pipes[1], 'stderr' => $pipes[2]];
    }

    /**
     * Reads a started script's output until it exits.
     *
     * @param array{process: resource, stdout: resource, stderr: resource} $child
     * @return array{int, string, string}
     */
    public static function finish(array $child, float $timeout = 300): array
    {
        $stdout = '';
        $stderr = '';
        $deadline = microtime(true) + $timeout;
        while (true) {
            $stdout .= (string) stream_get_contents($child['stdout']);
            $stderr .= (string) stream_get_contents($child['stderr']);
            $status = proc_get_status($child['process']);
            if (!$status['running']) {
                $stdout .= (string) stream_get_contents($child['stdout']);
                $stderr .= (string) stream_get_contents($child['stderr']);
                fclose($child['stdout']);
                fclose($child['stderr']);
                proc_close($child['process']);
                return [$status['exitcode'], $stdout, $stderr];
            }
            if (microtime(true) > $deadline) {
                proc_terminate($child['process'], 9);
                throw new \RuntimeException("the child did not end within $timeout s\n$stderr");
            }
            usleep(20_000);
        }
    }
}
