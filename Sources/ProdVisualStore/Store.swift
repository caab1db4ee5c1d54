import Foundation

/// Everything the service persists. Each method is one atomic unit of work, so that an
/// implementation over another database (PostgreSQL for several nodes) keeps the same guarantees:
/// no half-written records and a credit balance that never goes below zero.
public protocol Store: Sendable {
    // MARK: Accounts and keys

    /// Creates the account and, when `initialCredits > 0`, its opening purchase entry.
    func createAccount(_ account: AccountRecord, initialCredits: Int) async throws
    func account(id: String) async throws -> AccountRecord?
    func accounts() async throws -> [AccountRecord]
    func insertKey(_ key: APIKeyRecord) async throws
    /// A key by its secret's hash, revoked or not: the caller decides what a revoked key means.
    func key(secretHash: String) async throws -> APIKeyRecord?
    func keys(accountID: String?) async throws -> [APIKeyRecord]
    /// Returns false when no such unrevoked key exists.
    func revokeKey(id: String, at date: Date) async throws -> Bool

    // MARK: Credits

    /// Appends a purchase and returns the new balance.
    func addCredits(accountID: String, amount: Int, at date: Date) async throws -> Int
    func creditSummary(accountID: String, dayStart: Date) async throws -> CreditSummary

    // MARK: Generations

    /// Inserts the generation and, when it costs credits, debits them in the same transaction,
    /// only if the balance covers it (else `StoreError.insufficientCredits`, nothing written).
    /// Returns the balance after the debit.
    func startGeneration(_ generation: GenerationRecord) async throws -> Int
    /// Marks a generation completed with its output; returns the account's balance.
    func completeGeneration(id: String, output: GenerationOutput, at date: Date) async throws -> Int
    /// Marks a generation failed and refunds whatever it was charged; returns the balance.
    func failGeneration(id: String, code: String, message: String, at date: Date) async throws -> Int
    func generation(id: String) async throws -> GenerationRecord?

    // MARK: Job queue

    /// Claims the oldest job that is pending, or processing under an expired lease (its worker
    /// died), for `worker` until `leaseUntil`, counting the attempt; nil when there is none.
    func claimJob(worker: String, now: Date, leaseUntil: Date) async throws -> GenerationRecord?
    /// Extends a claimed job's lease; false when the job is no longer this worker's.
    func renewLease(id: String, worker: String, until: Date) async throws -> Bool

    // MARK: Idempotency keys

    /// Registers the first use of an account's key within `window`, or says what became of it.
    func beginIdempotent(accountID: String, key: String, requestHash: String, at date: Date, window: TimeInterval) async throws -> IdempotencyOutcome
    /// Records the response that repeats of the key are given.
    func finishIdempotent(accountID: String, key: String, statusCode: Int, response: String) async throws
    /// Completed generations whose outputs expired before `date` and are not purged yet.
    func expiredGenerations(before date: Date, limit: Int) async throws -> [GenerationRecord]
    func markPurged(id: String, at date: Date) async throws
}
