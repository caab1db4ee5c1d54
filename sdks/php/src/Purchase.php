<?php

declare(strict_types=1);

namespace ProdVisual;

/** The account's last credit purchase. */
final class Purchase
{
    public function __construct(
        public readonly int $amount,
        public readonly string $date,
    ) {
    }
}
