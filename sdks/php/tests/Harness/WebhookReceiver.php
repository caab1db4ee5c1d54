<?php

declare(strict_types=1);

namespace ProdVisual\Tests\Harness;

use PHPUnit\Framework\Assert;

/**
 * A customer's webhook endpoint on loopback (helpers/webhook_router.php): records every POST,
 * raw body and headers, and answers 200.
 */
final class WebhookReceiver
{
    public readonly string $url;
    private PhpServer $server;
    private string $dir;

    public function __construct()
    {
        $this->dir = Processes::tempDir('pv-sdk-php-hooks-');
        $this->server = new PhpServer(
            dirname(__DIR__) . '/helpers/webhook_router.php',
            ['PV_DELIVERIES' => "{$this->dir}/deliveries.jsonl"],
            "{$this->dir}/php-server.log",
        );
        $this->url = "{$this->server->baseUrl}/hook";
    }

    /** @return list<Delivery> */
    public function deliveries(): array
    {
        $file = "{$this->dir}/deliveries.jsonl";
        if (!is_file($file)) {
            return [];
        }
        $handle = fopen($file, 'r');
        flock($handle, LOCK_SH);
        $text = stream_get_contents($handle);
        flock($handle, LOCK_UN);
        fclose($handle);
        $deliveries = [];
        foreach (explode("\n", (string) $text) as $line) {
            $record = json_decode($line, true);
            if (is_array($record)) {
                $deliveries[] = new Delivery(base64_decode($record['body']), $record['headers'], $record['received_at']);
            }
        }
        return $deliveries;
    }

    /** The first delivery of $event whose data names $objectId. */
    public function waitFor(string $event, string $objectId, float $timeout = 30): Delivery
    {
        $deadline = microtime(true) + $timeout;
        $deliveries = [];
        while (microtime(true) < $deadline) {
            $deliveries = $this->deliveries();
            foreach ($deliveries as $delivery) {
                $payload = $delivery->payload();
                $data = $payload['data'] ?? [];
                if (($payload['event'] ?? null) === $event && in_array($objectId, [$data['id'] ?? null, $data['batch_id'] ?? null], true)) {
                    return $delivery;
                }
            }
            usleep(50_000);
        }
        Assert::fail("no $event delivery for $objectId within $timeout s; got " . count($deliveries));
    }

    public function stop(): void
    {
        $this->server->stop();
        Processes::removeTree($this->dir);
    }
}
