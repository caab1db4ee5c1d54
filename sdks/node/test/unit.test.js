'use strict';

// What needs no server: signatures, the constructor, the declarations' exports.

const assert = require('node:assert/strict');
const { describe, it } = require('node:test');

const prodvisual = require('..');
const { ProdVisual, verifyWebhook, computeSignature, ProdVisualError, RateLimitError } = prodvisual;

describe('unit', () => {
  it('signs with the hex HMAC-SHA256 of the body (RFC 4231, test case 2)', () => {
    const mac = '5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843';
    assert.equal(computeSignature('what do ya want for nothing?', 'Jefe'), mac);
    assert.equal(verifyWebhook(Buffer.from('what do ya want for nothing?'), mac, 'Jefe'), true);
    assert.equal(verifyWebhook(new TextEncoder().encode('what do ya want for nothing?'), mac.toUpperCase(), 'Jefe'), true);
    assert.equal(verifyWebhook('what do ya want for nothing?', `sha256=${mac}`, 'Jefe'), true);
    assert.equal(verifyWebhook('what do ya want for nothing?', mac, 'Jefe', { timestamp: 1000, now: 1300 }), true);
    assert.equal(verifyWebhook('what do ya want for nothing?', mac, 'Jefe', { timestamp: 1000, now: 1301 }), false);
    assert.equal(verifyWebhook('what do ya want for nothing?', mac, 'Jefe', { timestamp: 1000, tolerance: null, now: 99999 }), true);
    assert.equal(verifyWebhook('what do ya want for nothing?', 'zz'.repeat(32), 'Jefe'), false);
    assert.equal(verifyWebhook('what do ya want for nothing?', mac, ''), false);
  });

  it('takes the base URL from the options, then PRODVISUAL_BASE_URL, then the default', () => {
    const saved = { base: process.env.PRODVISUAL_BASE_URL, key: process.env.PRODVISUAL_API_KEY };
    try {
      delete process.env.PRODVISUAL_BASE_URL;
      assert.equal(new ProdVisual('k').baseUrl, 'https://api.prodvisual.com');
      process.env.PRODVISUAL_BASE_URL = 'http://127.0.0.1:9/v1/';
      assert.equal(new ProdVisual('k').baseUrl, 'http://127.0.0.1:9');
      assert.equal(new ProdVisual('k', { baseUrl: 'http://localhost:8080' }).baseUrl, 'http://localhost:8080');
      process.env.PRODVISUAL_API_KEY = 'pv_test_env';
      assert.equal(new ProdVisual().apiKey, 'pv_test_env');
      assert.equal(new ProdVisual({ apiKey: 'pv_test_object', baseUrl: 'http://h:1' }).apiKey, 'pv_test_object');
      delete process.env.PRODVISUAL_API_KEY;
      assert.throws(() => new ProdVisual(), TypeError);
      assert.throws(() => new ProdVisual('k', { baseUrl: 'ftp://example.com' }), TypeError);
    } finally {
      for (const [name, value] of [['PRODVISUAL_BASE_URL', saved.base], ['PRODVISUAL_API_KEY', saved.key]]) {
        if (value === undefined) delete process.env[name];
        else process.env[name] = value;
      }
    }
  });

  it('does not show the key when the client is logged', () => {
    const client = new ProdVisual('pv_live_secret', { baseUrl: 'http://127.0.0.1:9' });
    assert.ok(!require('node:util').inspect(client).includes('pv_live_secret'));
    assert.ok(!JSON.stringify(client).includes('pv_live_secret'));
  });

  it('exports every error class the declarations name', () => {
    const declared = require('node:fs').readFileSync(require.resolve('../index.d.ts'), 'utf8');
    for (const [, name] of declared.matchAll(/export declare (?:class|function|const) (\w+)/g)) {
      assert.ok(name in prodvisual, `${name} is declared but not exported`);
    }
    assert.ok(new RateLimitError('x', { status: 429, headers: { 'retry-after': '7' } }) instanceof ProdVisualError);
    assert.equal(new RateLimitError('x', { status: 429, headers: { 'retry-after': '7' } }).retryAfter, 7);
  });
});
