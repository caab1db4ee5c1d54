<?php

declare(strict_types=1);

namespace ProdVisual\Tests;

use ProdVisual\Client;
use ProdVisual\Exception\ProdVisualException;
use ProdVisual\Tests\Harness\ServerProcess;
use ProdVisual\Tests\Harness\SourceServer;
use ProdVisual\Tests\Harness\Suite;
use ProdVisual\Tests\Harness\WebhookReceiver;

/** The suite's servers and a client of the main one, for every test. */
abstract class TestCase extends \PHPUnit\Framework\TestCase
{
    protected ServerProcess $server;
    protected SourceServer $sources;
    protected WebhookReceiver $receiver;
    protected Client $client;

    protected function setUp(): void
    {
        $this->server = Suite::$server;
        $this->sources = Suite::$sources;
        $this->receiver = Suite::$receiver;
        $this->client = Suite::client();
    }

    /** The exception $call throws; fails when it throws none. */
    protected static function thrown(callable $call): \Throwable
    {
        try {
            $call();
        } catch (\Throwable $error) {
            return $error;
        }
        self::fail('nothing was thrown');
    }

    /** $error is exactly $class, a ProdVisualException with $code and $status, and a message. */
    protected static function checkError(\Throwable $error, string $class, string $code, int $status): void
    {
        self::assertSame($class, get_class($error), $error->getMessage());
        self::assertInstanceOf(ProdVisualException::class, $error);
        self::assertSame($code, $error->getErrorCode());
        self::assertSame($status, $error->getStatus());
        self::assertSame($status, $error->getCode());
        self::assertNotSame('', $error->getMessage());
    }

    protected static function uuid(): string
    {
        return bin2hex(random_bytes(16));
    }
}
