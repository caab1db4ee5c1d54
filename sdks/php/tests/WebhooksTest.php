<?php

declare(strict_types=1);

namespace ProdVisual\Tests;

use ProdVisual\Batch;
use ProdVisual\Client;
use ProdVisual\Exception\WebhookVerificationException;
use ProdVisual\Generation;
use ProdVisual\Webhook;

/** Webhook verification with signatures made by the server (test plan: HOOK-*). */
final class WebhooksTest extends TestCase
{
    /** @testdox HOOK-1 generation webhook: verifies with the key that made it and its timestamp, and with nothing else; parses */
    public function testAGenerationWebhookVerifiesWithTheKeyThatMadeIt(): void
    {
        $pending = $this->client->generate($this->sources->item(2, ['webhook_url' => $this->receiver->url]));
        $delivery = $this->receiver->waitFor('generation.completed', $pending->id);
        $signature = $delivery->header('X-ProdVisual-Signature');
        $timestamp = $delivery->header('X-ProdVisual-Timestamp');
        $key = $this->server->liveKey;

        self::assertTrue(Webhook::verify($delivery->body, $signature, $key));
        self::assertTrue(Webhook::verify($delivery->body, $signature, $key, $timestamp));
        self::assertTrue(Client::verifyWebhook($delivery->body, $signature, $key, timestamp: $timestamp));
        self::assertSame($signature, Webhook::computeSignature($delivery->body, $key));

        // Anything else fails: another key, a changed body, a cut or empty signature, an old delivery.
        self::assertFalse(Webhook::verify($delivery->body, $signature, $this->server->testKey));
        $tampered = preg_replace('/completed/', 'failed', $delivery->body, 1);
        self::assertNotSame($delivery->body, $tampered);
        self::assertFalse(Webhook::verify($tampered, $signature, $key));
        self::assertFalse(Webhook::verify($delivery->body, substr($signature, 0, -2), $key));
        self::assertFalse(Webhook::verify($delivery->body, '', $key));
        self::assertFalse(Webhook::verify($delivery->body, null, $key));
        self::assertFalse(Webhook::verify($delivery->body, $signature, $key, (string) (time() - 3600)));
        self::assertFalse(Webhook::verify($delivery->body, $signature, $key, 'not a number'));

        $event = Webhook::parse($delivery->body, $delivery->headers, $key);
        self::assertSame('generation.completed', $event->event);
        self::assertSame($pending->id, $event->data['id']);
        self::assertSame($delivery->header('X-ProdVisual-Event-Id'), $event->event_id);
        self::assertNotNull($event->event_id);
        $generation = $event->generation();
        self::assertInstanceOf(Generation::class, $generation);
        self::assertSame('completed', $generation->status);
        self::assertNotNull($generation->output_url);
        self::assertNull($event->batch());
        $this->expectException(WebhookVerificationException::class);
        Webhook::parse($tampered, $delivery->headers, $key);
    }

    /** @testdox HOOK-1 the headers are found whatever their case, in $_SERVER form and as lists */
    public function testHeadersInEveryShape(): void
    {
        $pending = $this->client->generate($this->sources->item(0, ['webhook_url' => $this->receiver->url]));
        $delivery = $this->receiver->waitFor('generation.completed', $pending->id);
        $lower = array_change_key_case($delivery->headers, CASE_LOWER);
        $server = [];
        $lists = [];
        foreach ($delivery->headers as $name => $value) {
            $server['HTTP_' . strtoupper(str_replace('-', '_', $name))] = $value;
            $lists[$name] = [$value];
        }
        foreach ([$lower, $server, $lists] as $headers) {
            self::assertSame($pending->id, Webhook::parse($delivery->body, $headers, $this->server->liveKey)->data['id']);
        }
        $missing = $delivery->headers;
        unset($missing['X-ProdVisual-Timestamp']);
        self::assertInstanceOf(WebhookVerificationException::class, self::thrown(fn () => Webhook::parse($delivery->body, $missing, $this->server->liveKey)));
    }

    /** @testdox HOOK-2 batch webhook: batch.completed verifies and parses with every item */
    public function testABatchWebhookVerifies(): void
    {
        $batch = $this->client->generateBatch([$this->sources->item(0), $this->sources->item(1)], $this->receiver->url);
        $done = $this->client->waitForCompletion($batch->batch_id, timeout: 120, pollInterval: 0.25);
        self::assertInstanceOf(Batch::class, $done);
        self::assertSame('completed', $done->status);
        $delivery = $this->receiver->waitFor('batch.completed', $batch->batch_id);
        $event = Client::parseWebhook($delivery->body, $delivery->headers, $this->server->liveKey);
        self::assertSame('batch.completed', $event->event);
        $parsed = $event->batch();
        self::assertInstanceOf(Batch::class, $parsed);
        self::assertSame($batch->batch_id, $parsed->batch_id);
        self::assertSame(['completed', 'completed'], array_map(static fn (Generation $item): string => $item->status, $parsed->items));
        self::assertNull($event->generation());
    }

    /** @testdox HOOK-3 signature vector: RFC 4231 test case 2 */
    public function testTheSignatureIsTheHexHmacOfTheBody(): void
    {
        $mac = '5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843';
        $body = 'what do ya want for nothing?';
        self::assertSame($mac, Webhook::computeSignature($body, 'Jefe'));
        self::assertTrue(Webhook::verify($body, strtoupper($mac), 'Jefe'));
        self::assertTrue(Webhook::verify($body, "sha256=$mac", 'Jefe'));
        self::assertFalse(Webhook::verify($body, $mac, 'Jefe', timestamp: 1000, now: 1301));
        self::assertTrue(Webhook::verify($body, $mac, 'Jefe', timestamp: 1000, now: 1300));
        self::assertTrue(Webhook::verify($body, $mac, 'Jefe', timestamp: 1000, tolerance: null, now: 99999));
        self::assertFalse(Webhook::verify($body, str_repeat("\u{e9}", 64), 'Jefe'));
        self::assertFalse(Webhook::verify($body, $mac, ''));
        self::assertFalse(Webhook::verify('x', $mac, 'Jefe'));
    }
}
