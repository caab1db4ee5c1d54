<?php

declare(strict_types=1);

namespace ProdVisual\Exception;

/** A webhook's signature or timestamp did not verify (thrown by Webhook::parse()). */
class WebhookVerificationException extends ProdVisualException
{
    public function __construct(string $message)
    {
        parent::__construct($message, 'invalid_signature', null);
    }
}
