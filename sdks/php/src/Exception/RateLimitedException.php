<?php

declare(strict_types=1);

namespace ProdVisual\Exception;

/**
 * 429 rate_limited: too many requests in the current window.
 *
 * getRetryAfter() is the number of seconds the server asked to wait (Retry-After);
 * getLimit(), getRemaining() and getReset() are the X-RateLimit-* headers.
 */
class RateLimitedException extends ApiException
{
    public function getRetryAfter(): ?float
    {
        return self::parseRetryAfter($this->getHeader('retry-after'));
    }

    public function getLimit(): ?int
    {
        return self::intOrNull($this->getHeader('x-ratelimit-limit'));
    }

    public function getRemaining(): ?int
    {
        return self::intOrNull($this->getHeader('x-ratelimit-remaining'));
    }

    /** The unix time the window resets. */
    public function getReset(): ?int
    {
        return self::intOrNull($this->getHeader('x-ratelimit-reset'));
    }

    /** Retry-After as seconds to wait: delta-seconds or an HTTP date. */
    public static function parseRetryAfter(?string $value): ?float
    {
        if ($value === null) {
            return null;
        }
        $value = trim($value);
        if (is_numeric($value)) {
            return max(0.0, (float) $value);
        }
        $when = strtotime($value);
        if ($when === false) {
            return null;
        }
        return max(0.0, $when - microtime(true));
    }

    private static function intOrNull(?string $value): ?int
    {
        return $value !== null && preg_match('/^\s*-?\d+\s*$/', $value) ? (int) $value : null;
    }
}
