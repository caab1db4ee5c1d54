<?php

declare(strict_types=1);

namespace ProdVisual\Tests;

use ProdVisual\Batch;
use ProdVisual\Credits;
use ProdVisual\Exception\WaitTimeoutException;
use ProdVisual\Generation;
use ProdVisual\StyleList;

/** Every /v1 endpoint through the client, against the real server (test plan: API-*). */
final class ApiTest extends TestCase
{
    /** @testdox API-1 styles: 22, the document's ids among them, a scene style lists its scenes */
    public function testStyles(): void
    {
        $styles = $this->client->styles();
        self::assertInstanceOf(StyleList::class, $styles);
        self::assertSame(22, $styles->total);
        self::assertCount(22, $styles);
        foreach (['lifestyle', 'white_bg', 'mockup', 'infographic', 'social_square', 'social_story', 'hero_banner', 'comparison'] as $documented) {
            self::assertContains($documented, $styles->ids());
        }
        $lifestyle = $styles->get('lifestyle');
        self::assertNotNull($lifestyle);
        self::assertNotSame('', $lifestyle->name);
        self::assertNotSame('', $lifestyle->description);
        self::assertNotEmpty($lifestyle->scenes);
        self::assertSame('lifestyle', iterator_to_array($styles)[array_search('lifestyle', $styles->ids(), true)]->id);
    }

    /** @testdox API-2 platforms and credits: amazon's preset; the balance and usage fields */
    public function testPlatformsAndCredits(): void
    {
        $platforms = $this->client->platforms();
        $amazon = $platforms->get('amazon');
        self::assertNotNull($amazon);
        self::assertNotSame('', $amazon->default_dimensions);
        self::assertGreaterThan(0, $amazon->product_fill);
        self::assertLessThanOrEqual(1, $amazon->product_fill);
        self::assertSame($platforms->total, count($platforms));
        $credits = $this->client->credits();
        self::assertInstanceOf(Credits::class, $credits);
        self::assertGreaterThanOrEqual(0, $credits->credits_remaining);
        self::assertSame($credits->credits_remaining, $credits->raw['credits_remaining']);
        foreach (['credits_used_total', 'credits_used_today', 'last_purchase'] as $field) {
            self::assertArrayHasKey($field, $credits->raw);
        }
        self::assertNotNull($credits->last_purchase);
        self::assertGreaterThan(0, $credits->last_purchase->amount);
    }

    /** @testdox API-3 generate, synchronously: 200 completed with the document's fields; the output downloads; a look-up has no credits_remaining */
    public function testGenerateSynchronously(): void
    {
        $before = $this->client->credits()->credits_remaining;
        $result = $this->client->generate($this->sources->item(0, ['platform' => 'amazon']));
        self::assertInstanceOf(Generation::class, $result);
        self::assertStringStartsWith('gen_', $result->id);
        self::assertSame('completed', $result->status);
        self::assertStringStartsWith($this->client->baseUrl . '/output/', (string) $result->output_url);
        self::assertSame(['white_bg', 'amazon', '400x400', 'jpeg'], [$result->style, $result->platform, $result->dimensions, $result->format]);
        self::assertSame(1, $result->credits_used);
        self::assertSame($before - 1, $result->credits_remaining);
        self::assertGreaterThan(0, $result->file_size);
        self::assertNotNull($result->generation_time_ms);
        self::assertNotNull($result->created_at);
        self::assertNotNull($result->expires_at);
        self::assertIsArray($result->compliance);
        self::assertArrayHasKey('main_image', $result->compliance);
        self::assertSame($result->output_url, $result->raw['output_url']);
        self::assertFalse($result->idempotent_replayed);
        $image = $this->client->download($result);
        self::assertSame("\xff\xd8\xff", substr($image, 0, 3));
        self::assertSame($result->file_size, strlen($image));
        $lookedUp = $this->client->getGeneration($result->id);
        self::assertInstanceOf(Generation::class, $lookedUp);
        self::assertSame('completed', $lookedUp->status);
        self::assertNull($lookedUp->credits_remaining); // only on the call that spent it
        self::assertArrayNotHasKey('credits_remaining', $lookedUp->raw);
    }

    /** @testdox API-4 an explicit Idempotency-Key is replayed: same id, one credit, also with the fields in another order */
    public function testAnExplicitIdempotencyKeyReplaysAndChargesOnce(): void
    {
        $key = self::uuid();
        $first = $this->client->generate($this->sources->item(1), $key);
        // The same request with its fields in another order is the same request.
        $again = $this->client->generate(array_reverse($this->sources->item(1), true), idempotencyKey: $key);
        self::assertFalse($first->idempotent_replayed);
        self::assertTrue($again->idempotent_replayed);
        self::assertSame($first->id, $again->id);
        self::assertSame($first->credits_remaining, $again->credits_remaining);
        self::assertSame($first->credits_remaining, $this->client->credits()->credits_remaining);
        // A batch whose items list their fields in another order is the same request.
        $items = [$this->sources->item(0), $this->sources->item(1)];
        $batch = $this->client->generateBatch($items, idempotencyKey: "$key-batch");
        $reordered = array_map(static fn (array $item): array => array_reverse($item, true), $items);
        $replayed = $this->client->generateBatch($reordered, idempotencyKey: "$key-batch");
        self::assertTrue($replayed->idempotent_replayed);
        self::assertSame($batch->batch_id, $replayed->batch_id);
        $this->client->waitForCompletion($batch, timeout: 120, pollInterval: 0.25);
    }

    /** @testdox API-4 each POST gets its own Idempotency-Key: two calls without one are two generations */
    public function testEachPostGetsItsOwnIdempotencyKey(): void
    {
        $one = $this->client->generate($this->sources->item(2));
        $two = $this->client->generate($this->sources->item(2));
        self::assertNotSame($one->id, $two->id);
        self::assertFalse($two->idempotent_replayed);
        self::assertSame($one->credits_remaining - 1, $two->credits_remaining);
    }

    /** @testdox API-5 generate with webhook_url: 202 pending, then waitForCompletion completes with an output */
    public function testGenerateWithAWebhookIsQueuedThenWaitedFor(): void
    {
        $pending = $this->client->generate($this->sources->item(0, ['webhook_url' => $this->receiver->url]));
        self::assertSame('pending', $pending->status);
        self::assertNull($pending->output_url);
        $done = $this->client->waitForCompletion($pending->id, timeout: 60, pollInterval: 0.2);
        self::assertInstanceOf(Generation::class, $done);
        self::assertSame('completed', $done->status);
        self::assertNotNull($done->output_url);
    }

    /** @testdox API-6 batch and wait: 3 items queued with the document's fields, then 3 completed outputs; the id reads back as a batch */
    public function testBatchThenWaitForCompletion(): void
    {
        $before = $this->client->credits()->credits_remaining;
        $batch = $this->client->generateBatch([$this->sources->item(0), $this->sources->item(1), $this->sources->item(2)]);
        self::assertInstanceOf(Batch::class, $batch);
        self::assertStringStartsWith('batch_', $batch->batch_id);
        self::assertSame($batch->batch_id, $batch->id);
        self::assertContains($batch->status, ['pending', 'processing']);
        self::assertSame(3, $batch->total_items);
        self::assertCount(3, $batch->items);
        self::assertSame(3, $batch->credits_used);
        self::assertSame($before - 3, $batch->credits_remaining);
        self::assertIsInt($batch->estimated_time_ms);
        self::assertStringEndsWith('/v1/generations/' . $batch->batch_id, (string) $batch->results_url);
        foreach (['batch_id', 'status', 'total_items', 'credits_used', 'credits_remaining', 'estimated_time_ms', 'results_url', 'items'] as $field) {
            self::assertArrayHasKey($field, $batch->raw);
        }
        $done = $this->client->waitForCompletion($batch, timeout: 120, pollInterval: 0.25);
        self::assertInstanceOf(Batch::class, $done);
        self::assertSame('completed', $done->status);
        self::assertSame(3, $done->completed_items);
        self::assertSame(0, $done->failed_items);
        self::assertSame(['completed', 'completed', 'completed'], array_map(static fn (Generation $item): string => $item->status, $done->items));
        foreach ($done->items as $item) {
            self::assertNotNull($item->output_url);
            self::assertSame($batch->batch_id, $item->batch_id);
        }
        self::assertInstanceOf(Batch::class, $this->client->getGeneration($batch->batch_id));
        self::assertSame($batch->batch_id, $this->client->getBatch($batch->batch_id)->batch_id);
    }

    /** @testdox API-7 wait time-out: a source answering after 3 s, waiting 0.3 s throws with the last status; waiting longer completes */
    public function testWaitForCompletionTimesOut(): void
    {
        $pending = $this->client->generate($this->sources->item(0, [
            'image_url' => $this->sources->slowUrl(3),
            'webhook_url' => $this->receiver->url,
        ]));
        $error = self::thrown(fn () => $this->client->waitForCompletion($pending, timeout: 0.3, pollInterval: 0.1));
        self::assertInstanceOf(WaitTimeoutException::class, $error);
        self::assertSame('timeout', $error->getErrorCode());
        self::assertNotNull($error->getLast());
        self::assertContains($error->getLast()->status, ['pending', 'processing']);
        self::assertSame('completed', $this->client->waitForCompletion($pending, timeout: 60, pollInterval: 0.2)->status);
    }
}
