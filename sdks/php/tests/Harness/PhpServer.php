<?php

declare(strict_types=1);

namespace ProdVisual\Tests\Harness;

/**
 * PHP's built-in server (`php -S`) on a free loopback port with a router script, several
 * workers so that a slow answer does not hold up the others. It runs in a process group of its
 * own (setsid), so that stopping it ends its workers too.
 */
final class PhpServer
{
    public readonly int $port;
    public readonly string $baseUrl;
    /** @var resource|null */
    private $process;
    private int $pid;

    /**
     * @param array<string, string> $env
     * @param array<string, string> $ini php.ini settings over the defaults (errors to the log)
     */
    public function __construct(string $router, array $env, private readonly string $log, array $ini = [])
    {
        $options = [];
        foreach ($ini + ['output_buffering' => '0', 'display_errors' => 'stderr'] as $name => $value) {
            array_push($options, '-d', "$name=$value");
        }
        for ($try = 1; ; $try++) {
            $port = Processes::freePort();
            $pipes = [];
            $process = proc_open(
                array_merge(['setsid', PHP_BINARY], $options, ['-S', "127.0.0.1:$port", $router]),
                [0 => ['file', '/dev/null', 'r'], 1 => ['file', $log, 'a'], 2 => ['file', $log, 'a']],
                $pipes,
                dirname($router),
                Processes::environment($env + ['PHP_CLI_SERVER_WORKERS' => '8']),
            );
            if (!is_resource($process)) {
                throw new \RuntimeException('cannot start php -S');
            }
            $deadline = microtime(true) + 10;
            while (microtime(true) < $deadline && proc_get_status($process)['running'] && !Processes::listening($port)) {
                usleep(50_000);
            }
            if (proc_get_status($process)['running'] && Processes::listening($port)) {
                $this->process = $process;
                $this->pid = proc_get_status($process)['pid'];
                $this->port = $port;
                $this->baseUrl = "http://127.0.0.1:$port";
                return;
            }
            proc_terminate($process, 9);
            proc_close($process);
            if ($try >= 3) {
                throw new \RuntimeException("php -S did not start:\n" . @file_get_contents($log));
            }
        }
    }

    public function stop(): void
    {
        if ($this->process === null) {
            return;
        }
        // The group setsid made: the server and its workers.
        @posix_kill(-$this->pid, SIGTERM);
        if (!Processes::waitExit($this->process, 5)) {
            @posix_kill(-$this->pid, SIGKILL);
        }
        proc_close($this->process);
        $this->process = null;
        usleep(100_000);
        @posix_kill(-$this->pid, SIGKILL); // any worker left behind
    }
}
