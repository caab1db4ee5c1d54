<?php

declare(strict_types=1);

namespace ProdVisual;

use ProdVisual\Internal\Fields;

/** The account's balance and usage: GET /v1/account/credits. */
final class Credits
{
    /** @param array<mixed> $raw */
    public function __construct(
        public readonly int $credits_remaining,
        public readonly int $credits_used_total = 0,
        public readonly int $credits_used_today = 0,
        public readonly ?Purchase $last_purchase = null,
        public readonly array $raw = [],
    ) {
    }

    /** @param array<mixed> $data */
    public static function fromArray(array $data): self
    {
        $purchase = Fields::array($data, 'last_purchase');
        return new self(
            credits_remaining: Fields::int($data, 'credits_remaining') ?? 0,
            credits_used_total: Fields::int($data, 'credits_used_total') ?? 0,
            credits_used_today: Fields::int($data, 'credits_used_today') ?? 0,
            last_purchase: $purchase !== null
                ? new Purchase(Fields::int($purchase, 'amount') ?? 0, Fields::string($purchase, 'date') ?? '')
                : null,
            raw: $data,
        );
    }
}
