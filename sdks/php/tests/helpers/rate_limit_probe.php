<?php

declare(strict_types=1);

// The rate-limit probe (Harness/RateLimitProbe.php): the calls that must meet a 429, against
// the server limited to 2 requests a minute named by the arguments. Prints its results as JSON.

use ProdVisual\Client;
use ProdVisual\Exception\ProdVisualException;
use ProdVisual\Exception\RateLimitedException;

require dirname(__DIR__, 2) . '/src/autoload.php';

[, $baseUrl, $key] = $argv;

/** @return array<string, mixed> */
function describe(ProdVisualException $error): array
{
    $limited = $error instanceof RateLimitedException;
    return [
        'class' => get_class($error),
        'code' => $error->getErrorCode(),
        'status' => $error->getStatus(),
        'message' => $error->getMessage(),
        'retry_after' => $limited ? $error->getRetryAfter() : null,
        'limit' => $limited ? $error->getLimit() : null,
        'remaining' => $limited ? $error->getRemaining() : null,
        'reset' => $limited ? $error->getReset() : null,
    ];
}

$results = ['failure' => null];
try {
    // Spend the window: the first refused call carries the server's Retry-After.
    $noRetry = new Client($key, ['base_url' => $baseUrl, 'max_retries' => 0]);
    for ($i = 0; $i < 6 && !isset($results['refused']); $i++) {
        try {
            $noRetry->credits();
        } catch (RateLimitedException $error) {
            $results['refused'] = describe($error);
        }
    }
    // A Retry-After longer than max_retry_wait is not waited for: thrown at once.
    $impatientRetries = 0;
    $impatient = new Client($key, [
        'base_url' => $baseUrl,
        'max_retries' => 3,
        'max_retry_wait' => 0.5,
        'on_retry' => function () use (&$impatientRetries): void {
            $impatientRetries++;
        },
    ]);
    try {
        $impatient->credits();
        $results['impatient'] = null;
    } catch (ProdVisualException $error) {
        $results['impatient'] = describe($error) + ['retries' => $impatientRetries];
    }
    // Retries on: the call waits for Retry-After and then succeeds.
    $retries = [];
    $patient = new Client($key, [
        'base_url' => $baseUrl,
        'max_retries' => 2,
        'max_retry_wait' => 61,
        'on_retry' => function (int $attempt, float $wait, ProdVisualException $error) use (&$retries): void {
            $retries[] = ['attempt' => $attempt, 'wait' => $wait] + describe($error);
        },
    ]);
    $start = hrtime(true);
    $credits = $patient->credits();
    $results['elapsed'] = (hrtime(true) - $start) / 1e9;
    $results['credits_remaining'] = $credits->credits_remaining;
    $results['retries'] = $retries;
} catch (\Throwable $error) {
    $results['failure'] = get_class($error) . ': ' . $error->getMessage();
}
echo json_encode($results, JSON_UNESCAPED_SLASHES), "\n";
