<?php

declare(strict_types=1);

namespace ProdVisual\Tests;

use ProdVisual\Client;
use ProdVisual\Exception\ApiException;
use ProdVisual\Exception\ProdVisualException;
use ProdVisual\Exception\RateLimitedException;
use ProdVisual\Exception\ServerErrorException;

/** What needs no server: configuration, the key kept out of dumps, the exception mapping. */
final class UnitTest extends \PHPUnit\Framework\TestCase
{
    /** @var array<string, string|false> */
    private array $saved = [];

    protected function setUp(): void
    {
        foreach (['PRODVISUAL_BASE_URL', 'PRODVISUAL_API_KEY'] as $name) {
            $this->saved[$name] = getenv($name);
            putenv($name);
        }
    }

    protected function tearDown(): void
    {
        foreach ($this->saved as $name => $value) {
            putenv($value === false ? $name : "$name=$value");
        }
    }

    /** @testdox the base URL comes from the options, then PRODVISUAL_BASE_URL, then the default; the key from PRODVISUAL_API_KEY */
    public function testConfiguration(): void
    {
        self::assertSame('https://api.prodvisual.com', (new Client('k'))->baseUrl);
        putenv('PRODVISUAL_BASE_URL=http://127.0.0.1:9/v1/');
        self::assertSame('http://127.0.0.1:9', (new Client('k'))->baseUrl);
        self::assertSame('http://localhost:8080', (new Client('k', ['base_url' => 'http://localhost:8080']))->baseUrl);
        putenv('PRODVISUAL_API_KEY=pv_test_env');
        self::assertStringContainsString('pv_test_', print_r(new Client(), true));
        putenv('PRODVISUAL_API_KEY');
        foreach ([fn () => new Client(), fn () => new Client('k', ['base_url' => 'ftp://example.com']), fn () => new Client('k', ['baseUrl' => 'http://x'])] as $make) {
            try {
                $make();
                self::fail('no exception');
            } catch (\InvalidArgumentException) {
                self::addToAssertionCount(1);
            }
        }
        $this->expectException(\InvalidArgumentException::class);
        (new Client('k', ['base_url' => 'http://127.0.0.1:9']))->generate(['image_url' => 'http://x/y.jpg']);
    }

    /** @testdox the key is not shown when the client is dumped */
    public function testTheKeyStaysOutOfDumps(): void
    {
        $client = new Client('pv_live_secret_part', ['base_url' => 'http://127.0.0.1:9']);
        ob_start();
        var_dump($client);
        $dump = ob_get_clean() . print_r($client, true);
        self::assertStringNotContainsString('secret_part', $dump);
    }

    /** @testdox an error answer maps to its class by code, else by status */
    public function testExceptionMapping(): void
    {
        $limited = ApiException::fromResponse(429, ['retry-after' => '7', 'x-ratelimit-limit' => '2'], ['error' => ['code' => 'rate_limited', 'message' => 'slow down', 'status' => 429]]);
        self::assertInstanceOf(RateLimitedException::class, $limited);
        self::assertInstanceOf(ProdVisualException::class, $limited);
        self::assertSame(7.0, $limited->getRetryAfter());
        self::assertSame(2, $limited->getLimit());
        self::assertSame('slow down', $limited->getMessage());
        $gateway = ApiException::fromResponse(502, [], null);
        self::assertInstanceOf(ServerErrorException::class, $gateway);
        self::assertSame(['server_error', 502, 'HTTP 502'], [$gateway->getErrorCode(), $gateway->getStatus(), $gateway->getMessage()]);
        $teapot = ApiException::fromResponse(418, [], ['error' => ['code' => 'teapot', 'message' => 'short and stout']]);
        self::assertSame(ApiException::class, get_class($teapot));
        self::assertSame('teapot', $teapot->getErrorCode());
    }
}
