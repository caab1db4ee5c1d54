<?php

declare(strict_types=1);

namespace ProdVisual\Internal;

/**
 * Typed reads of decoded JSON, tolerant of absent fields and nulls.
 *
 * @internal
 */
final class Fields
{
    /** @param array<mixed> $data */
    public static function string(array $data, string $key): ?string
    {
        $value = $data[$key] ?? null;
        return is_string($value) ? $value : (is_int($value) || is_float($value) ? (string) $value : null);
    }

    /** @param array<mixed> $data */
    public static function int(array $data, string $key): ?int
    {
        $value = $data[$key] ?? null;
        if (is_int($value)) {
            return $value;
        }
        return is_float($value) || (is_string($value) && is_numeric($value)) ? (int) $value : null;
    }

    /** @param array<mixed> $data */
    public static function float(array $data, string $key): ?float
    {
        $value = $data[$key] ?? null;
        return is_int($value) || is_float($value) || (is_string($value) && is_numeric($value)) ? (float) $value : null;
    }

    /**
     * @param array<mixed> $data
     * @return array<mixed>|null
     */
    public static function array(array $data, string $key): ?array
    {
        $value = $data[$key] ?? null;
        return is_array($value) ? $value : null;
    }

    /**
     * @param array<mixed> $data
     * @return list<string>
     */
    public static function strings(array $data, string $key): array
    {
        $value = $data[$key] ?? null;
        if (!is_array($value)) {
            return [];
        }
        return array_values(array_map('strval', array_filter($value, 'is_scalar')));
    }
}
