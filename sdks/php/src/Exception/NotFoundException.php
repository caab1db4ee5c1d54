<?php

declare(strict_types=1);

namespace ProdVisual\Exception;

/** 404 not_found: no such generation or batch (or not this key's account). */
class NotFoundException extends ApiException
{
}
