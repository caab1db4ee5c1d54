<?php

declare(strict_types=1);

namespace ProdVisual\Exception;

/**
 * 403 with the code unauthorized: a valid key that may not do this (a test key managing API
 * keys). A subclass of UnauthorizedException, so handlers of that catch it too.
 */
class PermissionDeniedException extends UnauthorizedException
{
}
