<?php

declare(strict_types=1);

namespace ProdVisual;

/** One UTC day of GET /v1/account/usage. */
final class DailyUsage
{
    public function __construct(
        public readonly string $date,
        public readonly int $credits_used = 0,
        public readonly int $generations = 0,
    ) {
    }
}
