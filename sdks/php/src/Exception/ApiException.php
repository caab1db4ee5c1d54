<?php

declare(strict_types=1);

namespace ProdVisual\Exception;

/**
 * An error answered by the API (an HTTP status of 400 or more): getErrorCode(), getMessage()
 * and getStatus() are the fields of its {"error": {"code", "message", "status"}} envelope;
 * getHeaders() are the response headers (lower-case names) and getBody() the decoded envelope.
 *
 * Each error code has its own subclass; a code this version does not know is an ApiException.
 */
class ApiException extends ProdVisualException
{
    /** The class of each error code. */
    public const CLASSES_BY_CODE = [
        'invalid_request' => InvalidRequestException::class,
        'unauthorized' => UnauthorizedException::class,
        'insufficient_credits' => InsufficientCreditsException::class,
        'not_found' => NotFoundException::class,
        'conflict' => ConflictException::class,
        'file_too_large' => FileTooLargeException::class,
        'invalid_image' => InvalidImageException::class,
        'rate_limited' => RateLimitedException::class,
        'server_error' => ServerErrorException::class,
    ];

    private const CODES_BY_STATUS = [
        400 => 'invalid_request',
        401 => 'unauthorized',
        402 => 'insufficient_credits',
        404 => 'not_found',
        409 => 'conflict',
        413 => 'file_too_large',
        422 => 'invalid_image',
        429 => 'rate_limited',
    ];

    /**
     * @param array<string, string> $headers
     * @param array<mixed>|null $body
     */
    public function __construct(
        string $message,
        string $errorCode,
        private readonly int $httpStatus,
        private readonly array $headers = [],
        private readonly ?array $body = null,
        ?\Throwable $previous = null,
    ) {
        parent::__construct($message, $errorCode, $httpStatus, $previous);
    }

    public function getStatus(): int
    {
        return $this->httpStatus;
    }

    /** @return array<string, string> the response headers, lower-case names */
    public function getHeaders(): array
    {
        return $this->headers;
    }

    public function getHeader(string $name): ?string
    {
        return $this->headers[strtolower($name)] ?? null;
    }

    /** @return array<mixed>|null the decoded error envelope */
    public function getBody(): ?array
    {
        return $this->body;
    }

    /**
     * The exception for an error response: by its envelope's code, else by its HTTP status
     * (ServerErrorException for any 5xx).
     *
     * @param array<string, string> $headers lower-case names
     */
    public static function fromResponse(int $status, array $headers, mixed $payload): self
    {
        $envelope = is_array($payload) && isset($payload['error']) && is_array($payload['error']) ? $payload['error'] : [];
        $code = isset($envelope['code']) && is_string($envelope['code']) ? $envelope['code'] : '';
        $message = isset($envelope['message']) && is_string($envelope['message']) ? $envelope['message'] : '';
        if ($code === '') {
            $code = self::CODES_BY_STATUS[$status] ?? ($status >= 500 ? 'server_error' : 'error');
        }
        if ($message === '') {
            $message = "HTTP $status";
        }
        $class = self::CLASSES_BY_CODE[$code] ?? ($status >= 500 ? ServerErrorException::class : self::class);
        if ($status === 403 && ($class === UnauthorizedException::class || $class === self::class)) {
            $class = PermissionDeniedException::class;
        }
        return new $class($message, $code, $status, $headers, is_array($payload) ? $payload : null);
    }
}
