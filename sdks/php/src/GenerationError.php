<?php

declare(strict_types=1);

namespace ProdVisual;

use ProdVisual\Internal\Fields;

/** Why a generation failed: code and message, as in the API's error envelope. */
final class GenerationError
{
    public function __construct(
        public readonly string $code,
        public readonly string $message,
    ) {
    }

    /** @param array<mixed> $data */
    public static function fromArray(array $data): self
    {
        return new self(Fields::string($data, 'code') ?? '', Fields::string($data, 'message') ?? '');
    }
}
