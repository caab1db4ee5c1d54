<?php

declare(strict_types=1);

namespace ProdVisual\Tests;

use ProdVisual\Client;
use ProdVisual\Exception\ConflictException;
use ProdVisual\Exception\FileTooLargeException;
use ProdVisual\Exception\InsufficientCreditsException;
use ProdVisual\Exception\InvalidImageException;
use ProdVisual\Exception\InvalidRequestException;
use ProdVisual\Exception\NotFoundException;
use ProdVisual\Exception\ServerErrorException;
use ProdVisual\Exception\UnauthorizedException;
use ProdVisual\Tests\Harness\BrokenOutputs;
use ProdVisual\Tests\Harness\Processes;

/** Each exception class, provoked on the real server (test plan: ERR-*; ERR-429 is in RateLimitTest). */
final class ErrorsTest extends TestCase
{
    /** @testdox ERR-400 invalid_request: an unknown style */
    public function testInvalidRequest(): void
    {
        $error = self::thrown(fn () => $this->client->generate(['image_url' => $this->sources->url(0), 'style' => 'no_such_style']));
        self::checkError($error, InvalidRequestException::class, 'invalid_request', 400);
        self::assertStringContainsStringIgnoringCase('style', $error->getMessage());
    }

    /** @testdox ERR-401 unauthorized: a made-up key */
    public function testUnauthorized(): void
    {
        $stranger = new Client('pv_live_not_a_real_key', ['base_url' => $this->server->baseUrl]);
        self::checkError(self::thrown(fn () => $stranger->credits()), UnauthorizedException::class, 'unauthorized', 401);
    }

    /** @testdox ERR-402 insufficient_credits: a key on a new account with 0 credits */
    public function testInsufficientCredits(): void
    {
        $broke = new Client($this->server->createKey(0), ['base_url' => $this->server->baseUrl]);
        $error = self::thrown(fn () => $broke->generate($this->sources->item(0)));
        self::checkError($error, InsufficientCreditsException::class, 'insufficient_credits', 402);
    }

    /** @testdox ERR-404 not_found: gen_doesnotexist */
    public function testNotFound(): void
    {
        $error = self::thrown(fn () => $this->client->getGeneration('gen_doesnotexist'));
        self::checkError($error, NotFoundException::class, 'not_found', 404);
    }

    /** @testdox ERR-409 conflict: the same Idempotency-Key while the first call (slow source) is in flight, retries off */
    public function testConflictWhileTheSameIdempotencyKeyIsInFlight(): void
    {
        $key = self::uuid();
        $params = $this->sources->item(0, ['image_url' => $this->sources->slowUrl(2)]);
        // The first call runs in a child process, as PHP runs one request at a time.
        $first = Processes::startPhp(__DIR__ . '/helpers/generate.php', [$key, json_encode($params)], [
            'PRODVISUAL_API_KEY' => $this->server->liveKey,
            'PRODVISUAL_BASE_URL' => $this->server->baseUrl,
        ]);
        usleep(700_000);
        $noRetry = new Client($this->server->liveKey, ['base_url' => $this->server->baseUrl, 'max_retries' => 0]);
        $error = self::thrown(fn () => $noRetry->generate($params, $key));
        self::checkError($error, ConflictException::class, 'conflict', 409);
        [$status, $stdout, $stderr] = Processes::finish($first, 60);
        self::assertSame(0, $status, $stderr);
        $result = json_decode($stdout, true);
        self::assertSame('completed', $result['status'] ?? null, $stdout);
    }

    /** @testdox ERR-413 file_too_large: an 11 MB source */
    public function testFileTooLarge(): void
    {
        $error = self::thrown(fn () => $this->client->generate(['image_url' => $this->sources->baseUrl . '/too-large.jpg', 'style' => 'white_bg']));
        self::checkError($error, FileTooLargeException::class, 'file_too_large', 413);
    }

    /** @testdox ERR-422 invalid_image: a text file served as image/jpeg */
    public function testInvalidImage(): void
    {
        $error = self::thrown(fn () => $this->client->generate(['image_url' => $this->sources->baseUrl . '/not-an-image.jpg', 'style' => 'white_bg']));
        self::checkError($error, InvalidImageException::class, 'invalid_image', 422);
    }

    /** @testdox ERR-500 server_error: the outputs folder replaced by a file, retries off */
    public function testServerErrorWithoutRetries(): void
    {
        $noRetry = new Client($this->server->liveKey, ['base_url' => $this->server->baseUrl, 'max_retries' => 0]);
        $broken = new BrokenOutputs($this->server);
        try {
            $error = self::thrown(fn () => $noRetry->generate($this->sources->item(0)));
        } finally {
            $broken->restore();
        }
        self::checkError($error, ServerErrorException::class, 'server_error', 500);
    }
}
