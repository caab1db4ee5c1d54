<?php

declare(strict_types=1);

namespace ProdVisual;

use ProdVisual\Exception\ApiException;
use ProdVisual\Exception\ConnectionException;
use ProdVisual\Exception\ProdVisualException;
use ProdVisual\Exception\RateLimitedException;
use ProdVisual\Exception\WaitTimeoutException;

/**
 * A client for the ProdVisual v1 API.
 *
 *     $client = new \ProdVisual\Client('pv_live_...', ['base_url' => 'http://127.0.0.1:8080']);
 *     $result = $client->generate(['image_url' => $url, 'style' => 'lifestyle', 'platform' => 'amazon']);
 *     echo $result->output_url, ' ', $result->credits_remaining;
 *
 * The key defaults to the PRODVISUAL_API_KEY environment variable; base_url to
 * PRODVISUAL_BASE_URL, then https://api.prodvisual.com (a trailing /v1 is accepted). Failed
 * requests are retried up to max_retries times: connection errors, 409 (the same
 * Idempotency-Key in flight), 429 and 5xx. A 429's Retry-After is honoured when it is at most
 * max_retry_wait seconds (a longer one throws RateLimitedException at once); the others back
 * off exponentially from backoff_base up to backoff_max seconds, with jitter. Every POST
 * carries an Idempotency-Key (a new UUID per call unless one is given), the same on each
 * retry, so a retried POST is never charged twice.
 */
final class Client
{
    public const VERSION = '1.0.0';
    public const DEFAULT_BASE_URL = 'https://api.prodvisual.com';

    /** Answers worth another attempt: 409 (the same Idempotency-Key is still in flight), 429 and 5xx. */
    public const RETRYABLE_STATUSES = [409, 429, 500, 502, 503, 504];

    private const OPTIONS = [
        'base_url', 'timeout', 'max_retries', 'max_retry_wait', 'backoff_base', 'backoff_max', 'user_agent', 'on_retry',
    ];

    public readonly string $baseUrl;
    /** Seconds each attempt may take. */
    public readonly float $timeout;
    public readonly int $maxRetries;
    public readonly float $maxRetryWait;
    public readonly float $backoffBase;
    public readonly float $backoffMax;
    public readonly string $userAgent;

    private readonly string $apiKey;
    /** @var (\Closure(int, float, ProdVisualException): void)|null */
    private readonly ?\Closure $onRetry;

    /**
     * @param array{
     *     base_url?: string, timeout?: float|int, max_retries?: int, max_retry_wait?: float|int,
     *     backoff_base?: float|int, backoff_max?: float|int, user_agent?: string,
     *     on_retry?: callable(int, float, ProdVisualException): void
     * } $options on_retry is called before each retry with the attempt number (from 1), the
     *   seconds it will wait and the error
     */
    public function __construct(?string $apiKey = null, array $options = [])
    {
        $unknown = array_diff(array_keys($options), self::OPTIONS);
        if ($unknown !== []) {
            throw new \InvalidArgumentException('Unknown option(s): ' . implode(', ', $unknown) . '; known: ' . implode(', ', self::OPTIONS));
        }
        $key = $apiKey ?? (getenv('PRODVISUAL_API_KEY') ?: null);
        if ($key === null || $key === '') {
            throw new \InvalidArgumentException('An API key is required: new Client($apiKey) or PRODVISUAL_API_KEY.');
        }
        $this->apiKey = $key;
        $this->baseUrl = self::normaliseBaseUrl($options['base_url'] ?? (getenv('PRODVISUAL_BASE_URL') ?: self::DEFAULT_BASE_URL));
        $this->timeout = (float) ($options['timeout'] ?? 120.0);
        $this->maxRetries = max(0, (int) ($options['max_retries'] ?? 3));
        $this->maxRetryWait = (float) ($options['max_retry_wait'] ?? 60.0);
        $this->backoffBase = (float) ($options['backoff_base'] ?? 0.5);
        $this->backoffMax = (float) ($options['backoff_max'] ?? 8.0);
        $this->userAgent = $options['user_agent'] ?? 'prodvisual-php/' . self::VERSION;
        $onRetry = $options['on_retry'] ?? null;
        $this->onRetry = $onRetry !== null ? \Closure::fromCallable($onRetry) : null;
    }

    /** The key stays out of var_dump() and print_r(). */
    public function __debugInfo(): array
    {
        return ['baseUrl' => $this->baseUrl, 'apiKey' => substr($this->apiKey, 0, 8) . '…'];
    }

    private static function normaliseBaseUrl(string $url): string
    {
        $url = rtrim(trim($url), '/');
        if (str_ends_with($url, '/v1')) {
            $url = substr($url, 0, -strlen('/v1'));
        }
        $scheme = parse_url($url, PHP_URL_SCHEME);
        $host = parse_url($url, PHP_URL_HOST);
        if (!in_array($scheme, ['http', 'https'], true) || !is_string($host) || $host === '') {
            throw new \InvalidArgumentException("base_url must be an http(s) URL, got '$url'");
        }
        return $url;
    }

    // MARK: Endpoints

    /**
     * POST /v1/generate: one product visual.
     *
     * $params are the API's parameters: image_url (or image_base64, or image: a file path or
     * a stream, sent inline), style (required), platform, dimensions, background, format,
     * quality, webhook_url, text, scene, seed, compare_style, colors; null values are left
     * out, any other key is sent as is. Without webhook_url the call renders synchronously and
     * returns the completed Generation; with it, it returns at once with status pending.
     *
     * @param array<string, mixed> $params
     */
    public function generate(array $params, ?string $idempotencyKey = null): Generation
    {
        $body = self::generationParams($params);
        if (!isset($body['style']) || $body['style'] === '') {
            throw new \InvalidArgumentException("generate() needs a style, e.g. ['style' => 'white_bg']");
        }
        $response = $this->request('POST', '/v1/generate', $body, $idempotencyKey);
        return Generation::fromArray(self::object($response), self::replayed($response));
    }

    /**
     * POST /v1/generate/batch: up to 50 generations queued as one batch (status 202).
     *
     * Each item takes the parameters of generate(). Returns the Batch: batch_id, status,
     * total_items, credits_used, credits_remaining, estimated_time_ms, results_url and items.
     * Wait for it with waitForCompletion($batch).
     *
     * @param iterable<array<string, mixed>> $items
     */
    public function generateBatch(iterable $items, ?string $webhookUrl = null, ?string $idempotencyKey = null): Batch
    {
        $list = [];
        foreach ($items as $item) {
            $list[] = self::generationParams($item);
        }
        $body = ['items' => $list];
        if ($webhookUrl !== null) {
            $body['webhook_url'] = $webhookUrl;
        }
        $response = $this->request('POST', '/v1/generate/batch', $body, $idempotencyKey);
        return Batch::fromArray(self::object($response), self::replayed($response));
    }

    /** GET /v1/styles: every style, with the parameters it uses and its scenes. */
    public function styles(): StyleList
    {
        return StyleList::fromArray(self::object($this->request('GET', '/v1/styles')));
    }

    /** GET /v1/platforms: the platform presets (size, fill, background rule, formats). */
    public function platforms(): PlatformList
    {
        return PlatformList::fromArray(self::object($this->request('GET', '/v1/platforms')));
    }

    /** GET /v1/account/credits: balance, usage in total and today, last purchase. */
    public function credits(): Credits
    {
        return Credits::fromArray(self::object($this->request('GET', '/v1/account/credits')));
    }

    /**
     * GET /v1/account/usage: credits used (net of refunds) and generations per UTC day for the
     * last $days days (1-90), today included, oldest first.
     */
    public function usage(int $days = 30): Usage
    {
        return Usage::fromArray(self::object($this->request('GET', '/v1/account/usage?days=' . $days)));
    }

    /**
     * GET /v1/generations: one page of the account's generations and batches, newest first
     * ($limit 1-100, the server's default 20). While has_more, the next page starts after
     * lastId(); iterGenerations() walks every page.
     */
    public function listGenerations(?int $limit = null, ?string $startingAfter = null): GenerationPage
    {
        $query = [];
        if ($limit !== null) {
            $query['limit'] = $limit;
        }
        if ($startingAfter !== null) {
            $query['starting_after'] = $startingAfter;
        }
        $path = '/v1/generations' . ($query === [] ? '' : '?' . http_build_query($query, '', '&', PHP_QUERY_RFC3986));
        return GenerationPage::fromArray(self::object($this->request('GET', $path)));
    }

    /**
     * Every generation and batch of the account, newest first, fetched $pageSize at a time.
     *
     * @return \Generator<int, Generation|Batch>
     */
    public function iterGenerations(int $pageSize = 20, ?string $startingAfter = null): \Generator
    {
        $cursor = $startingAfter;
        while (true) {
            $page = $this->listGenerations($pageSize, $cursor);
            foreach ($page->data as $entry) {
                yield $entry;
            }
            if (!$page->has_more || count($page) === 0) {
                return;
            }
            $cursor = $page->lastId();
        }
    }

    /**
     * GET /v1/keys: the account's API keys, revoked ones included, newest first. Live keys only:
     * a test key gets PermissionDeniedException (403).
     *
     * @return list<ApiKey>
     */
    public function listKeys(): array
    {
        $data = self::object($this->request('GET', '/v1/keys'));
        $keys = [];
        foreach (is_array($data['data'] ?? null) ? $data['data'] : [] as $entry) {
            if (is_array($entry)) {
                $keys[] = ApiKey::fromArray($entry);
            }
        }
        return $keys;
    }

    /**
     * POST /v1/keys: a new key for the account ($mode 'live' or 'test'); its secret is in this
     * answer only. Not idempotent on the server: a retry after a lost answer may create a second key.
     */
    public function createKey(?string $name = null, string $mode = 'live'): ApiKey
    {
        $body = ['mode' => $mode];
        if ($name !== null) {
            $body['name'] = $name;
        }
        return ApiKey::fromArray(self::object($this->request('POST', '/v1/keys', $body)));
    }

    /** DELETE /v1/keys/{id}: revokes one of the account's keys and returns it. */
    public function revokeKey(string $id): ApiKey
    {
        return ApiKey::fromArray(self::object($this->request('DELETE', '/v1/keys/' . rawurlencode($id))));
    }

    /** GET /v1/generations/{id}: a generation (gen_...) or a batch (batch_...). */
    public function getGeneration(string $id): Generation|Batch
    {
        $data = self::object($this->request('GET', '/v1/generations/' . rawurlencode($id)));
        if (array_key_exists('batch_id', $data) && !array_key_exists('id', $data)) {
            return Batch::fromArray($data);
        }
        return Generation::fromArray($data);
    }

    /** GET /v1/generations/{batch_id}, typed as a Batch. */
    public function getBatch(string $batchId): Batch
    {
        $result = $this->getGeneration($batchId);
        if (!$result instanceof Batch) {
            throw new \InvalidArgumentException("$batchId is a generation, not a batch");
        }
        return $result;
    }

    /**
     * Polls GET /v1/generations/{id} until the generation or batch is completed or failed, and
     * returns it (a failed one is returned, not thrown: see its error).
     *
     * $target is an id, a Generation or a Batch; one already finished is returned as is.
     * Throws WaitTimeoutException, whose getLast() is the last status read, after $timeout
     * seconds.
     */
    public function waitForCompletion(string|Generation|Batch $target, float $timeout = 300.0, float $pollInterval = 1.0): Generation|Batch
    {
        if (!is_string($target)) {
            if ($target->isDone()) {
                return $target;
            }
            $target = $target->id;
        }
        $deadline = hrtime(true) / 1e9 + $timeout;
        while (true) {
            $last = $this->getGeneration($target);
            if ($last->isDone()) {
                return $last;
            }
            $left = $deadline - hrtime(true) / 1e9;
            if ($left <= 0) {
                throw new WaitTimeoutException(sprintf('%s was still %s after %g s', $target, $last->status, $timeout), $last);
            }
            self::sleep(min(max($pollInterval, 0.01), $left));
        }
    }

    /** The rendered image's bytes, from a Generation or its output_url. */
    public function download(string|Generation $output): string
    {
        $url = $output instanceof Generation ? $output->output_url : $output;
        if ($url === null || $url === '') {
            throw new \InvalidArgumentException('This generation has no output_url (not completed, or expired).');
        }
        return $this->request('GET', $url)['body'];
    }

    /**
     * Webhook::verify(), also reachable from the client.
     */
    public static function verifyWebhook(
        string $payload,
        ?string $signature,
        string $apiKey,
        string|int|float|null $timestamp = null,
        ?float $tolerance = Webhook::DEFAULT_TOLERANCE,
        ?float $now = null,
    ): bool {
        return Webhook::verify($payload, $signature, $apiKey, $timestamp, $tolerance, $now);
    }

    /**
     * Webhook::parse(), also reachable from the client.
     *
     * @param array<string, string|list<string>> $headers
     */
    public static function parseWebhook(string $payload, array $headers, string $apiKey, ?float $tolerance = Webhook::DEFAULT_TOLERANCE): WebhookEvent
    {
        return Webhook::parse($payload, $headers, $apiKey, $tolerance);
    }

    // MARK: Parameters

    /**
     * @param array<string, mixed> $params
     * @return array<string, mixed>
     */
    private static function generationParams(array $params): array
    {
        $result = array_filter($params, static fn ($value): bool => $value !== null);
        if (array_key_exists('image', $result)) {
            $result['image_base64'] = base64_encode(self::readImage($result['image']));
            unset($result['image']);
        }
        if (isset($result['colors']) && is_array($result['colors'])) {
            $result['colors'] = array_values($result['colors']);
        }
        if (isset($result['text']) && $result['text'] === []) {
            $result['text'] = new \stdClass();
        }
        return $result;
    }

    private static function readImage(mixed $image): string
    {
        if (is_resource($image)) {
            $data = stream_get_contents($image);
        } elseif (is_string($image) || $image instanceof \SplFileInfo) {
            $data = @file_get_contents((string) $image);
        } else {
            throw new \InvalidArgumentException("'image' must be a file path or a stream; pass bytes as 'image_base64' => base64_encode(\$bytes)");
        }
        if ($data === false) {
            throw new \InvalidArgumentException('Cannot read the image ' . (is_string($image) ? $image : ''));
        }
        return $data;
    }

    // MARK: Transport

    /**
     * Sorted keys, no escaped slashes: the same request is the same bytes, which is how the
     * server recognises a repeated Idempotency-Key.
     */
    private static function canonical(mixed $value): mixed
    {
        if (is_array($value)) {
            if (!array_is_list($value)) {
                ksort($value, SORT_STRING);
            }
            return array_map([self::class, 'canonical'], $value);
        }
        return $value;
    }

    /**
     * @param array{status: int, headers: array<string, string>, body: string} $response
     * @return array<mixed>
     */
    private static function object(array $response): array
    {
        $data = json_decode($response['body'], true);
        if (!is_array($data) || ($data !== [] && array_is_list($data))) {
            throw new ApiException(
                'Expected a JSON object, got ' . var_export(substr($response['body'], 0, 200), true),
                'invalid_response',
                $response['status'],
                $response['headers'],
            );
        }
        return $data;
    }

    /** @param array{status: int, headers: array<string, string>, body: string} $response */
    private static function replayed(array $response): bool
    {
        return strtolower($response['headers']['idempotent-replayed'] ?? '') === 'true';
    }

    /**
     * @param array<string, mixed>|null $body
     * @return array{status: int, headers: array<string, string>, body: string}
     */
    private function request(string $method, string $pathOrUrl, ?array $body = null, ?string $idempotencyKey = null): array
    {
        $url = preg_match('#^https?://#', $pathOrUrl) ? $pathOrUrl : $this->baseUrl . $pathOrUrl;
        $headers = ['Accept: application/json', 'User-Agent: ' . $this->userAgent, 'Expect:'];
        if (str_starts_with($url, $this->baseUrl . '/')) {
            // The key goes to this API only, never to another host an output URL may name.
            $headers[] = 'Authorization: Bearer ' . $this->apiKey;
        }
        $data = null;
        if ($body !== null) {
            $data = json_encode(self::canonical($body), JSON_UNESCAPED_SLASHES | JSON_PRESERVE_ZERO_FRACTION | JSON_THROW_ON_ERROR);
            $headers[] = 'Content-Type: application/json';
        }
        if ($method === 'POST') {
            // One key for the whole call: every retry is the same request to the server.
            $headers[] = 'Idempotency-Key: ' . ($idempotencyKey !== null && $idempotencyKey !== '' ? $idempotencyKey : self::uuid4());
        }

        $attempt = 0;
        while (true) {
            try {
                $response = $this->send($method, $url, $headers, $data);
            } catch (ConnectionException $failure) {
                $error = $failure;
                $wait = $attempt < $this->maxRetries ? $this->backoff($attempt) : null;
                $response = null;
            }
            if ($response !== null) {
                if ($response['status'] < 400) {
                    return $response;
                }
                $error = ApiException::fromResponse($response['status'], $response['headers'], json_decode($response['body'], true));
                $wait = $this->retryWait($error, $attempt);
            }
            if ($wait === null) {
                throw $error;
            }
            $attempt++;
            if ($this->onRetry !== null) {
                ($this->onRetry)($attempt, $wait, $error);
            }
            self::sleep($wait);
        }
    }

    /** Seconds to wait before retrying after $error, or null to give up. */
    private function retryWait(ApiException $error, int $attempt): ?float
    {
        if ($attempt >= $this->maxRetries || !in_array($error->getStatus(), self::RETRYABLE_STATUSES, true)) {
            return null;
        }
        $retryAfter = RateLimitedException::parseRetryAfter($error->getHeader('retry-after'));
        if ($retryAfter !== null) {
            if ($retryAfter > $this->maxRetryWait) {
                return null;
            }
            // At least what the server asked, plus a little jitter so clients do not stampede.
            return $retryAfter + self::uniform(0.0, min(0.25, $retryAfter * 0.1 + 0.05));
        }
        if ($error instanceof RateLimitedException && $error->getReset() !== null) {
            // No Retry-After: wait until X-RateLimit-Reset when it is near, else back off.
            $untilReset = $error->getReset() - microtime(true);
            if ($untilReset > 0 && $untilReset <= $this->maxRetryWait) {
                return $untilReset + self::uniform(0.0, 0.25);
            }
        }
        return $this->backoff($attempt);
    }

    private function backoff(int $attempt): float
    {
        $ceiling = min($this->backoffMax, $this->backoffBase * (2 ** min($attempt, 30)));
        return $ceiling * self::uniform(0.5, 1.0);
    }

    /**
     * @param list<string> $headers
     * @return array{status: int, headers: array<string, string>, body: string}
     */
    private function send(string $method, string $url, array $headers, ?string $data): array
    {
        $handle = curl_init();
        $responseHeaders = [];
        $milliseconds = max(1, (int) ceil($this->timeout * 1000));
        curl_setopt_array($handle, [
            CURLOPT_URL => $url,
            CURLOPT_CUSTOMREQUEST => $method,
            CURLOPT_RETURNTRANSFER => true,
            // The API never redirects; a redirect (e.g. http to https) must not turn a POST into a GET.
            CURLOPT_FOLLOWLOCATION => false,
            CURLOPT_TIMEOUT_MS => $milliseconds,
            CURLOPT_CONNECTTIMEOUT_MS => $milliseconds,
            CURLOPT_NOSIGNAL => true,
            CURLOPT_HTTPHEADER => $headers,
            CURLOPT_HEADERFUNCTION => static function ($handle, string $line) use (&$responseHeaders): int {
                if (str_starts_with($line, 'HTTP/')) {
                    $responseHeaders = []; // a new response (after a 100 Continue, say)
                } elseif (str_contains($line, ':')) {
                    [$name, $value] = explode(':', $line, 2);
                    $responseHeaders[strtolower(trim($name))] = trim($value);
                }
                return strlen($line);
            },
        ]);
        if ($data !== null) {
            curl_setopt($handle, CURLOPT_POSTFIELDS, $data);
        }
        $body = curl_exec($handle);
        if ($body === false) {
            $reason = curl_error($handle) ?: 'curl error ' . curl_errno($handle);
            curl_close($handle);
            throw new ConnectionException("$method $url: $reason");
        }
        $status = (int) curl_getinfo($handle, CURLINFO_RESPONSE_CODE);
        curl_close($handle);
        return ['status' => $status, 'headers' => $responseHeaders, 'body' => (string) $body];
    }

    private static function sleep(float $seconds): void
    {
        if ($seconds > 0) {
            usleep((int) round($seconds * 1_000_000));
        }
    }

    private static function uniform(float $low, float $high): float
    {
        return $low + ($high - $low) * (random_int(0, PHP_INT_MAX) / PHP_INT_MAX);
    }

    private static function uuid4(): string
    {
        $bytes = random_bytes(16);
        $bytes[6] = chr((ord($bytes[6]) & 0x0f) | 0x40);
        $bytes[8] = chr((ord($bytes[8]) & 0x3f) | 0x80);
        return vsprintf('%s%s-%s-%s-%s-%s%s%s', str_split(bin2hex($bytes), 4));
    }
}
