<?php

declare(strict_types=1);

namespace ProdVisual\Tests;

use ProdVisual\ApiKey;
use ProdVisual\Batch;
use ProdVisual\Client;
use ProdVisual\Exception\PermissionDeniedException;
use ProdVisual\Exception\UnauthorizedException;
use ProdVisual\Generation;
use ProdVisual\GenerationPage;
use ProdVisual\Usage;

/** Usage, the account's history and its API keys, against the real server (test plan: ACCT-*). */
final class AccountTest extends TestCase
{
    /** @testdox ACCT-1 usage: every day of the period, today's credits and generations counted */
    public function testUsage(): void
    {
        $this->client->generate($this->sources->item(0));
        $usage = $this->client->usage(7);
        self::assertInstanceOf(Usage::class, $usage);
        self::assertCount(7, $usage);
        $today = gmdate('Y-m-d');
        self::assertSame($today, $usage->days[6]->date);
        self::assertSame($today, $usage->to);
        self::assertGreaterThanOrEqual(1, $usage->days[6]->credits_used);
        self::assertGreaterThanOrEqual(1, $usage->days[6]->generations);
        self::assertSame($usage->credits_used, array_sum(array_map(static fn ($day) => $day->credits_used, $usage->days)));
    }

    /** @testdox ACCT-2 list generations: newest first, a page at a time, every entry once through iterGenerations */
    public function testListGenerations(): void
    {
        $first = $this->client->generate($this->sources->item(0));
        $second = $this->client->generate($this->sources->item(1));
        $page = $this->client->listGenerations(1);
        self::assertInstanceOf(GenerationPage::class, $page);
        self::assertTrue($page->has_more);
        self::assertSame([$second->id], array_map(static fn ($entry) => $entry->id, $page->data));
        $next = $this->client->listGenerations(1, $page->lastId());
        self::assertSame([$first->id], array_map(static fn ($entry) => $entry->id, $next->data));
        $ids = [];
        foreach ($this->client->iterGenerations(2) as $entry) {
            self::assertTrue($entry instanceof Generation || $entry instanceof Batch);
            $ids[] = $entry->id;
        }
        self::assertSame([$second->id, $first->id], array_slice($ids, 0, 2));
        self::assertSame(count($ids), count(array_unique($ids)));
    }

    /** @testdox ACCT-3 keys: a live key creates a key (its secret once), lists it, revokes it; the revoked key gets 401 */
    public function testKeys(): void
    {
        $created = $this->client->createKey('sdk test', 'test');
        self::assertInstanceOf(ApiKey::class, $created);
        self::assertNotNull($created->secret);
        self::assertStringStartsWith('pv_test_', $created->secret);
        self::assertStringEndsWith($created->hint, $created->secret);
        self::assertSame(['sdk test', 'test', 'pv_test_'], [$created->name, $created->mode, $created->prefix]);
        (new Client($created->secret, ['base_url' => $this->server->baseUrl]))->credits();
        $keys = $this->client->listKeys();
        self::assertSame($created->id, $keys[0]->id);
        self::assertNull($keys[0]->secret);
        self::assertNotNull($keys[0]->last_used_at);
        self::assertTrue($this->client->revokeKey($created->id)->isRevoked());
        $error = self::thrown(fn () => (new Client($created->secret, ['base_url' => $this->server->baseUrl, 'max_retries' => 0]))->credits());
        self::checkError($error, UnauthorizedException::class, 'unauthorized', 401);
    }

    /** @testdox ACCT-4 a test key may not manage keys: PermissionDeniedException, 403, code unauthorized */
    public function testTestKeyRefused(): void
    {
        $sandbox = new Client($this->server->testKey, ['base_url' => $this->server->baseUrl, 'max_retries' => 0]);
        $error = self::thrown(fn () => $sandbox->listKeys());
        self::checkError($error, PermissionDeniedException::class, 'unauthorized', 403);
        self::assertInstanceOf(UnauthorizedException::class, $error);
    }
}
