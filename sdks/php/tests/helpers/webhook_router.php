<?php

declare(strict_types=1);

// The router of the webhook receiver (Harness/WebhookReceiver.php), under `php -S`: each POST's
// raw body and headers, as sent, appended as one JSON line.

if ($_SERVER['REQUEST_METHOD'] !== 'POST') {
    http_response_code(405);
    return;
}
$record = [
    'body' => base64_encode((string) file_get_contents('php://input')),
    'headers' => getallheaders(),
    'received_at' => microtime(true),
];
file_put_contents((string) getenv('PV_DELIVERIES'), json_encode($record, JSON_UNESCAPED_SLASHES) . "\n", FILE_APPEND | LOCK_EX);
http_response_code(200);
