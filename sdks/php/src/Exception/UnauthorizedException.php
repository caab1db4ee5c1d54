<?php

declare(strict_types=1);

namespace ProdVisual\Exception;

/** 401 unauthorized: the API key is missing, malformed, unknown or revoked. */
class UnauthorizedException extends ApiException
{
}
