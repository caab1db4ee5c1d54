<?php

declare(strict_types=1);

namespace ProdVisual;

use ProdVisual\Internal\Fields;

/**
 * GET /v1/styles: $styles and their $total; iterable and countable over the styles.
 *
 * @implements \IteratorAggregate<int, Style>
 */
final class StyleList implements \IteratorAggregate, \Countable
{
    /**
     * @param list<Style> $styles
     * @param array<mixed> $raw
     */
    public function __construct(
        public readonly array $styles,
        public readonly int $total,
        public readonly array $raw = [],
    ) {
    }

    /** @return list<string> */
    public function ids(): array
    {
        return array_map(static fn (Style $style): string => $style->id, $this->styles);
    }

    /** The style with this id, or null. */
    public function get(string $id): ?Style
    {
        foreach ($this->styles as $style) {
            if ($style->id === $id) {
                return $style;
            }
        }
        return null;
    }

    public function getIterator(): \ArrayIterator
    {
        return new \ArrayIterator($this->styles);
    }

    public function count(): int
    {
        return count($this->styles);
    }

    /** @param array<mixed> $data */
    public static function fromArray(array $data): self
    {
        $styles = [];
        foreach (Fields::array($data, 'styles') ?? [] as $style) {
            if (is_array($style)) {
                $styles[] = Style::fromArray($style);
            }
        }
        return new self($styles, Fields::int($data, 'total') ?? count($styles), $data);
    }
}
