<?php

declare(strict_types=1);

namespace ProdVisual\Exception;

/** 409 conflict: a request with the same Idempotency-Key is still being processed. */
class ConflictException extends ApiException
{
}
