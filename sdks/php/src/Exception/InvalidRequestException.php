<?php

declare(strict_types=1);

namespace ProdVisual\Exception;

/** 400 invalid_request: a parameter is missing or invalid (the message names it). */
class InvalidRequestException extends ApiException
{
}
