<?php

declare(strict_types=1);

namespace ProdVisual;

use ProdVisual\Exception\WebhookVerificationException;

/**
 * Webhook verification: X-ProdVisual-Signature is the lowercase hex HMAC-SHA256 of the raw
 * request body keyed by the API key that made the request; X-ProdVisual-Timestamp is the unix
 * time of the delivery attempt, checked against a tolerance to refuse replays.
 */
final class Webhook
{
    public const SIGNATURE_HEADER = 'X-ProdVisual-Signature';
    public const TIMESTAMP_HEADER = 'X-ProdVisual-Timestamp';
    public const EVENT_ID_HEADER = 'X-ProdVisual-Event-Id';

    /** Seconds a delivery's timestamp may differ from now. */
    public const DEFAULT_TOLERANCE = 300.0;

    /** The signature the server puts on $payload: lowercase hex HMAC-SHA256 keyed by $apiKey. */
    public static function computeSignature(string $payload, string $apiKey): string
    {
        return hash_hmac('sha256', $payload, $apiKey);
    }

    /**
     * True when $signature is the HMAC-SHA256 of the raw $payload under $apiKey ("sha256=" and
     * upper case accepted).
     *
     * Pass the body exactly as received (file_get_contents('php://input')), before any JSON
     * parsing. The comparison takes constant time (hash_equals). When $timestamp (the
     * X-ProdVisual-Timestamp header) is given, it must also be within $tolerance seconds of now
     * ($tolerance = null skips that check).
     */
    public static function verify(
        string $payload,
        ?string $signature,
        string $apiKey,
        string|int|float|null $timestamp = null,
        ?float $tolerance = self::DEFAULT_TOLERANCE,
        ?float $now = null,
    ): bool {
        if ($signature === null || $signature === '' || $apiKey === '') {
            return false;
        }
        $expected = self::computeSignature($payload, $apiKey);
        $given = strtolower(trim($signature));
        if (str_starts_with($given, 'sha256=')) {
            $given = substr($given, strlen('sha256='));
        }
        if (!hash_equals($expected, $given)) {
            return false;
        }
        if ($timestamp !== null && $tolerance !== null) {
            if (is_string($timestamp)) {
                $timestamp = trim($timestamp);
                if (!is_numeric($timestamp)) {
                    return false;
                }
            }
            $sent = (float) $timestamp;
            if (!is_finite($sent)) {
                return false;
            }
            $current = $now ?? microtime(true);
            if (abs($current - $sent) > $tolerance) {
                return false;
            }
        }
        return true;
    }

    /**
     * Verifies a delivery from its raw body and request headers, and returns the event.
     *
     * $headers may be getallheaders(), a PSR-7 style array of lists, or $_SERVER (HTTP_X_...
     * names): names are matched case-insensitively. Throws WebhookVerificationException when
     * the signature is missing or wrong, or the timestamp is missing or outside $tolerance.
     *
     * @param array<string, string|list<string>> $headers
     */
    public static function parse(
        string $payload,
        array $headers,
        string $apiKey,
        ?float $tolerance = self::DEFAULT_TOLERANCE,
        ?float $now = null,
    ): WebhookEvent {
        $signature = self::header($headers, self::SIGNATURE_HEADER);
        $timestamp = self::header($headers, self::TIMESTAMP_HEADER);
        if ($signature === null) {
            throw new WebhookVerificationException('The ' . self::SIGNATURE_HEADER . ' header is missing.');
        }
        if ($tolerance !== null && $timestamp === null) {
            throw new WebhookVerificationException('The ' . self::TIMESTAMP_HEADER . ' header is missing.');
        }
        if (!self::verify($payload, $signature, $apiKey)) {
            throw new WebhookVerificationException('The signature does not match the body.');
        }
        if (!self::verify($payload, $signature, $apiKey, $timestamp, $tolerance, $now)) {
            throw new WebhookVerificationException('The ' . self::TIMESTAMP_HEADER . " is more than $tolerance s from now.");
        }
        $document = json_decode($payload, true);
        if (!is_array($document) || ($document !== [] && array_is_list($document))) {
            throw new WebhookVerificationException('The body is not a JSON object.');
        }
        $data = $document['data'] ?? null;
        return new WebhookEvent(
            event: is_string($document['event'] ?? null) ? $document['event'] : '',
            data: is_array($data) ? $data : [],
            timestamp: is_string($document['timestamp'] ?? null) ? $document['timestamp'] : null,
            event_id: self::header($headers, self::EVENT_ID_HEADER),
            raw: $document,
        );
    }

    /**
     * A header's value from $headers, whatever the case of its name; also found under its
     * $_SERVER name (X-ProdVisual-Signature as HTTP_X_PRODVISUAL_SIGNATURE). Null when absent.
     *
     * @param array<string, string|list<string>> $headers
     */
    public static function header(array $headers, string $name): ?string
    {
        $wanted = strtolower($name);
        $server = 'http_' . str_replace('-', '_', $wanted);
        foreach ($headers as $key => $value) {
            $key = strtolower((string) $key);
            if ($key === $wanted || $key === $server) {
                if (is_array($value)) {
                    $value = reset($value);
                }
                return is_scalar($value) ? (string) $value : null;
            }
        }
        return null;
    }
}
