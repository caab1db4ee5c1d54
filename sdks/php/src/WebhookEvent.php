<?php

declare(strict_types=1);

namespace ProdVisual;

/**
 * A verified webhook delivery: $event (generation.completed, generation.failed,
 * batch.completed), its $data and $timestamp, and the delivery's $event_id (the
 * X-ProdVisual-Event-Id header, the same on every retry of a delivery).
 */
final class WebhookEvent
{
    /**
     * @param array<mixed> $data
     * @param array<mixed> $raw
     */
    public function __construct(
        public readonly string $event,
        public readonly array $data,
        public readonly ?string $timestamp = null,
        public readonly ?string $event_id = null,
        public readonly array $raw = [],
    ) {
    }

    /** $data as a Generation, for generation.* events. */
    public function generation(): ?Generation
    {
        return str_starts_with($this->event, 'generation.') ? Generation::fromArray($this->data) : null;
    }

    /** $data as a Batch, for batch.* events. */
    public function batch(): ?Batch
    {
        return str_starts_with($this->event, 'batch.') ? Batch::fromArray($this->data) : null;
    }
}
