<?php

declare(strict_types=1);

namespace ProdVisual\Exception;

/** The API could not be reached, or did not answer in time, after every retry. */
class ConnectionException extends ProdVisualException
{
    public function __construct(string $message, ?\Throwable $previous = null)
    {
        parent::__construct($message, 'connection_error', null, $previous);
    }
}
