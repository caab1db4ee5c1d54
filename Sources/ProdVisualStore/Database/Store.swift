import Foundation

/// Everything the service persists. Each method is one atomic unit of work, so that an
/// implementation over another database (PostgreSQL for several nodes) keeps the same guarantees:
/// no half-written records and a credit balance that never goes below zero.
public protocol Store: Sendable {
    // MARK: Accounts and keys

    /// Creates the account and, when `initialCredits > 0`, its opening purchase entry.
    func createAccount(_ account: AccountRecord, initialCredits: Int) async throws
    /// Creates the account only when the store has no account yet (a first start); false when
    /// one exists. Atomic, so nodes starting together on an empty database create one between them.
    func createFirstAccount(_ account: AccountRecord, initialCredits: Int) async throws -> Bool
    func account(id: String) async throws -> AccountRecord?
    func accounts() async throws -> [AccountRecord]
    func insertKey(_ key: APIKeyRecord) async throws
    /// A key by its secret's hash, revoked or not: the caller decides what a revoked key means.
    func key(secretHash: String) async throws -> APIKeyRecord?
    func keys(accountID: String?) async throws -> [APIKeyRecord]
    /// Returns false when no such unrevoked key exists.
    func revokeKey(id: String, at date: Date) async throws -> Bool
    func key(id: String) async throws -> APIKeyRecord?
    /// Keeps the key's sealed secret (for keys issued before secrets were sealed).
    func setSealedSecret(keyID: String, sealed: String) async throws
    /// Records that the key was used at `date`, unless a use at or after `since` is already
    /// recorded: a write per key per `keyUseResolution`, not per request.
    func recordKeyUse(id: String, at date: Date, unlessUsedSince since: Date) async throws

    // MARK: Credits

    /// Appends a purchase and returns the new balance.
    func addCredits(accountID: String, amount: Int, at date: Date) async throws -> Int
    func creditSummary(accountID: String, dayStart: Date) async throws -> CreditSummary
    /// Per UTC day from `from` (a day's start) on, the days with any activity only, oldest first:
    /// credits debited less credits refunded, and generations created (live and test).
    func dailyUsage(accountID: String, from: Date) async throws -> [DailyUsage]

    // MARK: Generations

    /// Inserts the generation and, when it costs credits, debits them in the same transaction,
    /// only if the balance covers it (else `StoreError.insufficientCredits`, nothing written).
    /// Returns the balance after the debit.
    func startGeneration(_ generation: GenerationRecord) async throws -> Int
    /// Marks a generation completed with its output; returns the account's balance. Only the
    /// first completion counts: a later one (a worker whose lease ran out) changes nothing.
    /// In the same transaction, queues the generation's webhook and, when it was the last
    /// unfinished item of a batch, finishes the batch and queues the batch's webhook.
    func completeGeneration(id: String, output: GenerationOutput, at date: Date) async throws -> Int
    /// Marks a generation failed and refunds whatever it was charged; returns the balance.
    /// Webhooks and batches as for completion.
    func failGeneration(id: String, code: String, message: String, at date: Date) async throws -> Int
    func generation(id: String) async throws -> GenerationRecord?
    /// Fails, with a refund, synchronous generations still processing since before `date`:
    /// their server died mid-request. Returns how many.
    func failAbandonedSynchronous(before date: Date, at now: Date) async throws -> Int

    // MARK: Batches

    /// Inserts pending jobs (and their batch) and debits their credits in one transaction, only
    /// if the balance covers them all (else `StoreError.insufficientCredits`, nothing written).
    /// Returns the balance after the debit.
    func enqueue(_ jobs: [QueuedGeneration], batch: BatchRecord?) async throws -> Int
    func batch(id: String) async throws -> BatchRecord?
    /// A batch's items in request order.
    func generations(batchID: String) async throws -> [GenerationRecord]
    /// The account's /v1 history: generations that belong to no batch or product, and /v1
    /// batches (not product or try-on tasks), newest first, equal times by id descending (byte
    /// order); only entries after `cursor` in that order; at most `limit`.
    func history(accountID: String, after cursor: HistoryCursor?, limit: Int) async throws -> [HistoryEntry]

    // MARK: Products

    func insertProduct(_ product: ProductRecord) async throws
    func product(id: String) async throws -> ProductRecord?
    /// A product's generated images (and those still queued or failed), oldest first.
    func generations(productID: String) async throws -> [GenerationRecord]

    /// The account's default model photo for try-on (JSON the domain owns); nil when unset.
    func defaultPerson(accountID: String) async throws -> String?
    func setDefaultPerson(accountID: String, person: String, at date: Date) async throws

    // MARK: Job queue

    /// Claims the oldest job that is pending, or processing under an expired lease (its worker
    /// died), for `worker` until `leaseUntil`, counting the attempt; nil when there is none.
    func claimJob(worker: String, now: Date, leaseUntil: Date) async throws -> GenerationRecord?
    /// Extends a claimed job's lease; false when the job is no longer this worker's.
    func renewLease(id: String, worker: String, until: Date) async throws -> Bool
    /// Puts a job this worker could not finish back in the queue for another claim at once.
    func releaseJob(id: String, worker: String) async throws -> Bool
    /// The request a queued generation renders; nil for synchronous ones.
    func jobRequest(generationID: String) async throws -> Data?
    /// Jobs waiting or running, and the mean render time of the latest completed generations
    /// (nil without history): what an estimate of a new batch's wait is made from.
    func queueLoad(recent: Int) async throws -> (unfinished: Int, meanGenerationMs: Int?)

    // MARK: Webhook deliveries

    /// Claims the oldest pending delivery that is due, under a lease, as for jobs.
    func claimDelivery(worker: String, now: Date, leaseUntil: Date) async throws -> WebhookDelivery?
    /// Records an attempt and what follows it; `payload` is stored if none was yet.
    func recordDeliveryAttempt(id: String, payload: String, attempt: DeliveryAttempt, outcome: DeliveryOutcome) async throws
    /// Every delivery about a generation or batch, with its attempts.
    func deliveries(subjectID: String) async throws -> [WebhookDelivery]

    // MARK: Idempotency keys

    /// Registers the first use of an account's key within `window`, or says what became of it.
    func beginIdempotent(accountID: String, key: String, requestHash: String, at date: Date, window: TimeInterval) async throws -> IdempotencyOutcome
    /// Records the response that repeats of the key are given.
    func finishIdempotent(accountID: String, key: String, statusCode: Int, response: String) async throws
    /// Forgets a key whose request failed in a way worth retrying (5xx, 402), so it can be used again.
    func abandonIdempotent(accountID: String, key: String) async throws
    /// Marks up to `limit` completed generations whose outputs expired before `date` purged at
    /// `now` and returns them, so that their files are deleted once, whichever node sweeps.
    func claimExpiredOutputs(before date: Date, limit: Int, at now: Date) async throws -> [GenerationRecord]
}

/// How finely a key's last use is kept: `recordKeyUse` writes at most once per this interval.
public let keyUseResolution: TimeInterval = 60

/// Fixed-window request counters, per key: one window per minute and one per UTC day.
public protocol RateCounter: Sendable {
    /// Counts one request for `key` in the windows starting at `minuteStart` and `dayStart` (Unix
    /// seconds) unless either already holds its limit. Returns both windows' counts afterwards
    /// and whether the request was counted.
    func countRequest(key: String, minuteStart: Int, dayStart: Int, perMinute: Int, perDay: Int) async throws
        -> (minute: Int, day: Int, allowed: Bool)
}
