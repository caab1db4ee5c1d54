<?php

declare(strict_types=1);

namespace ProdVisual\Exception;

/** 402 insufficient_credits: the balance cannot cover the request; nothing was charged. */
class InsufficientCreditsException extends ApiException
{
}
