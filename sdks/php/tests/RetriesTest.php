<?php

declare(strict_types=1);

namespace ProdVisual\Tests;

use ProdVisual\Client;
use ProdVisual\Exception\ConflictException;
use ProdVisual\Exception\ConnectionException;
use ProdVisual\Exception\ProdVisualException;
use ProdVisual\Exception\ServerErrorException;
use ProdVisual\Tests\Harness\BrokenOutputs;

/** Automatic retries on the real server (test plan: RETRY-*; RETRY-429 is in RateLimitTest). */
final class RetriesTest extends TestCase
{
    /** @testdox RETRY-5xx 5xx retried: one retry after a backoff within [base/2, base], then completed, one credit spent */
    public function testA5xxIsRetriedUntilTheServerRecovers(): void
    {
        $before = $this->client->credits()->credits_remaining;
        $retries = [];
        $broken = new BrokenOutputs($this->server);
        $client = new Client($this->server->liveKey, [
            'base_url' => $this->server->baseUrl,
            'max_retries' => 3,
            'backoff_base' => 0.2,
            'on_retry' => function (int $attempt, float $wait, ProdVisualException $error) use (&$retries, $broken): void {
                $retries[] = [$attempt, $wait, $error];
                $broken->restore(); // the server recovers before the next attempt
            },
        ]);
        try {
            $result = $client->generate($this->sources->item(0));
        } finally {
            $broken->restore();
        }
        self::assertSame('completed', $result->status);
        self::assertCount(1, $retries);
        [$attempt, $wait, $error] = $retries[0];
        self::assertSame(1, $attempt);
        self::assertInstanceOf(ServerErrorException::class, $error);
        // Exponential backoff from backoff_base, with jitter.
        self::assertGreaterThanOrEqual(0.1, $wait);
        self::assertLessThanOrEqual(0.2, $wait);
        self::assertSame($before - 1, $result->credits_remaining); // the failed attempt was refunded
    }

    /** @testdox RETRY-TIMEOUT the same Idempotency-Key across retries: a connection error, 409s, then the first answer replayed — one generation, one credit */
    public function testATimedOutPostIsRetriedWithTheSameIdempotencyKey(): void
    {
        $before = $this->client->credits()->credits_remaining;
        $errors = [];
        $client = new Client($this->server->liveKey, [
            'base_url' => $this->server->baseUrl,
            'timeout' => 1.0,
            'max_retries' => 8,
            'backoff_base' => 0.4,
            'backoff_max' => 1.0,
            'on_retry' => function (int $attempt, float $wait, ProdVisualException $error) use (&$errors): void {
                $errors[] = $error;
            },
        ]);
        $result = $client->generate($this->sources->item(1, ['image_url' => $this->sources->slowUrl(2.5, 1)]));
        self::assertSame('completed', $result->status);
        self::assertInstanceOf(ConnectionException::class, $errors[0]);
        self::assertSame('connection_error', $errors[0]->getErrorCode());
        self::assertNull($errors[0]->getStatus());
        self::assertNotEmpty(array_filter($errors, static fn ($error): bool => $error instanceof ConflictException));
        self::assertTrue($result->idempotent_replayed);
        self::assertSame($before - 1, $this->client->credits()->credits_remaining);
    }
}
