'use strict';

// The ProdVisual v1 API client for Node.js 18+: built-in fetch and crypto, no dependencies.

const crypto = require('node:crypto');
const fs = require('node:fs');

const VERSION = '1.0.0';
const DEFAULT_BASE_URL = 'https://api.prodvisual.com';
/** Answers worth another attempt: 409 (the same Idempotency-Key still in flight), 429 and 5xx. */
const RETRYABLE_STATUSES = Object.freeze([409, 429, 500, 502, 503, 504]);
const TERMINAL_STATUSES = Object.freeze(['completed', 'failed']);

const SIGNATURE_HEADER = 'X-ProdVisual-Signature';
const TIMESTAMP_HEADER = 'X-ProdVisual-Timestamp';
const EVENT_ID_HEADER = 'X-ProdVisual-Event-Id';

// MARK: Errors

/** Base class of every error this package throws: `code`, `message` and `status`. */
class ProdVisualError extends Error {
  constructor(message, { code = 'error', status = null, headers = {}, body = null, cause } = {}) {
    super(message, cause === undefined ? undefined : { cause });
    this.name = new.target.name;
    this.code = code;
    this.status = status;
    /** Response headers, lower-case names. */
    this.headers = headers;
    /** The decoded error envelope, when the API answered one. */
    this.body = body;
  }
}

/** An error answered by the API (HTTP 400 or more). */
class APIError extends ProdVisualError {}
/** 400 invalid_request: a parameter is missing or invalid. */
class InvalidRequestError extends APIError {}
/** 401 unauthorized: the API key is missing, malformed, unknown or revoked. */
class AuthenticationError extends APIError {}
/** 402 insufficient_credits: the balance cannot cover the request. */
class InsufficientCreditsError extends APIError {}
/** 403: a valid key that may not do this (a test key managing keys); its code is `unauthorized`. */
class PermissionDeniedError extends AuthenticationError {}
/** 404 not_found. */
class NotFoundError extends APIError {}
/** 409 conflict: a request with the same Idempotency-Key is still being processed. */
class ConflictError extends APIError {}
/** 413 file_too_large: the source image exceeds 10 MB. */
class FileTooLargeError extends APIError {}
/** 422 invalid_image: not a JPEG, PNG or WebP image, or too many pixels. */
class InvalidImageError extends APIError {}
/** 429 rate_limited: `retryAfter` (seconds), `limit`, `remaining`, `reset` from the headers. */
class RateLimitError extends APIError {
  get retryAfter() {
    return parseRetryAfter(this.headers['retry-after']);
  }
  get limit() {
    return intOrNull(this.headers['x-ratelimit-limit']);
  }
  get remaining() {
    return intOrNull(this.headers['x-ratelimit-remaining']);
  }
  get reset() {
    return intOrNull(this.headers['x-ratelimit-reset']);
  }
}
/** 500 server_error, or any other 5xx. */
class ServerError extends APIError {}

/** The API could not be reached, or did not answer in time, after every retry. */
class APIConnectionError extends ProdVisualError {
  constructor(message, cause) {
    super(message, { code: 'connection_error', cause });
  }
}

/** waitForCompletion gave up; `last` is the last status read. */
class WaitTimeoutError extends ProdVisualError {
  constructor(message, last) {
    super(message, { code: 'timeout' });
    this.last = last;
  }
}

/** A webhook's signature or timestamp did not verify (thrown by parseWebhook). */
class WebhookVerificationError extends ProdVisualError {
  constructor(message) {
    super(message, { code: 'invalid_signature' });
  }
}

const ERRORS_BY_CODE = {
  invalid_request: InvalidRequestError,
  unauthorized: AuthenticationError,
  insufficient_credits: InsufficientCreditsError,
  not_found: NotFoundError,
  conflict: ConflictError,
  file_too_large: FileTooLargeError,
  invalid_image: InvalidImageError,
  rate_limited: RateLimitError,
  server_error: ServerError,
};
const CODES_BY_STATUS = {
  400: 'invalid_request',
  401: 'unauthorized',
  402: 'insufficient_credits',
  404: 'not_found',
  409: 'conflict',
  413: 'file_too_large',
  422: 'invalid_image',
  429: 'rate_limited',
};

function errorFromResponse(status, headers, payload) {
  const envelope = payload && typeof payload === 'object' ? payload.error : null;
  let code = envelope && typeof envelope.code === 'string' ? envelope.code : '';
  let message = envelope && typeof envelope.message === 'string' ? envelope.message : '';
  if (!ERRORS_BY_CODE[code] && !code) code = CODES_BY_STATUS[status] || (status >= 500 ? 'server_error' : 'error');
  let Class = ERRORS_BY_CODE[code] || (status >= 500 ? ServerError : APIError);
  if (status === 403 && (Class === AuthenticationError || Class === APIError)) Class = PermissionDeniedError;
  if (!message) message = `HTTP ${status}`;
  return new Class(message, { code, status, headers, body: payload && typeof payload === 'object' ? payload : null });
}

function parseRetryAfter(value) {
  if (value === undefined || value === null || value === '') return null;
  const seconds = Number(value);
  if (Number.isFinite(seconds)) return Math.max(0, seconds);
  const date = Date.parse(value);
  return Number.isNaN(date) ? null : Math.max(0, (date - Date.now()) / 1000);
}

function intOrNull(value) {
  const number = Number.parseInt(value, 10);
  return Number.isNaN(number) ? null : number;
}

// MARK: Names

function snakeToCamel(key) {
  return key.replace(/_([a-z0-9])/g, (_, c) => c.toUpperCase());
}

function camelToSnake(key) {
  return key.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);
}

function isPlainObject(value) {
  return value !== null && typeof value === 'object' && Object.getPrototypeOf(value) === Object.prototype;
}

function mapKeys(value, rename) {
  if (Array.isArray(value)) return value.map((item) => mapKeys(item, rename));
  if (!isPlainObject(value)) return value;
  const result = {};
  for (const [key, item] of Object.entries(value)) result[rename(key)] = mapKeys(item, rename);
  return result;
}

/** The API's snake_case JSON as camelCase (outputUrl, creditsRemaining, ...), `raw` kept. */
function fromWire(data, extra = {}) {
  const result = mapKeys(data, snakeToCamel);
  if (isPlainObject(result)) {
    Object.defineProperty(result, 'raw', { value: data, enumerable: false });
    if ('batchId' in result && !('id' in result)) {
      Object.defineProperty(result, 'id', { value: result.batchId, enumerable: false });
    }
    Object.assign(result, extra);
  }
  return result;
}

function sortKeys(value) {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (!isPlainObject(value)) return value;
  const result = {};
  for (const key of Object.keys(value).sort()) result[key] = sortKeys(value[key]);
  return result;
}

function sleep(ms) {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

function jitter(low, high) {
  return low + Math.random() * (high - low);
}

// MARK: Webhooks

function toBuffer(body) {
  if (Buffer.isBuffer(body)) return body;
  if (typeof body === 'string') return Buffer.from(body, 'utf8');
  if (body instanceof Uint8Array) return Buffer.from(body.buffer, body.byteOffset, body.byteLength);
  if (body instanceof ArrayBuffer) return Buffer.from(body);
  throw new TypeError('The webhook body must be the raw bytes received: a Buffer, Uint8Array or string.');
}

/** The signature the server puts on a body: lowercase hex HMAC-SHA256 keyed by the API key. */
function computeSignature(rawBody, apiKey) {
  return crypto.createHmac('sha256', String(apiKey)).update(toBuffer(rawBody)).digest('hex');
}

/**
 * True when `signature` (X-ProdVisual-Signature) is the HMAC-SHA256 of the raw body under
 * `apiKey`, compared in constant time; and, when `options.timestamp` (X-ProdVisual-Timestamp)
 * is given, it is within `options.tolerance` seconds (default 300) of now.
 */
function verifyWebhook(rawBody, signature, apiKey, options = {}) {
  const { timestamp, tolerance = 300, now } = options;
  if (typeof signature !== 'string' || !apiKey) return false;
  let given = signature.trim().toLowerCase();
  if (given.startsWith('sha256=')) given = given.slice('sha256='.length);
  if (!/^[0-9a-f]{64}$/.test(given)) return false;
  const expected = crypto.createHmac('sha256', String(apiKey)).update(toBuffer(rawBody)).digest();
  if (!crypto.timingSafeEqual(expected, Buffer.from(given, 'hex'))) return false;
  if (timestamp !== undefined && timestamp !== null && tolerance !== null) {
    const sent = Number(timestamp);
    if (timestamp === '' || !Number.isFinite(sent)) return false;
    const current = now === undefined ? Date.now() / 1000 : now;
    if (Math.abs(current - sent) > tolerance) return false;
  }
  return true;
}

function headerValue(headers, name) {
  if (!headers) return undefined;
  if (typeof headers.get === 'function') return headers.get(name) ?? undefined;
  const wanted = name.toLowerCase();
  for (const [key, value] of Object.entries(headers)) {
    if (key.toLowerCase() === wanted) return Array.isArray(value) ? value[0] : value;
  }
  return undefined;
}

/**
 * Verifies a delivery from its raw body and headers (a plain object, as Node's
 * `request.headers`, or a Headers) and returns `{ event, data, timestamp, eventId }` with `data`
 * in camelCase. Throws WebhookVerificationError when it does not verify.
 */
function parseWebhook(rawBody, headers, apiKey, options = {}) {
  const { tolerance = 300, now } = options;
  const signature = headerValue(headers, SIGNATURE_HEADER);
  const timestamp = headerValue(headers, TIMESTAMP_HEADER);
  if (signature === undefined) throw new WebhookVerificationError(`The ${SIGNATURE_HEADER} header is missing.`);
  if (tolerance !== null && timestamp === undefined) throw new WebhookVerificationError(`The ${TIMESTAMP_HEADER} header is missing.`);
  if (!verifyWebhook(rawBody, signature, apiKey)) throw new WebhookVerificationError('The signature does not match the body.');
  if (!verifyWebhook(rawBody, signature, apiKey, { timestamp, tolerance, now })) {
    throw new WebhookVerificationError(`The ${TIMESTAMP_HEADER} is more than ${tolerance} s from now.`);
  }
  const document = JSON.parse(toBuffer(rawBody).toString('utf8'));
  if (!isPlainObject(document)) throw new WebhookVerificationError('The body is not a JSON object.');
  const event = fromWire(document);
  event.eventId = headerValue(headers, EVENT_ID_HEADER) ?? null;
  return event;
}

// MARK: Client

class ProdVisual {
  /**
   * @param {string} [apiKey] the API key; defaults to PRODVISUAL_API_KEY.
   * @param {object} [options] baseUrl (default PRODVISUAL_BASE_URL, then https://api.prodvisual.com),
   *   timeout (ms per attempt, 120000), maxRetries (3), maxRetryWait (ms, 60000), backoffBase (ms, 500),
   *   backoffMax (ms, 8000), onRetry({ attempt, waitMs, error }), userAgent.
   */
  constructor(apiKey, options = {}) {
    if (apiKey !== null && typeof apiKey === 'object') {
      options = apiKey;
      apiKey = options.apiKey;
    }
    const key = apiKey ?? process.env.PRODVISUAL_API_KEY;
    if (!key) throw new TypeError("An API key is required: new ProdVisual('pv_live_...') or PRODVISUAL_API_KEY.");
    this.apiKey = key;
    this.baseUrl = ProdVisual.normaliseBaseUrl(options.baseUrl || process.env.PRODVISUAL_BASE_URL || DEFAULT_BASE_URL);
    this.timeout = options.timeout ?? 120_000;
    this.maxRetries = Math.max(0, options.maxRetries ?? 3);
    this.maxRetryWait = options.maxRetryWait ?? 60_000;
    this.backoffBase = options.backoffBase ?? 500;
    this.backoffMax = options.backoffMax ?? 8_000;
    this.onRetry = options.onRetry ?? null;
    this.userAgent = options.userAgent ?? `prodvisual-node/${VERSION}`;
    Object.defineProperty(this, 'apiKey', { enumerable: false });
  }

  static normaliseBaseUrl(url) {
    let base = String(url).trim().replace(/\/+$/, '');
    if (base.endsWith('/v1')) base = base.slice(0, -3);
    let parsed;
    try {
      parsed = new URL(base);
    } catch {
      throw new TypeError(`baseUrl must be an http(s) URL, got ${JSON.stringify(url)}`);
    }
    if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') {
      throw new TypeError(`baseUrl must be an http(s) URL, got ${JSON.stringify(url)}`);
    }
    return base;
  }

  /**
   * POST /v1/generate. Without `webhookUrl` the image is rendered synchronously and the completed
   * generation returned (outputUrl, creditsRemaining, ...); with it, status `pending` at once.
   * Params are camelCase (imageUrl, style, platform, dimensions, background, format, quality,
   * webhookUrl, imageBase64, text, scene, seed, compareStyle, colors) or snake_case; `image` (a
   * Buffer or a file path) is sent inline as base64.
   */
  async generate(params = {}, options = {}) {
    const body = generationParams(params);
    if (body.style === undefined) throw new TypeError("generate() needs a style, e.g. { style: 'white_bg' }");
    const response = await this.request('POST', '/v1/generate', { body, idempotencyKey: options.idempotencyKey });
    return fromWire(response.json, { idempotentReplayed: response.replayed });
  }

  /**
   * POST /v1/generate/batch: up to 50 generations queued as one batch (202). Takes an array of
   * items or `{ items, webhookUrl }`. Returns batchId, status, totalItems, creditsUsed,
   * creditsRemaining, estimatedTimeMs, resultsUrl and items.
   */
  async generateBatch(itemsOrParams, options = {}) {
    const params = Array.isArray(itemsOrParams) ? { items: itemsOrParams } : { ...itemsOrParams };
    if (!Array.isArray(params.items)) throw new TypeError('generateBatch() needs an array of items');
    const body = { items: params.items.map(generationParams) };
    const webhookUrl = params.webhookUrl ?? params.webhook_url;
    if (webhookUrl !== undefined) body.webhook_url = webhookUrl;
    const response = await this.request('POST', '/v1/generate/batch', { body, idempotencyKey: options.idempotencyKey });
    return fromWire(response.json, { idempotentReplayed: response.replayed });
  }

  /** GET /v1/styles: `{ styles: [{ id, name, description, parameters, requires, scenes }], total }`. */
  async styles() {
    return fromWire((await this.request('GET', '/v1/styles')).json);
  }

  /** GET /v1/platforms: `{ platforms: [...], total }`. */
  async platforms() {
    return fromWire((await this.request('GET', '/v1/platforms')).json);
  }

  /** GET /v1/account/credits: creditsRemaining, creditsUsedTotal, creditsUsedToday, lastPurchase. */
  async credits() {
    return fromWire((await this.request('GET', '/v1/account/credits')).json);
  }

  /** GET /v1/generations/{id}: a generation (gen_...) or a batch (batch_...). */
  /** `GET /v1/account/usage`: credits used (net of refunds) and generations per UTC day, oldest first. */
  async usage(days = 30) {
    return fromWire((await this.request('GET', `/v1/account/usage?days=${encodeURIComponent(days)}`)).json);
  }

  /**
   * `GET /v1/generations`: one page of the account's generations and batches, newest first:
   * `{ data, hasMore }`. The next page starts after the last entry's `id` (`startingAfter`).
   */
  async listGenerations({ limit, startingAfter } = {}) {
    const query = new URLSearchParams();
    if (limit !== undefined && limit !== null) query.set('limit', String(limit));
    if (startingAfter !== undefined && startingAfter !== null) query.set('starting_after', startingAfter);
    const suffix = query.toString() ? `?${query}` : '';
    const json = (await this.request('GET', `/v1/generations${suffix}`)).json || {};
    const page = { data: (json.data || []).map((entry) => fromWire(entry)), hasMore: Boolean(json.has_more) };
    Object.defineProperty(page, 'raw', { value: json, enumerable: false });
    return page;
  }

  /** Every generation and batch of the account, newest first, a page at a time: `for await (const g of client.iterGenerations())`. */
  async *iterGenerations({ pageSize = 20, startingAfter } = {}) {
    let cursor = startingAfter;
    for (;;) {
      const page = await this.listGenerations({ limit: pageSize, startingAfter: cursor });
      yield* page.data;
      if (!page.hasMore || page.data.length === 0) return;
      cursor = page.data[page.data.length - 1].id;
    }
  }

  /** `GET /v1/keys`: the account's API keys, newest first (live keys only; a test key gets PermissionDeniedError). */
  async listKeys() {
    const json = (await this.request('GET', '/v1/keys')).json || {};
    return (json.data || []).map((key) => fromWire(key));
  }

  /** `POST /v1/keys`: a new key; its `secret` is in this answer only. A retry after a lost answer may create a second key. */
  async createKey({ name, mode = 'live' } = {}) {
    const body = { mode };
    if (name !== undefined && name !== null) body.name = name;
    return fromWire((await this.request('POST', '/v1/keys', { body })).json);
  }

  /** `DELETE /v1/keys/{id}`: revokes one of the account's keys and returns it. */
  async revokeKey(id) {
    return fromWire((await this.request('DELETE', `/v1/keys/${encodeURIComponent(id)}`)).json);
  }

  async getGeneration(id) {
    return fromWire((await this.request('GET', `/v1/generations/${encodeURIComponent(id)}`)).json);
  }

  /** GET /v1/generations/{batchId}. */
  async getBatch(batchId) {
    return this.getGeneration(batchId);
  }

  /**
   * Polls GET /v1/generations/{id} until the status is `completed` or `failed` and returns the
   * object (a failed one is returned, with `error`). `target` is an id, a generation or a batch.
   * Throws WaitTimeoutError after `timeout` ms (default 300000); polls every `pollInterval` ms (1000).
   */
  async waitForCompletion(target, options = {}) {
    const { timeout = 300_000, pollInterval = 1_000 } = options;
    let id = target;
    if (target !== null && typeof target === 'object') {
      if (TERMINAL_STATUSES.includes(target.status)) return target;
      id = target.batchId ?? target.id;
    }
    if (typeof id !== 'string' || !id) throw new TypeError('waitForCompletion() needs an id, a generation or a batch');
    const deadline = Date.now() + timeout;
    for (;;) {
      const last = await this.getGeneration(id);
      if (TERMINAL_STATUSES.includes(last.status)) return last;
      const left = deadline - Date.now();
      if (left <= 0) throw new WaitTimeoutError(`${id} was still ${last.status} after ${timeout} ms`, last);
      await sleep(Math.min(Math.max(pollInterval, 10), left));
    }
  }

  /** The rendered image (a Buffer), from a generation or its outputUrl. */
  async download(output) {
    const url = typeof output === 'string' ? output : output && output.outputUrl;
    if (!url) throw new TypeError('This generation has no outputUrl (not completed, or expired).');
    return (await this.request('GET', url, { binary: true })).buffer;
  }

  /** The raw request, with retries: `{ status, headers, json, buffer, replayed }`. */
  async request(method, pathOrUrl, { body, idempotencyKey, binary = false } = {}) {
    const url = /^https?:\/\//.test(pathOrUrl) ? pathOrUrl : this.baseUrl + pathOrUrl;
    const headers = { Accept: 'application/json', 'User-Agent': this.userAgent };
    // The key goes to this API only, never to another host an output URL may name.
    if (url.startsWith(`${this.baseUrl}/`)) headers.Authorization = `Bearer ${this.apiKey}`;
    let payload;
    if (body !== undefined) {
      // Sorted keys: the same request is the same bytes, which is how the server recognises a
      // repeated Idempotency-Key.
      payload = JSON.stringify(sortKeys(body));
      headers['Content-Type'] = 'application/json';
    }
    // One key for the whole call: every retry is the same request to the server.
    if (method === 'POST') headers['Idempotency-Key'] = idempotencyKey || crypto.randomUUID();

    for (let attempt = 0; ; attempt += 1) {
      let error;
      let waitMs = null;
      try {
        const response = await fetch(url, {
          method,
          headers,
          body: payload,
          redirect: 'manual',
          signal: AbortSignal.timeout(this.timeout),
        });
        const buffer = Buffer.from(await response.arrayBuffer());
        const responseHeaders = {};
        response.headers.forEach((value, name) => {
          responseHeaders[name.toLowerCase()] = value;
        });
        let json = null;
        if (!binary || response.status >= 400) {
          try {
            json = buffer.length ? JSON.parse(buffer.toString('utf8')) : null;
          } catch {
            json = null;
          }
        }
        if (response.status < 300) {
          if (!binary && (json === null || typeof json !== 'object')) {
            throw new APIError(`Expected a JSON object from ${method} ${url}`, {
              code: 'invalid_response',
              status: response.status,
              headers: responseHeaders,
            });
          }
          const replayed = (responseHeaders['idempotent-replayed'] || '').toLowerCase() === 'true';
          return { status: response.status, headers: responseHeaders, json, buffer, replayed };
        }
        error =
          response.status >= 300 && response.status < 400
            ? new APIError(`Unexpected redirect ${response.status} from ${method} ${url}`, {
                code: 'redirect',
                status: response.status,
                headers: responseHeaders,
              })
            : errorFromResponse(response.status, responseHeaders, json);
        waitMs = this.retryWait(error, attempt);
      } catch (failure) {
        if (failure instanceof ProdVisualError) throw failure;
        const reason = failure && failure.cause ? `${failure.message}: ${failure.cause.code || failure.cause.message}` : String(failure);
        error = new APIConnectionError(`${method} ${url}: ${reason}`, failure);
        waitMs = attempt < this.maxRetries ? this.backoff(attempt) : null;
      }
      if (waitMs === null) throw error;
      if (this.onRetry) this.onRetry({ attempt: attempt + 1, waitMs, error });
      await sleep(waitMs);
    }
  }

  /** Milliseconds to wait before retrying after `error`, or null to give up. */
  retryWait(error, attempt) {
    if (attempt >= this.maxRetries || !RETRYABLE_STATUSES.includes(error.status)) return null;
    const retryAfter = parseRetryAfter(error.headers['retry-after']);
    if (retryAfter !== null) {
      const ms = retryAfter * 1000;
      if (ms > this.maxRetryWait) return null;
      // At least what the server asked, plus a little jitter so clients do not stampede.
      return ms + jitter(0, Math.min(250, ms * 0.1 + 50));
    }
    if (error instanceof RateLimitError && error.reset !== null) {
      const untilReset = error.reset * 1000 - Date.now();
      if (untilReset > 0 && untilReset <= this.maxRetryWait) return untilReset + jitter(0, 250);
    }
    return this.backoff(attempt);
  }

  backoff(attempt) {
    return Math.min(this.backoffMax, this.backoffBase * 2 ** attempt) * jitter(0.5, 1);
  }
}

function generationParams(params) {
  if (!isPlainObject(params)) throw new TypeError('generation parameters must be an object');
  const { image, ...rest } = params;
  const body = {};
  for (const [key, value] of Object.entries(mapKeys(rest, camelToSnake))) {
    if (value !== undefined && value !== null) body[key] = value;
  }
  if (image !== undefined && image !== null) {
    const bytes = typeof image === 'string' ? fs.readFileSync(image) : toBuffer(image);
    body.image_base64 = bytes.toString('base64');
  }
  return body;
}

ProdVisual.verifyWebhook = verifyWebhook;
ProdVisual.parseWebhook = parseWebhook;
ProdVisual.computeSignature = computeSignature;
ProdVisual.VERSION = VERSION;
ProdVisual.DEFAULT_BASE_URL = DEFAULT_BASE_URL;

module.exports = {
  ProdVisual,
  ProdVisualError,
  APIError,
  APIConnectionError,
  InvalidRequestError,
  AuthenticationError,
  PermissionDeniedError,
  InsufficientCreditsError,
  NotFoundError,
  ConflictError,
  FileTooLargeError,
  InvalidImageError,
  RateLimitError,
  ServerError,
  WaitTimeoutError,
  WebhookVerificationError,
  verifyWebhook,
  parseWebhook,
  computeSignature,
  RETRYABLE_STATUSES,
  DEFAULT_BASE_URL,
  SIGNATURE_HEADER,
  TIMESTAMP_HEADER,
  EVENT_ID_HEADER,
  VERSION,
};
