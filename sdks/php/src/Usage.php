<?php

declare(strict_types=1);

namespace ProdVisual;

use ProdVisual\Internal\Fields;

/**
 * GET /v1/account/usage: credits used (net of refunds) and generations per UTC day, every day of
 * the period, oldest first.
 *
 * @implements \IteratorAggregate<int, DailyUsage>
 */
final class Usage implements \IteratorAggregate, \Countable
{
    /**
     * @param list<DailyUsage> $days
     * @param array<mixed> $raw
     */
    public function __construct(
        public readonly array $days,
        public readonly int $credits_used = 0,
        public readonly int $generations = 0,
        public readonly ?string $from = null,
        public readonly ?string $to = null,
        public readonly array $raw = [],
    ) {
    }

    /** @param array<mixed> $data */
    public static function fromArray(array $data): self
    {
        $days = [];
        foreach (Fields::array($data, 'data') ?? [] as $day) {
            if (is_array($day)) {
                $days[] = new DailyUsage(
                    Fields::string($day, 'date') ?? '',
                    Fields::int($day, 'credits_used') ?? 0,
                    Fields::int($day, 'generations') ?? 0,
                );
            }
        }
        return new self(
            days: $days,
            credits_used: Fields::int($data, 'credits_used') ?? 0,
            generations: Fields::int($data, 'generations') ?? 0,
            from: Fields::string($data, 'from'),
            to: Fields::string($data, 'to'),
            raw: $data,
        );
    }

    public function getIterator(): \ArrayIterator
    {
        return new \ArrayIterator($this->days);
    }

    public function count(): int
    {
        return count($this->days);
    }
}
