<?php

declare(strict_types=1);

namespace ProdVisual\Tests\Harness;

/** A webhook delivery as received: the raw body and the headers as sent. */
final class Delivery
{
    /** @param array<string, string> $headers */
    public function __construct(
        public readonly string $body,
        public readonly array $headers,
        public readonly float $receivedAt,
    ) {
    }

    /** @return array<mixed> */
    public function payload(): array
    {
        $payload = json_decode($this->body, true);
        return is_array($payload) ? $payload : [];
    }

    /** A header, whatever the case of its name. */
    public function header(string $name): ?string
    {
        foreach ($this->headers as $key => $value) {
            if (strcasecmp($key, $name) === 0) {
                return $value;
            }
        }
        return null;
    }
}
