<?php

declare(strict_types=1);

namespace ProdVisual\Exception;

/**
 * Base class of every exception this package throws.
 *
 * getErrorCode() is the API's error code (invalid_request, ...), or connection_error, timeout,
 * invalid_signature for failures on this side; getStatus() is the HTTP status, null when no
 * answer was involved. PHP's own getCode() is the status as well (0 when none).
 */
class ProdVisualException extends \RuntimeException
{
    public function __construct(
        string $message,
        private readonly string $errorCode = 'error',
        private readonly ?int $status = null,
        ?\Throwable $previous = null,
    ) {
        parent::__construct($message, $status ?? 0, $previous);
    }

    public function getErrorCode(): string
    {
        return $this->errorCode;
    }

    public function getStatus(): ?int
    {
        return $this->status;
    }
}
