<?php

declare(strict_types=1);

namespace ProdVisual\Tests;

use ProdVisual\Exception\RateLimitedException;
use ProdVisual\Tests\Harness\Suite;

/**
 * Rate limits, on their own server limited to 2 requests a minute (test plan: ERR-429,
 * RETRY-429). Listed last in phpunit.xml.dist: the probe that makes the calls started with the
 * suite, and its wait for the window to roll overlapped everything else.
 */
final class RateLimitTest extends TestCase
{
    /** @testdox ERR-429 rate_limited: Retry-After (1–60 s), limit 2, remaining 0, reset; beyond max_retry_wait it is thrown at once */
    public function testA429IsThrownWithRetryAfterWhenRetriesAreOff(): void
    {
        $results = Suite::$probe->results();
        $refused = $results['refused'];
        self::assertSame(RateLimitedException::class, $refused['class']);
        self::assertSame(['rate_limited', 429], [$refused['code'], $refused['status']]);
        self::assertNotSame('', $refused['message']);
        self::assertGreaterThanOrEqual(1, $refused['retry_after']);
        self::assertLessThanOrEqual(60, $refused['retry_after']);
        self::assertSame(2, $refused['limit']);
        self::assertSame(0, $refused['remaining']);
        self::assertGreaterThan(0, $refused['reset']);
        // A Retry-After beyond max_retry_wait is not waited for: thrown at once.
        self::assertSame(RateLimitedException::class, $results['impatient']['class'] ?? null);
        self::assertSame(0, $results['impatient']['retries']);
    }

    /** @testdox RETRY-429 429 retried after Retry-After: one retry, waiting at least the server's Retry-After, then success */
    public function testA429IsRetriedAfterRetryAfter(): void
    {
        $results = Suite::$probe->results();
        self::assertGreaterThanOrEqual(0, $results['credits_remaining']);
        self::assertCount(1, $results['retries']);
        $retry = $results['retries'][0];
        self::assertSame(RateLimitedException::class, $retry['class']);
        // It waited what the server asked, not a short backoff, and then got through.
        self::assertGreaterThanOrEqual($retry['retry_after'], $retry['wait']);
        self::assertGreaterThanOrEqual($retry['retry_after'] - 1, $results['elapsed']);
    }
}
