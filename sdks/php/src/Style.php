<?php

declare(strict_types=1);

namespace ProdVisual;

use ProdVisual\Internal\Fields;

/** One visual style of GET /v1/styles. */
final class Style
{
    /**
     * @param list<string> $parameters the parameters the style uses (e.g. scene, text.headline)
     * @param list<string> $requires fields it cannot render without; one of them suffices
     * @param list<string>|null $scenes named variants accepted by `scene`; null for styles without scenes
     * @param array<mixed> $raw
     */
    public function __construct(
        public readonly string $id,
        public readonly string $name,
        public readonly string $description,
        public readonly array $parameters = [],
        public readonly array $requires = [],
        public readonly ?array $scenes = null,
        public readonly array $raw = [],
    ) {
    }

    /** @param array<mixed> $data */
    public static function fromArray(array $data): self
    {
        return new self(
            id: Fields::string($data, 'id') ?? '',
            name: Fields::string($data, 'name') ?? '',
            description: Fields::string($data, 'description') ?? '',
            parameters: Fields::strings($data, 'parameters'),
            requires: Fields::strings($data, 'requires'),
            scenes: Fields::array($data, 'scenes') !== null ? Fields::strings($data, 'scenes') : null,
            raw: $data,
        );
    }
}
