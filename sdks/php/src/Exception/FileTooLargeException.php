<?php

declare(strict_types=1);

namespace ProdVisual\Exception;

/** 413 file_too_large: the source image exceeds 10 MB. */
class FileTooLargeException extends ApiException
{
}
