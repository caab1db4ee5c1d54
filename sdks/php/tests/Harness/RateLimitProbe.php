<?php

declare(strict_types=1);

namespace ProdVisual\Tests\Harness;

use PHPUnit\Framework\Assert;

/**
 * The calls that must meet a 429 run in a child process (helpers/rate_limit_probe.php) against
 * a server of their own limited to 2 requests a minute, started with the suite, so that
 * waiting for the clock-aligned window to roll (up to 60 s) overlaps the rest of the suite
 * instead of adding to it. The rate-limit tests, last, read its results.
 */
final class RateLimitProbe
{
    private ServerProcess $server;
    /** @var array{process: resource, stdout: resource, stderr: resource}|null */
    private ?array $child = null;
    /** @var array<string, mixed>|null */
    private ?array $results = null;

    public function __construct()
    {
        $this->server = ServerProcess::launch(2);
    }

    /** Once the server is up: the child starts its calls. */
    public function start(): void
    {
        $this->server->ready();
        $this->child = Processes::startPhp(dirname(__DIR__) . '/helpers/rate_limit_probe.php', [$this->server->baseUrl, $this->server->liveKey]);
    }

    /** @return array<string, mixed> the child's results (it takes up to about a minute and a half) */
    public function results(): array
    {
        if ($this->results === null) {
            Assert::assertNotNull($this->child, 'the rate-limit probe did not start');
            [$status, $stdout, $stderr] = Processes::finish($this->child, 100);
            $this->child = null;
            $results = json_decode($stdout, true);
            Assert::assertSame(0, $status, "the rate-limit probe failed:\n$stdout\n$stderr");
            Assert::assertIsArray($results, "the rate-limit probe printed no results:\n$stdout\n$stderr");
            Assert::assertNull($results['failure'], (string) $results['failure']);
            $this->results = $results;
        }
        return $this->results;
    }

    public function stop(): void
    {
        if ($this->child !== null) {
            proc_terminate($this->child['process'], 9);
            proc_close($this->child['process']);
            $this->child = null;
        }
        $this->server->stop();
    }
}
