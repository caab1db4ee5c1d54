'use strict';

// The shared test plan (sdks/TEST_PLAN.md) against a real `prodvisual serve` on loopback.

const assert = require('node:assert/strict');
const crypto = require('node:crypto');
const fs = require('node:fs');
const { after, before, describe, it } = require('node:test');

const {
  ProdVisual,
  ProdVisualError,
  APIConnectionError,
  AuthenticationError,
  ConflictError,
  FileTooLargeError,
  InsufficientCreditsError,
  InvalidImageError,
  InvalidRequestError,
  NotFoundError,
  PermissionDeniedError,
  RateLimitError,
  ServerError,
  WaitTimeoutError,
  WebhookVerificationError,
  verifyWebhook,
  parseWebhook,
  computeSignature,
} = require('..');
const { ServerProcess, SourceServer, WebhookReceiver, BrokenOutputs } = require('./harness');

let server;
let sources;
let receiver;
let client;
let probe;

/**
 * The calls that must meet a 429 run on their own server, limited to 2 requests a minute,
 * concurrently with the rest of the file: waiting for the clock-aligned window to roll (up to
 * 60 s) overlaps the other tests instead of adding to them.
 */
async function rateLimitProbe() {
  const limited = await ServerProcess.start({ rateLimitPerMinute: 2 });
  try {
    const results = {};
    const options = { baseUrl: limited.baseUrl };
    const noRetry = new ProdVisual(limited.liveKey, { ...options, maxRetries: 0 });
    for (let i = 0; i < 6 && !results.refused; i += 1) {
      try {
        await noRetry.credits();
      } catch (error) {
        if (!(error instanceof RateLimitError)) throw error;
        results.refused = error;
      }
    }
    const impatientRetries = [];
    const impatient = new ProdVisual(limited.liveKey, {
      ...options,
      maxRetries: 3,
      maxRetryWait: 500,
      onRetry: (info) => impatientRetries.push(info),
    });
    try {
      await impatient.credits();
    } catch (error) {
      results.impatient = { error, retries: impatientRetries };
    }
    results.retries = [];
    const patient = new ProdVisual(limited.liveKey, {
      ...options,
      maxRetries: 2,
      maxRetryWait: 61_000,
      onRetry: (info) => results.retries.push(info),
    });
    const start = Date.now();
    results.credits = await patient.credits();
    results.elapsed = Date.now() - start;
    return results;
  } finally {
    await limited.stop();
  }
}

function checkError(error, Class, code, status) {
  assert.equal(error.constructor, Class);
  assert.ok(error instanceof ProdVisualError);
  assert.equal(error.code, code);
  assert.equal(error.status, status);
  assert.ok(error.message.length > 0);
  return true;
}

before(async () => {
  probe = rateLimitProbe();
  probe.catch(() => {}); // awaited by its tests
  [server, sources, receiver] = await Promise.all([ServerProcess.start(), SourceServer.start(), WebhookReceiver.start()]);
  client = new ProdVisual(server.liveKey, { baseUrl: server.baseUrl });
});

after(async () => {
  await Promise.allSettled([probe]);
  await Promise.all([server && server.stop(), sources && sources.stop(), receiver && receiver.stop()]);
});

describe('API: every /v1 endpoint', () => {
  it('lists the documented styles', async () => {
    const styles = await client.styles();
    assert.equal(styles.total, 22);
    assert.equal(styles.styles.length, 22);
    const ids = styles.styles.map((style) => style.id);
    for (const id of ['lifestyle', 'white_bg', 'mockup', 'infographic', 'social_square', 'hero_banner', 'comparison']) {
      assert.ok(ids.includes(id), id);
    }
    const lifestyle = styles.styles.find((style) => style.id === 'lifestyle');
    assert.ok(lifestyle.name && lifestyle.description && lifestyle.scenes.length > 0);
  });

  it('reads platforms and credits', async () => {
    const platforms = await client.platforms();
    const amazon = platforms.platforms.find((platform) => platform.id === 'amazon');
    assert.ok(amazon.defaultDimensions && amazon.productFill > 0 && amazon.productFill <= 1);
    const credits = await client.credits();
    assert.ok(credits.creditsRemaining >= 0);
    assert.equal(credits.raw.credits_remaining, credits.creditsRemaining);
    assert.ok('creditsUsedTotal' in credits && 'creditsUsedToday' in credits && 'lastPurchase' in credits);
  });

  it('generates synchronously with the documented fields, in camelCase', async () => {
    const before = (await client.credits()).creditsRemaining;
    const result = await client.generate({ ...sources.item(0), platform: 'amazon' });
    assert.match(result.id, /^gen_/);
    assert.equal(result.status, 'completed');
    assert.ok(result.outputUrl.startsWith(`${server.baseUrl}/output/`));
    assert.deepEqual([result.style, result.platform, result.dimensions, result.format], ['white_bg', 'amazon', '400x400', 'jpeg']);
    assert.equal(result.creditsUsed, 1);
    assert.equal(result.creditsRemaining, before - 1);
    assert.ok(result.fileSize > 0 && result.generationTimeMs !== null && result.createdAt && result.expiresAt);
    assert.ok(result.compliance && typeof result.compliance.mainImage === 'object');
    assert.equal(result.raw.output_url, result.outputUrl);
    assert.equal(result.idempotentReplayed, false);
    const image = await client.download(result);
    assert.deepEqual([...image.subarray(0, 3)], [0xff, 0xd8, 0xff]);
    assert.equal(image.length, result.fileSize);
    const lookedUp = await client.getGeneration(result.id);
    assert.equal(lookedUp.status, 'completed');
    assert.equal(lookedUp.creditsRemaining, undefined); // only on the call that spent it
  });

  it('replays an explicit Idempotency-Key and charges once', async () => {
    const idempotencyKey = crypto.randomUUID();
    const first = await client.generate(sources.item(1), { idempotencyKey });
    // The same request with its fields in another order is the same request.
    const reordered = Object.fromEntries(Object.entries(sources.item(1)).reverse());
    const again = await client.generate(reordered, { idempotencyKey });
    assert.equal(first.idempotentReplayed, false);
    assert.equal(again.idempotentReplayed, true);
    assert.equal(again.id, first.id);
    assert.equal((await client.credits()).creditsRemaining, first.creditsRemaining);
  });

  it('gives each POST its own Idempotency-Key', async () => {
    const one = await client.generate(sources.item(2));
    const two = await client.generate(sources.item(2));
    assert.notEqual(one.id, two.id);
    assert.equal(two.creditsRemaining, one.creditsRemaining - 1);
  });

  it('queues a generation with a webhook, then waits for it', async () => {
    const pending = await client.generate(sources.item(0, { webhookUrl: receiver.url }));
    assert.equal(pending.status, 'pending');
    assert.equal(pending.outputUrl, null);
    const done = await client.waitForCompletion(pending.id, { timeout: 60_000, pollInterval: 200 });
    assert.equal(done.status, 'completed');
    assert.ok(done.outputUrl);
  });

  it('queues a batch and waits for it', async () => {
    const before = (await client.credits()).creditsRemaining;
    const batch = await client.generateBatch([0, 1, 2].map((i) => sources.item(i)));
    assert.match(batch.batchId, /^batch_/);
    assert.equal(batch.id, batch.batchId);
    assert.ok(['pending', 'processing'].includes(batch.status));
    assert.equal(batch.totalItems, 3);
    assert.equal(batch.items.length, 3);
    assert.equal(batch.creditsUsed, 3);
    assert.equal(batch.creditsRemaining, before - 3);
    assert.equal(typeof batch.estimatedTimeMs, 'number');
    assert.ok(batch.resultsUrl.endsWith(`/v1/generations/${batch.batchId}`));
    const done = await client.waitForCompletion(batch, { timeout: 120_000, pollInterval: 250 });
    assert.equal(done.status, 'completed');
    assert.equal(done.completedItems, 3);
    assert.equal(done.failedItems, 0);
    assert.deepEqual(done.items.map((item) => item.status), ['completed', 'completed', 'completed']);
    assert.ok(done.items.every((item) => item.outputUrl && item.batchId === batch.batchId));
    assert.equal((await client.getBatch(batch.batchId)).batchId, batch.batchId);
  });

  it('times out waiting', async () => {
    const pending = await client.generate(sources.item(0, { imageUrl: sources.slowUrl(3), webhookUrl: receiver.url }));
    await assert.rejects(client.waitForCompletion(pending, { timeout: 300, pollInterval: 100 }), (error) => {
      assert.ok(error instanceof WaitTimeoutError);
      assert.ok(['pending', 'processing'].includes(error.last.status));
      return true;
    });
    assert.equal((await client.waitForCompletion(pending, { timeout: 60_000, pollInterval: 200 })).status, 'completed');
  });
});

describe('ACCT: usage, history and API keys', () => {
  it('counts today in the usage per day', async () => {
    await client.generate(sources.item(0));
    const usage = await client.usage(7);
    assert.equal(usage.data.length, 7);
    const today = new Date().toISOString().slice(0, 10);
    assert.equal(usage.data[6].date, today);
    assert.equal(usage.to, today);
    assert.ok(usage.data[6].creditsUsed >= 1 && usage.data[6].generations >= 1);
    assert.equal(usage.creditsUsed, usage.data.reduce((sum, day) => sum + day.creditsUsed, 0));
  });

  it('lists generations newest first, a page at a time', async () => {
    const first = await client.generate(sources.item(0));
    const second = await client.generate(sources.item(1));
    const page = await client.listGenerations({ limit: 1 });
    assert.equal(page.hasMore, true);
    assert.deepEqual(page.data.map((entry) => entry.id), [second.id]);
    const next = await client.listGenerations({ limit: 1, startingAfter: page.data[0].id });
    assert.deepEqual(next.data.map((entry) => entry.id), [first.id]);
    const ids = [];
    for await (const entry of client.iterGenerations({ pageSize: 2 })) ids.push(entry.id);
    assert.deepEqual(ids.slice(0, 2), [second.id, first.id]);
    assert.equal(new Set(ids).size, ids.length);
  });

  it('creates and revokes a key with a live key', async () => {
    const created = await client.createKey({ name: 'sdk test', mode: 'test' });
    assert.ok(created.secret.startsWith('pv_test_') && created.secret.endsWith(created.hint));
    assert.equal(created.name, 'sdk test');
    assert.equal(created.revokedAt, null);
    await new ProdVisual(created.secret, { baseUrl: server.baseUrl }).credits();
    const keys = await client.listKeys();
    assert.equal(keys[0].id, created.id);
    assert.equal(keys[0].secret, undefined);
    assert.ok(keys[0].lastUsedAt);
    const revoked = await client.revokeKey(created.id);
    assert.ok(revoked.revokedAt);
    await assert.rejects(new ProdVisual(created.secret, { baseUrl: server.baseUrl, maxRetries: 0 }).credits(), (error) =>
      error instanceof AuthenticationError && error.status === 401);
  });

  it('refuses key management to a test key with 403', async () => {
    const sandbox = new ProdVisual(server.testKey, { baseUrl: server.baseUrl, maxRetries: 0 });
    await assert.rejects(sandbox.listKeys(), (error) =>
      error instanceof PermissionDeniedError && error instanceof AuthenticationError && error.status === 403 && error.code === 'unauthorized');
  });
});

describe('ERR: each error class', () => {
  it('400 invalid_request', async () => {
    await assert.rejects(client.generate({ imageUrl: sources.url(0), style: 'no_such_style' }), (error) =>
      checkError(error, InvalidRequestError, 'invalid_request', 400),
    );
  });

  it('401 unauthorized', async () => {
    const stranger = new ProdVisual('pv_live_not_a_real_key', { baseUrl: server.baseUrl });
    await assert.rejects(stranger.credits(), (error) => checkError(error, AuthenticationError, 'unauthorized', 401));
  });

  it('402 insufficient_credits', async () => {
    const broke = new ProdVisual(server.createKey(0), { baseUrl: server.baseUrl });
    await assert.rejects(broke.generate(sources.item(0)), (error) =>
      checkError(error, InsufficientCreditsError, 'insufficient_credits', 402),
    );
  });

  it('404 not_found', async () => {
    await assert.rejects(client.getGeneration('gen_doesnotexist'), (error) => checkError(error, NotFoundError, 'not_found', 404));
  });

  it('409 conflict while the same Idempotency-Key is in flight', async () => {
    const idempotencyKey = crypto.randomUUID();
    const params = sources.item(0, { imageUrl: sources.slowUrl(2) });
    const first = client.generate(params, { idempotencyKey });
    await new Promise((resolve) => setTimeout(resolve, 700));
    const noRetry = new ProdVisual(server.liveKey, { baseUrl: server.baseUrl, maxRetries: 0 });
    await assert.rejects(noRetry.generate(params, { idempotencyKey }), (error) => checkError(error, ConflictError, 'conflict', 409));
    assert.equal((await first).status, 'completed');
  });

  it('413 file_too_large', async () => {
    await assert.rejects(client.generate({ imageUrl: `${sources.baseUrl}/too-large.jpg`, style: 'white_bg' }), (error) =>
      checkError(error, FileTooLargeError, 'file_too_large', 413),
    );
  });

  it('422 invalid_image', async () => {
    await assert.rejects(client.generate({ imageUrl: `${sources.baseUrl}/not-an-image.jpg`, style: 'white_bg' }), (error) =>
      checkError(error, InvalidImageError, 'invalid_image', 422),
    );
  });

  it('500 server_error when retries are off', async () => {
    const noRetry = new ProdVisual(server.liveKey, { baseUrl: server.baseUrl, maxRetries: 0 });
    const broken = new BrokenOutputs(server);
    try {
      await assert.rejects(noRetry.generate(sources.item(0)), (error) => checkError(error, ServerError, 'server_error', 500));
    } finally {
      broken.restore();
    }
  });
});

describe('RETRY: automatic retries', () => {
  it('retries a 5xx until the server recovers', async () => {
    const before = (await client.credits()).creditsRemaining;
    const broken = new BrokenOutputs(server);
    const retries = [];
    const retrying = new ProdVisual(server.liveKey, {
      baseUrl: server.baseUrl,
      backoffBase: 200,
      onRetry: (info) => {
        retries.push(info);
        broken.restore(); // the server recovers before the next attempt
      },
    });
    try {
      const result = await retrying.generate(sources.item(0));
      assert.equal(result.status, 'completed');
      assert.equal(result.creditsRemaining, before - 1); // the failed attempt was refunded
    } finally {
      broken.restore();
    }
    assert.equal(retries.length, 1);
    assert.ok(retries[0].error instanceof ServerError);
    assert.ok(retries[0].waitMs >= 100 && retries[0].waitMs <= 200);
  });

  it('retries a timed-out POST with the same Idempotency-Key: one generation, one credit', async () => {
    const before = (await client.credits()).creditsRemaining;
    const errors = [];
    const retrying = new ProdVisual(server.liveKey, {
      baseUrl: server.baseUrl,
      timeout: 1000,
      maxRetries: 8,
      backoffBase: 400,
      backoffMax: 1000,
      onRetry: (info) => errors.push(info.error),
    });
    const result = await retrying.generate(sources.item(1, { imageUrl: sources.slowUrl(2.5, 1) }));
    assert.equal(result.status, 'completed');
    assert.ok(errors[0] instanceof APIConnectionError);
    assert.ok(errors.some((error) => error instanceof ConflictError));
    assert.equal(result.idempotentReplayed, true);
    assert.equal((await client.credits()).creditsRemaining, before - 1);
  });

});

describe('HOOK: webhook verification with signatures made by the server', () => {
  it('verifies a generation webhook with the key that made it, and nothing else', async () => {
    const pending = await client.generate(sources.item(2, { webhookUrl: receiver.url }));
    const delivery = await receiver.waitFor('generation.completed', pending.id);
    const signature = delivery.headers['x-prodvisual-signature'];
    const timestamp = delivery.headers['x-prodvisual-timestamp'];

    assert.equal(ProdVisual.verifyWebhook(delivery.body, signature, server.liveKey), true);
    assert.equal(ProdVisual.verifyWebhook(delivery.body, signature, server.liveKey, { timestamp }), true);
    assert.equal(verifyWebhook(delivery.body.toString('utf8'), signature, server.liveKey, { timestamp }), true);
    assert.equal(signature, computeSignature(delivery.body, server.liveKey));

    assert.equal(verifyWebhook(delivery.body, signature, server.testKey), false);
    const tampered = Buffer.from(delivery.body.toString('utf8').replace('completed', 'failed'));
    assert.equal(verifyWebhook(tampered, signature, server.liveKey), false);
    assert.equal(verifyWebhook(delivery.body, signature.slice(0, -2), server.liveKey), false);
    assert.equal(verifyWebhook(delivery.body, '', server.liveKey), false);
    assert.equal(verifyWebhook(delivery.body, undefined, server.liveKey), false);
    const old = String(Math.floor(Date.now() / 1000) - 3600);
    assert.equal(verifyWebhook(delivery.body, signature, server.liveKey, { timestamp: old }), false);
    assert.equal(verifyWebhook(delivery.body, signature, server.liveKey, { timestamp: 'not a number' }), false);

    const event = parseWebhook(delivery.body, delivery.headers, server.liveKey);
    assert.equal(event.event, 'generation.completed');
    assert.equal(event.data.id, pending.id);
    assert.ok(event.data.outputUrl);
    assert.equal(event.eventId, delivery.headers['x-prodvisual-event-id']);
    assert.throws(() => parseWebhook(tampered, delivery.headers, server.liveKey), WebhookVerificationError);
  });

  it('verifies a batch webhook', async () => {
    const batch = await client.generateBatch({ items: [sources.item(0), sources.item(1)], webhookUrl: receiver.url });
    const done = await client.waitForCompletion(batch.batchId, { timeout: 120_000, pollInterval: 250 });
    assert.equal(done.status, 'completed');
    const delivery = await receiver.waitFor('batch.completed', batch.batchId);
    const event = ProdVisual.parseWebhook(delivery.body, delivery.headers, server.liveKey);
    assert.equal(event.event, 'batch.completed');
    assert.equal(event.data.batchId, batch.batchId);
    assert.deepEqual(event.data.items.map((item) => item.status), ['completed', 'completed']);
  });
});

describe('DOC: the README examples, run as written', () => {
  const readme = require('./readme');
  const net = require('node:net');
  let dir;
  before(() => {
    dir = readme.scratchProject();
  });
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  it("holds the document's example verbatim, but for baseUrl", () => {
    const withoutBaseUrl = readme.examples[0].replace(", { baseUrl: 'http://127.0.0.1:8080' }", '');
    assert.equal(withoutBaseUrl, readme.DOCUMENT_EXAMPLE);
  });

  it("runs the document's example", async () => {
    const code = readme.inAsyncFunction(readme.substitute(readme.examples[0], { server, sources }));
    const output = await readme.run(dir, 'document.js', code);
    assert.match(output, new RegExp(`^${server.baseUrl}/output/gen_\\S+\\n$`));
  });

  it("runs the document's example unchanged, with the base URL in the environment", async () => {
    const code = readme.inAsyncFunction(readme.substitute(readme.DOCUMENT_EXAMPLE, { server, sources }));
    const output = await readme.run(dir, 'document-env.js', code, { PRODVISUAL_BASE_URL: `${server.baseUrl}/v1` });
    assert.match(output, new RegExp(`^${server.baseUrl}/output/gen_`));
  });

  it("runs the document's example as an ES module", async () => {
    const code = readme
      .substitute(readme.examples[0], { server, sources })
      .replace("const { ProdVisual } = require('prodvisual');", "import { ProdVisual } from 'prodvisual';");
    const output = await readme.run(dir, 'document.mjs', code);
    assert.match(output, new RegExp(`^${server.baseUrl}/output/gen_`));
  });

  it('runs the batch example', async () => {
    const output = (await readme.run(dir, 'batch.js', readme.substitute(readme.examples[1], { server, sources }))).trim().split('\n');
    assert.match(output[0], /^batch_\S+ (pending|processing) 3 \d+$/);
    assert.equal(output.length, 4);
    for (const line of output.slice(1)) assert.match(line, new RegExp(`^gen_\\S+ completed ${server.baseUrl}/output/`));
  });

  it('runs the error example', async () => {
    const output = await readme.run(dir, 'errors.js', readme.substitute(readme.examples[2], { server, sources }));
    assert.match(output, /^invalid_request 400 /);
  });

  it('runs the webhook receiver and it verifies a real delivery', async () => {
    const port = await new Promise((resolve) => {
      const probe = net.createServer().listen(0, '127.0.0.1', () => {
        const { port: free } = probe.address();
        probe.close(() => resolve(free));
      });
    });
    const code = readme.substitute(readme.examples[3], { server, sources }).replace('receiver.listen(3000)', `receiver.listen(${port}, '127.0.0.1')`);
    fs.writeFileSync(`${dir}/webhook.js`, code);
    const { spawn } = require('node:child_process');
    const child = spawn(process.execPath, ['webhook.js'], { cwd: dir });
    let stdout = '';
    child.stdout.on('data', (chunk) => (stdout += chunk));
    try {
      const pending = await client.generate(sources.item(0, { webhookUrl: receiver.url }));
      const delivery = await receiver.waitFor('generation.completed', pending.id);
      const forward = async (body) => {
        for (let i = 0; ; i += 1) {
          try {
            const headers = Object.fromEntries(
              Object.entries(delivery.headers).filter(([name]) => name.startsWith('x-prodvisual-') || name === 'content-type'),
            );
            return (await fetch(`http://127.0.0.1:${port}/`, { method: 'POST', body, headers })).status;
          } catch (error) {
            if (i > 50) throw error;
            await new Promise((resolve) => setTimeout(resolve, 100)); // still starting
          }
        }
      };
      assert.equal(await forward(delivery.body), 200);
      assert.equal(await forward(Buffer.concat([delivery.body, Buffer.from(' ')])), 401);
      assert.equal(stdout, `generation.completed ${delivery.headers['x-prodvisual-event-id']} ${pending.id}\n`);
    } finally {
      child.kill();
    }
  });
});

// Last, so that waiting for the rate-limit window to roll overlaps everything above.
describe('ERR + RETRY: rate limits, on their own server limited to 2 requests a minute', () => {
  it('429 rate_limited, with Retry-After, when retries are off', async () => {
    const results = await probe;
    checkError(results.refused, RateLimitError, 'rate_limited', 429);
    assert.ok(results.refused.retryAfter >= 1 && results.refused.retryAfter <= 60);
    assert.equal(results.refused.limit, 2);
    assert.equal(results.refused.remaining, 0);
    assert.ok(results.refused.reset > 0);
    // A Retry-After beyond maxRetryWait is not waited for: thrown at once.
    assert.ok(results.impatient.error instanceof RateLimitError);
    assert.deepEqual(results.impatient.retries, []);
  });

  it('retries a 429 after Retry-After and gets through', async () => {
    const results = await probe;
    assert.ok(results.credits.creditsRemaining >= 0);
    assert.equal(results.retries.length, 1);
    const [{ waitMs, error }] = results.retries;
    assert.ok(error instanceof RateLimitError);
    // It waited what the server asked, not a short backoff, and then got through.
    assert.ok(waitMs >= error.retryAfter * 1000);
    assert.ok(results.elapsed >= (error.retryAfter - 1) * 1000);
  });
});
