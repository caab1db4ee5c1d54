<?php

declare(strict_types=1);

namespace ProdVisual;

use ProdVisual\Internal\Fields;

/**
 * GET /v1/platforms: $platforms and their $total; iterable and countable over the platforms.
 *
 * @implements \IteratorAggregate<int, Platform>
 */
final class PlatformList implements \IteratorAggregate, \Countable
{
    /**
     * @param list<Platform> $platforms
     * @param array<mixed> $raw
     */
    public function __construct(
        public readonly array $platforms,
        public readonly int $total,
        public readonly array $raw = [],
    ) {
    }

    /** The platform with this id, or null. */
    public function get(string $id): ?Platform
    {
        foreach ($this->platforms as $platform) {
            if ($platform->id === $id) {
                return $platform;
            }
        }
        return null;
    }

    public function getIterator(): \ArrayIterator
    {
        return new \ArrayIterator($this->platforms);
    }

    public function count(): int
    {
        return count($this->platforms);
    }

    /** @param array<mixed> $data */
    public static function fromArray(array $data): self
    {
        $platforms = [];
        foreach (Fields::array($data, 'platforms') ?? [] as $platform) {
            if (is_array($platform)) {
                $platforms[] = Platform::fromArray($platform);
            }
        }
        return new self($platforms, Fields::int($data, 'total') ?? count($platforms), $data);
    }
}
