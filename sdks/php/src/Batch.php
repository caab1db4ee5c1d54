<?php

declare(strict_types=1);

namespace ProdVisual;

use ProdVisual\Internal\Fields;

/**
 * A batch: the answer of Client::generateBatch() or a look-up of its batch_id.
 *
 * $credits_remaining and $estimated_time_ms are only in the answer of generateBatch();
 * $completed_items and $failed_items count finished items; $items are Generations in request
 * order. $id is the batch id too, which getGeneration() and waitForCompletion() take.
 */
final class Batch
{
    public readonly string $id;

    /**
     * @param list<Generation> $items
     * @param array<mixed>|null $webhook
     * @param array<mixed> $raw
     */
    public function __construct(
        public readonly string $batch_id,
        public readonly string $status,
        public readonly int $total_items = 0,
        public readonly ?int $completed_items = null,
        public readonly ?int $failed_items = null,
        public readonly ?int $credits_used = null,
        public readonly ?int $credits_remaining = null,
        public readonly ?int $estimated_time_ms = null,
        public readonly ?string $results_url = null,
        public readonly ?string $created_at = null,
        public readonly ?string $completed_at = null,
        public readonly array $items = [],
        public readonly ?array $webhook = null,
        public readonly bool $idempotent_replayed = false,
        public readonly array $raw = [],
    ) {
        $this->id = $batch_id;
    }

    /** True once the status is completed or failed. */
    public function isDone(): bool
    {
        return in_array($this->status, ['completed', 'failed'], true);
    }

    /** @param array<mixed> $data */
    public static function fromArray(array $data, bool $idempotentReplayed = false): self
    {
        $items = [];
        foreach (Fields::array($data, 'items') ?? [] as $item) {
            if (is_array($item)) {
                $items[] = Generation::fromArray($item);
            }
        }
        return new self(
            batch_id: Fields::string($data, 'batch_id') ?? '',
            status: Fields::string($data, 'status') ?? '',
            total_items: Fields::int($data, 'total_items') ?? 0,
            completed_items: Fields::int($data, 'completed_items'),
            failed_items: Fields::int($data, 'failed_items'),
            credits_used: Fields::int($data, 'credits_used'),
            credits_remaining: Fields::int($data, 'credits_remaining'),
            estimated_time_ms: Fields::int($data, 'estimated_time_ms'),
            results_url: Fields::string($data, 'results_url'),
            created_at: Fields::string($data, 'created_at'),
            completed_at: Fields::string($data, 'completed_at'),
            items: $items,
            webhook: Fields::array($data, 'webhook'),
            idempotent_replayed: $idempotentReplayed,
            raw: $data,
        );
    }
}
