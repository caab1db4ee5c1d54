<?php

declare(strict_types=1);

namespace ProdVisual\Exception;

use ProdVisual\Batch;
use ProdVisual\Generation;

/**
 * Client::waitForCompletion() gave up before the generation or batch finished; getLast() is
 * the last status read.
 */
class WaitTimeoutException extends ProdVisualException
{
    public function __construct(string $message, private readonly Generation|Batch|null $last = null)
    {
        parent::__construct($message, 'timeout', null);
    }

    public function getLast(): Generation|Batch|null
    {
        return $this->last;
    }
}
