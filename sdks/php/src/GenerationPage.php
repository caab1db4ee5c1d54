<?php

declare(strict_types=1);

namespace ProdVisual;

/**
 * A page of GET /v1/generations: Generations and Batches, newest first. While $has_more, the
 * next page starts after lastId().
 *
 * @implements \IteratorAggregate<int, Generation|Batch>
 */
final class GenerationPage implements \IteratorAggregate, \Countable
{
    /**
     * @param list<Generation|Batch> $data
     * @param array<mixed> $raw
     */
    public function __construct(
        public readonly array $data,
        public readonly bool $has_more = false,
        public readonly array $raw = [],
    ) {
    }

    /** @param array<mixed> $data */
    public static function fromArray(array $data): self
    {
        $entries = [];
        foreach (is_array($data['data'] ?? null) ? $data['data'] : [] as $entry) {
            if (!is_array($entry)) {
                continue;
            }
            $entries[] = array_key_exists('batch_id', $entry) && !array_key_exists('id', $entry)
                ? Batch::fromArray($entry)
                : Generation::fromArray($entry);
        }
        return new self($entries, ($data['has_more'] ?? false) === true, $data);
    }

    /** The id to pass as starting_after for the next page; null on an empty page. */
    public function lastId(): ?string
    {
        return $this->data === [] ? null : $this->data[count($this->data) - 1]->id;
    }

    public function getIterator(): \ArrayIterator
    {
        return new \ArrayIterator($this->data);
    }

    public function count(): int
    {
        return count($this->data);
    }
}
