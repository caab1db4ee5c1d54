<?php

declare(strict_types=1);

namespace ProdVisual;

use ProdVisual\Internal\Fields;

/**
 * One generation: the answer of Client::generate(), an item of a batch, or a status look-up.
 *
 * The properties are the API document's fields. $credits_remaining is only set on the answer
 * of the call that spent the credit; $output_url is null until the generation completes, and
 * after the output expires. $raw is the JSON object as received.
 */
final class Generation
{
    /**
     * @param array<mixed>|null $compliance
     * @param array<mixed>|null $webhook
     * @param array<mixed> $raw
     */
    public function __construct(
        public readonly string $id,
        public readonly string $status,
        public readonly ?string $output_url = null,
        public readonly ?string $style = null,
        public readonly ?string $platform = null,
        public readonly ?string $dimensions = null,
        public readonly ?string $format = null,
        public readonly ?int $file_size = null,
        public readonly ?int $credits_used = null,
        public readonly ?int $credits_remaining = null,
        public readonly ?int $generation_time_ms = null,
        public readonly ?string $created_at = null,
        public readonly ?string $expires_at = null,
        public readonly ?GenerationError $error = null,
        public readonly ?array $compliance = null,
        public readonly ?string $batch_id = null,
        public readonly ?array $webhook = null,
        /** True when the server replayed the first answer to this Idempotency-Key. */
        public readonly bool $idempotent_replayed = false,
        public readonly array $raw = [],
    ) {
    }

    /** True once the status is completed or failed. */
    public function isDone(): bool
    {
        return in_array($this->status, ['completed', 'failed'], true);
    }

    /** @param array<mixed> $data */
    public static function fromArray(array $data, bool $idempotentReplayed = false): self
    {
        $error = Fields::array($data, 'error');
        return new self(
            id: Fields::string($data, 'id') ?? '',
            status: Fields::string($data, 'status') ?? '',
            output_url: Fields::string($data, 'output_url'),
            style: Fields::string($data, 'style'),
            platform: Fields::string($data, 'platform'),
            dimensions: Fields::string($data, 'dimensions'),
            format: Fields::string($data, 'format'),
            file_size: Fields::int($data, 'file_size'),
            credits_used: Fields::int($data, 'credits_used'),
            credits_remaining: Fields::int($data, 'credits_remaining'),
            generation_time_ms: Fields::int($data, 'generation_time_ms'),
            created_at: Fields::string($data, 'created_at'),
            expires_at: Fields::string($data, 'expires_at'),
            error: $error !== null ? GenerationError::fromArray($error) : null,
            compliance: Fields::array($data, 'compliance'),
            batch_id: Fields::string($data, 'batch_id'),
            webhook: Fields::array($data, 'webhook'),
            idempotent_replayed: $idempotentReplayed,
            raw: $data,
        );
    }
}
