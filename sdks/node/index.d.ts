// Type declarations for the ProdVisual v1 API client.

/// <reference types="node" />

export type Status = 'pending' | 'processing' | 'completed' | 'failed';
export type OutputFormat = 'png' | 'jpeg' | 'webp';

export interface GenerationText {
  headline?: string;
  subheadline?: string;
  features?: string[];
  badge?: string;
  widthLabel?: string;
  heightLabel?: string;
}

/** The parameters of POST /v1/generate, in camelCase (snake_case is accepted too). */
export interface GenerateParams {
  /** http(s) URL of the source image (JPEG, PNG or WebP, at most 10 MB). */
  imageUrl?: string;
  /** The source inline, base64 or a data: URL. */
  imageBase64?: string;
  /** The source as bytes or a file path: sent inline as base64. */
  image?: Buffer | Uint8Array | string;
  /** Style id from styles(). */
  style: string;
  /** amazon, ebay, etsy, shopify, generic, ... (default generic). */
  platform?: string;
  /** WxH, e.g. '1500x1500'. */
  dimensions?: string;
  /** '#rrggbb' or 'transparent'. */
  background?: string;
  format?: OutputFormat;
  /** JPEG/WebP quality 1-100 (default 90). */
  quality?: number;
  /** Queue the generation and POST the result here (the call answers 202, status pending). */
  webhookUrl?: string;
  text?: GenerationText;
  scene?: string;
  seed?: number;
  compareStyle?: string;
  colors?: string[];
  [parameter: string]: unknown;
}

export interface BatchParams {
  items: GenerateParams[];
  /** Receives batch.completed once every item has finished. */
  webhookUrl?: string;
}

export interface RequestOptions {
  /** Sent as Idempotency-Key; by default a new UUID per call, the same on every retry. */
  idempotencyKey?: string;
}

export interface GenerationError {
  code: string;
  message: string;
}

export interface ComplianceRule {
  rule: string;
  value: unknown;
  limit: unknown;
  pass: boolean;
  appliesTo: 'all' | 'main' | 'advisory';
}

export interface ComplianceVerdict {
  verdict: 'pass' | 'fail' | string;
  failedRules: string[];
}

/** The output checked against its platform's image rules. */
export interface Compliance {
  platform: string;
  intendedUse: 'main' | 'additional';
  /** The verdict for intendedUse. */
  verdict: 'pass' | 'fail' | string;
  mainImage: ComplianceVerdict;
  additionalImage: ComplianceVerdict;
  summary: string;
  rules: ComplianceRule[];
  [field: string]: unknown;
}

export interface WebhookAttempt {
  number: number;
  attemptedAt: string;
  statusCode: number | null;
  error: string | null;
  durationMs: number;
}

export interface WebhookStatus {
  url: string;
  deliveries: Array<{
    eventId: string;
    event: 'generation.completed' | 'generation.failed' | 'batch.completed';
    status: 'pending' | 'delivered' | 'failed';
    nextAttemptAt: string | null;
    attempts: WebhookAttempt[];
  }>;
}

interface WireObject {
  /** The JSON as the API sent it (snake_case); not enumerable. */
  readonly raw: Record<string, unknown>;
}

export interface Generation extends WireObject {
  id: string;
  status: Status;
  /** Signed URL of the image; null until completed and after expiry. */
  outputUrl: string | null;
  style: string;
  platform: string;
  dimensions: string;
  format: string;
  fileSize: number | null;
  creditsUsed: number;
  /** Only on the answer of the call that spent the credit. */
  creditsRemaining?: number;
  generationTimeMs: number | null;
  createdAt: string;
  expiresAt: string;
  error?: GenerationError;
  compliance: Compliance | null;
  batchId: string | null;
  webhook: WebhookStatus | null;
  /** On generate(): true when the server replayed the first answer to this Idempotency-Key. */
  idempotentReplayed?: boolean;
}

export interface Batch extends WireObject {
  batchId: string;
  /** The same as batchId; not enumerable. */
  readonly id: string;
  status: Status;
  totalItems: number;
  completedItems: number;
  failedItems: number;
  creditsUsed: number;
  /** Only on the answer of generateBatch(). */
  creditsRemaining?: number;
  /** Only on the answer of generateBatch(). */
  estimatedTimeMs?: number;
  resultsUrl: string;
  createdAt: string;
  completedAt: string | null;
  items: Generation[];
  webhook: WebhookStatus | null;
  idempotentReplayed?: boolean;
}

export interface Style {
  id: string;
  name: string;
  description: string;
  parameters: string[];
  requires: string[];
  scenes?: string[] | null;
}

export interface StyleList extends WireObject {
  styles: Style[];
  total: number;
}

export interface Platform {
  id: string;
  name: string;
  defaultDimensions: string;
  productFill: number;
  background: 'pure_white_required' | 'white_recommended' | 'any';
  defaultFormat: string;
  formats: string[];
  maxFileSize: number | null;
  minLongestSide: number | null;
}

export interface PlatformList extends WireObject {
  platforms: Platform[];
  total: number;
}

export interface Credits extends WireObject {
  creditsRemaining: number;
  creditsUsedTotal: number;
  creditsUsedToday: number;
  lastPurchase: { amount: number; date: string } | null;
}

export interface DailyUsage {
  date: string;
  creditsUsed: number;
  generations: number;
}

export interface Usage extends WireObject {
  object: 'usage';
  days: number;
  from: string;
  to: string;
  creditsUsed: number;
  generations: number;
  /** Every day of the period, oldest first. */
  data: DailyUsage[];
}

export interface GenerationPage {
  /** Generations and batches (a batch has batchId and no own id field), newest first. */
  data: Array<Generation | Batch>;
  hasMore: boolean;
  readonly raw: Record<string, any>;
}

export interface APIKey extends WireObject {
  object: 'api_key';
  id: string;
  name: string;
  mode: 'live' | 'test';
  prefix: 'pv_live_' | 'pv_test_';
  hint: string;
  createdAt: string;
  lastUsedAt: string | null;
  revokedAt: string | null;
  /** Only in the answer of createKey. */
  secret?: string;
}

export interface WebhookEvent extends WireObject {
  event: 'generation.completed' | 'generation.failed' | 'batch.completed' | string;
  /** A generation, or for batch.completed a batch, in camelCase. */
  data: Record<string, any>;
  timestamp: string;
  /** X-ProdVisual-Event-Id: the same on every retry of one event. */
  eventId: string | null;
}

export interface RetryInfo {
  /** 1 for the first retry. */
  attempt: number;
  waitMs: number;
  error: ProdVisualError;
}

export interface ProdVisualOptions {
  apiKey?: string;
  /** Default PRODVISUAL_BASE_URL, then https://api.prodvisual.com; a trailing /v1 is accepted. */
  baseUrl?: string;
  /** Milliseconds per attempt (default 120000). */
  timeout?: number;
  /** Retries of connection errors, 409, 429 and 5xx (default 3). */
  maxRetries?: number;
  /** The longest Retry-After honoured, in ms (default 60000); a longer one throws at once. */
  maxRetryWait?: number;
  /** First backoff in ms (default 500), doubling up to backoffMax (default 8000), with jitter. */
  backoffBase?: number;
  backoffMax?: number;
  onRetry?: (info: RetryInfo) => void;
  userAgent?: string;
}

export interface WaitOptions {
  /** Milliseconds before WaitTimeoutError (default 300000). */
  timeout?: number;
  /** Milliseconds between polls (default 1000). */
  pollInterval?: number;
}

export interface VerifyOptions {
  /** X-ProdVisual-Timestamp (unix seconds); when given it must be within tolerance of now. */
  timestamp?: string | number | null;
  /** Seconds (default 300); null skips the timestamp check. */
  tolerance?: number | null;
  /** Unix seconds to compare with (default now). */
  now?: number;
}

export type RawBody = Buffer | Uint8Array | ArrayBuffer | string;
export type HeaderBag = Record<string, string | string[] | undefined> | { get(name: string): string | null };

export declare class ProdVisual {
  constructor(apiKey?: string, options?: ProdVisualOptions);
  constructor(options: ProdVisualOptions);
  readonly apiKey: string;
  readonly baseUrl: string;
  timeout: number;
  maxRetries: number;
  maxRetryWait: number;
  backoffBase: number;
  backoffMax: number;
  onRetry: ((info: RetryInfo) => void) | null;

  generate(params: GenerateParams, options?: RequestOptions): Promise<Generation>;
  generateBatch(items: GenerateParams[] | BatchParams, options?: RequestOptions): Promise<Batch>;
  styles(): Promise<StyleList>;
  platforms(): Promise<PlatformList>;
  credits(): Promise<Credits>;
  usage(days?: number): Promise<Usage>;
  listGenerations(options?: { limit?: number; startingAfter?: string }): Promise<GenerationPage>;
  iterGenerations(options?: { pageSize?: number; startingAfter?: string }): AsyncGenerator<Generation | Batch>;
  listKeys(): Promise<APIKey[]>;
  createKey(options?: { name?: string; mode?: 'live' | 'test' }): Promise<APIKey>;
  revokeKey(id: string): Promise<APIKey>;
  getGeneration(id: string): Promise<Generation | Batch>;
  getBatch(batchId: string): Promise<Batch>;
  waitForCompletion(target: Generation, options?: WaitOptions): Promise<Generation>;
  waitForCompletion(target: Batch, options?: WaitOptions): Promise<Batch>;
  waitForCompletion(target: string, options?: WaitOptions): Promise<Generation | Batch>;
  download(output: Generation | string): Promise<Buffer>;

  static verifyWebhook(rawBody: RawBody, signature: string | null | undefined, apiKey: string, options?: VerifyOptions): boolean;
  static parseWebhook(rawBody: RawBody, headers: HeaderBag, apiKey: string, options?: Omit<VerifyOptions, 'timestamp'>): WebhookEvent;
  static computeSignature(rawBody: RawBody, apiKey: string): string;
  static readonly VERSION: string;
  static readonly DEFAULT_BASE_URL: string;
}

export declare class ProdVisualError extends Error {
  code: string;
  status: number | null;
  /** Response headers, lower-case names. */
  headers: Record<string, string>;
  /** The error envelope, when the API answered one. */
  body: { error: { code: string; message: string; status: number } } | null;
}
export declare class APIError extends ProdVisualError {
  status: number;
}
export declare class InvalidRequestError extends APIError {}
export declare class AuthenticationError extends APIError {}
/** 403: a valid key that may not do this (a test key managing keys); code `unauthorized`. */
export declare class PermissionDeniedError extends AuthenticationError {}
export declare class InsufficientCreditsError extends APIError {}
export declare class NotFoundError extends APIError {}
export declare class ConflictError extends APIError {}
export declare class FileTooLargeError extends APIError {}
export declare class InvalidImageError extends APIError {}
export declare class RateLimitError extends APIError {
  /** Seconds the server asked to wait (Retry-After). */
  readonly retryAfter: number | null;
  readonly limit: number | null;
  readonly remaining: number | null;
  /** Unix time the window resets. */
  readonly reset: number | null;
}
export declare class ServerError extends APIError {}
export declare class APIConnectionError extends ProdVisualError {
  status: null;
}
export declare class WaitTimeoutError extends ProdVisualError {
  last: Generation | Batch | undefined;
}
export declare class WebhookVerificationError extends ProdVisualError {}

export declare function verifyWebhook(rawBody: RawBody, signature: string | null | undefined, apiKey: string, options?: VerifyOptions): boolean;
export declare function parseWebhook(rawBody: RawBody, headers: HeaderBag, apiKey: string, options?: Omit<VerifyOptions, 'timestamp'>): WebhookEvent;
export declare function computeSignature(rawBody: RawBody, apiKey: string): string;

export declare const RETRYABLE_STATUSES: readonly number[];
export declare const DEFAULT_BASE_URL: string;
export declare const SIGNATURE_HEADER: 'X-ProdVisual-Signature';
export declare const TIMESTAMP_HEADER: 'X-ProdVisual-Timestamp';
export declare const EVENT_ID_HEADER: 'X-ProdVisual-Event-Id';
export declare const VERSION: string;
