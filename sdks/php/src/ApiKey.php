<?php

declare(strict_types=1);

namespace ProdVisual;

use ProdVisual\Internal\Fields;

/** One of the account's API keys. $secret is set only on the answer of Client::createKey(). */
final class ApiKey
{
    /** @param array<mixed> $raw */
    public function __construct(
        public readonly string $id,
        public readonly string $name,
        public readonly string $mode,
        public readonly string $prefix,
        public readonly string $hint,
        public readonly ?string $created_at = null,
        public readonly ?string $last_used_at = null,
        public readonly ?string $revoked_at = null,
        public readonly ?string $secret = null,
        public readonly array $raw = [],
    ) {
    }

    /** @param array<mixed> $data */
    public static function fromArray(array $data): self
    {
        return new self(
            id: Fields::string($data, 'id') ?? '',
            name: Fields::string($data, 'name') ?? '',
            mode: Fields::string($data, 'mode') ?? '',
            prefix: Fields::string($data, 'prefix') ?? '',
            hint: Fields::string($data, 'hint') ?? '',
            created_at: Fields::string($data, 'created_at'),
            last_used_at: Fields::string($data, 'last_used_at'),
            revoked_at: Fields::string($data, 'revoked_at'),
            secret: Fields::string($data, 'secret'),
            raw: $data,
        );
    }

    public function isRevoked(): bool
    {
        return $this->revoked_at !== null;
    }

    /** pv_live_…abcd: enough to tell keys apart. */
    public function redacted(): string
    {
        return $this->prefix . '…' . $this->hint;
    }

    /** @return array<string, mixed> */
    public function __debugInfo(): array
    {
        return ['id' => $this->id, 'name' => $this->name, 'mode' => $this->mode, 'key' => $this->redacted(), 'revoked_at' => $this->revoked_at];
    }
}
