<?php

declare(strict_types=1);

namespace ProdVisual;

use ProdVisual\Internal\Fields;

/** A platform preset of GET /v1/platforms: size, product fill, background rule, formats. */
final class Platform
{
    /**
     * @param list<string> $formats
     * @param array<mixed> $raw
     */
    public function __construct(
        public readonly string $id,
        public readonly string $name,
        public readonly string $default_dimensions,
        public readonly float $product_fill,
        public readonly string $background,
        public readonly string $default_format,
        public readonly array $formats = [],
        public readonly ?int $max_file_size = null,
        public readonly ?int $min_longest_side = null,
        public readonly array $raw = [],
    ) {
    }

    /** @param array<mixed> $data */
    public static function fromArray(array $data): self
    {
        return new self(
            id: Fields::string($data, 'id') ?? '',
            name: Fields::string($data, 'name') ?? '',
            default_dimensions: Fields::string($data, 'default_dimensions') ?? '',
            product_fill: Fields::float($data, 'product_fill') ?? 0.0,
            background: Fields::string($data, 'background') ?? '',
            default_format: Fields::string($data, 'default_format') ?? '',
            formats: Fields::strings($data, 'formats'),
            max_file_size: Fields::int($data, 'max_file_size'),
            min_longest_side: Fields::int($data, 'min_longest_side'),
            raw: $data,
        );
    }
}
