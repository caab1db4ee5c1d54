<?php

declare(strict_types=1);

namespace ProdVisual\Tests\Harness;

use ProdVisual\Client;

/**
 * What the whole suite runs against, started once by the bootstrap: the real server (its
 * limits too high to be hit by the tests), the source-image server, the webhook receiver, and
 * the rate-limit probe with its own server. Stopped when PHP shuts down.
 */
final class Suite
{
    public static ServerProcess $server;
    public static SourceServer $sources;
    public static WebhookReceiver $receiver;
    public static RateLimitProbe $probe;

    public static function start(): void
    {
        register_shutdown_function([self::class, 'stop']);
        if (function_exists('pcntl_async_signals')) {
            // Ctrl-C or a kill: shut down cleanly, so that the servers are stopped.
            pcntl_async_signals(true);
            foreach ([SIGINT, SIGTERM] as $signal) {
                pcntl_signal($signal, static function (): void {
                    exit(130);
                });
            }
        }
        // First, so that waiting for the rate-limit window to roll overlaps everything else.
        self::$probe = new RateLimitProbe();
        self::$server = ServerProcess::launch();
        self::$sources = new SourceServer();
        self::$receiver = new WebhookReceiver();
        self::$probe->start();
        self::$server->ready();
    }

    /** A client of the suite's server with the live key. @param array<string, mixed> $options */
    public static function client(array $options = []): Client
    {
        return new Client(self::$server->liveKey, ['base_url' => self::$server->baseUrl] + $options);
    }

    public static function stop(): void
    {
        foreach (['probe', 'server', 'sources', 'receiver'] as $name) {
            if (isset(self::$$name)) {
                try {
                    self::$$name->stop();
                } catch (\Throwable $error) {
                    fwrite(STDERR, "stopping the $name: {$error->getMessage()}\n");
                }
            }
        }
    }
}
