<?php

declare(strict_types=1);

namespace ProdVisual\Exception;

/** 422 invalid_image: the source is not a JPEG, PNG or WebP image, or has too many pixels. */
class InvalidImageException extends ApiException
{
}
