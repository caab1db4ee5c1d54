<?php

declare(strict_types=1);

// One generate() call in a child process, to keep a request in flight while the test makes
// another (ERR-409). The key and base URL come from PRODVISUAL_API_KEY and
// PRODVISUAL_BASE_URL; the arguments are the Idempotency-Key and the parameters as JSON.
// Prints the result (or the error) as JSON.

use ProdVisual\Client;
use ProdVisual\Exception\ProdVisualException;

require dirname(__DIR__, 2) . '/src/autoload.php';

[, $idempotencyKey, $params] = $argv;
try {
    $result = (new Client())->generate(json_decode($params, true, 512, JSON_THROW_ON_ERROR), $idempotencyKey);
    echo json_encode(['id' => $result->id, 'status' => $result->status, 'replayed' => $result->idempotent_replayed]), "\n";
} catch (ProdVisualException $error) {
    echo json_encode(['error' => get_class($error), 'code' => $error->getErrorCode(), 'message' => $error->getMessage()]), "\n";
}
