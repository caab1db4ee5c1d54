<?php

declare(strict_types=1);

namespace ProdVisual\Exception;

/** 500 server_error (or any other 5xx): the server failed; the request may be retried. */
class ServerErrorException extends ApiException
{
}
