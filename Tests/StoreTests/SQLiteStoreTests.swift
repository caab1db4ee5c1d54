import Foundation
import Testing

@testable import ProdVisualStore

@Suite struct SQLiteStoreTests {
    let directory: URL
    let store: SQLiteStore
    let now = Date(timeIntervalSince1970: 1_780_000_000)

    init() throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("pv-store-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        store = try SQLiteStore(path: directory.appendingPathComponent("db.sqlite").path)
    }

    private func seedAccount(credits: Int) async throws {
        try await store.createAccount(AccountRecord(id: "acct_1", name: "Shop", createdAt: now), initialCredits: credits)
        try await store.insertKey(
            APIKeyRecord(id: "key_1", accountID: "acct_1", mode: .live, secretHash: "h1", hint: "abcd", name: "default", createdAt: now))
    }

    private func generation(_ id: String, cost: Int = 1, at date: Date? = nil) -> GenerationRecord {
        GenerationRecord(
            id: id, accountID: "acct_1", keyID: "key_1", mode: cost > 0 ? .live : .test, status: .processing,
            style: "white_bg", platform: "generic", format: "png", width: 100, height: 100, parameters: "{}",
            creditsUsed: cost, createdAt: date ?? now, expiresAt: (date ?? now).addingTimeInterval(3600))
    }

    @Test func openingPurchaseIsTheBalance() async throws {
        try await seedAccount(credits: 100)
        let summary = try await store.creditSummary(accountID: "acct_1", dayStart: now.addingTimeInterval(-10))
        #expect(summary.balance == 100)
        #expect(summary.usedTotal == 0)
        #expect(summary.lastPurchase?.amount == 100)
        #expect(summary.lastPurchase?.date == now)
    }

    @Test func startDebitsAndRefusesWhenEmpty() async throws {
        try await seedAccount(credits: 1)
        #expect(try await store.startGeneration(generation("gen_a")) == 0)
        await #expect(throws: StoreError.insufficientCredits(balance: 0)) {
            try await store.startGeneration(generation("gen_b"))
        }
        // Nothing half-written: the refused generation does not exist.
        #expect(try await store.generation(id: "gen_b") == nil)
        // A free (sandbox) generation still goes through at zero balance.
        #expect(try await store.startGeneration(generation("gen_c", cost: 0)) == 0)
    }

    @Test func failureRefundsExactlyOnce() async throws {
        try await seedAccount(credits: 3)
        _ = try await store.startGeneration(generation("gen_a"))
        #expect(try await store.failGeneration(id: "gen_a", code: "invalid_image", message: "bad", at: now) == 3)
        // Failing again (a retried worker) must not refund twice.
        #expect(try await store.failGeneration(id: "gen_a", code: "invalid_image", message: "bad", at: now) == 3)
        let failed = try #require(try await store.generation(id: "gen_a"))
        #expect(failed.status == .failed)
        #expect(failed.creditsUsed == 0)
        #expect(failed.errorCode == "invalid_image")
        let summary = try await store.creditSummary(accountID: "acct_1", dayStart: now.addingTimeInterval(-10))
        #expect(summary.usedTotal == 0)
    }

    @Test func complianceIsKeptWithTheCompletedGeneration() async throws {
        try await seedAccount(credits: 5)
        _ = try await store.startGeneration(generation("gen_c"))
        #expect(try await store.generation(id: "gen_c")?.compliance == nil)
        let report = #"{"platform":"amazon","verdict":"pass"}"#
        _ = try await store.completeGeneration(
            id: "gen_c", output: GenerationOutput(outputFile: "gen_c.png", fileSize: 1, generationTimeMs: 1, compliance: report), at: now)
        #expect(try await store.generation(id: "gen_c")?.compliance == report)
    }

    @Test func databaseFromVersionOneIsUpgraded() async throws {
        // A file at schema version 1, as made before compliance, the job queue and webhooks.
        let path = directory.appendingPathComponent("v1.sqlite").path
        let connection = try SQLiteConnection(path: path)
        try connection.execute(SQLiteStore.migrations[0] + """
            INSERT INTO accounts VALUES ('acct_1', 'Shop', 0);
            INSERT INTO api_keys VALUES ('key_1', 'acct_1', 'live', 'h1', 'abcd', 'default', 0, NULL);
            INSERT INTO generations (id, account_id, key_id, mode, status, style, platform, format, width, height,
                parameters, credits_used, created_at, expires_at)
            VALUES ('gen_old', 'acct_1', 'key_1', 'live', 'processing', 'white_bg', 'generic', 'png', 10, 10, '{}', 0, 0, 1);
            PRAGMA user_version = 1;
            """)

        let reopened = try SQLiteStore(path: path)
        let old = try #require(try await reopened.generation(id: "gen_old"))
        #expect(old.compliance == nil && old.batchID == nil && old.webhookURL == nil)
        #expect(try await reopened.key(id: "key_1")?.sealedSecret == nil)
        _ = try await reopened.completeGeneration(
            id: "gen_old", output: GenerationOutput(outputFile: "gen_old.png", fileSize: 1, generationTimeMs: 1, compliance: "{}"), at: now)
        #expect(try await reopened.generation(id: "gen_old")?.compliance == "{}")
    }

    @Test func completionRecordsOutputAndUsage() async throws {
        try await seedAccount(credits: 5)
        _ = try await store.startGeneration(generation("gen_a", at: now.addingTimeInterval(-86_400 * 2)))
        _ = try await store.startGeneration(generation("gen_b"))
        let balance = try await store.completeGeneration(
            id: "gen_b", output: GenerationOutput(outputFile: "gen_b.png", fileSize: 1234, generationTimeMs: 56), at: now)
        #expect(balance == 3)
        let done = try #require(try await store.generation(id: "gen_b"))
        #expect(done.status == .completed)
        #expect(done.outputFile == "gen_b.png")
        #expect(done.fileSize == 1234)
        let summary = try await store.creditSummary(accountID: "acct_1", dayStart: now.addingTimeInterval(-3600))
        #expect(summary.usedTotal == 2)
        #expect(summary.usedToday == 1)
        // A completed generation cannot be failed (and refunded) afterwards.
        #expect(try await store.failGeneration(id: "gen_b", code: "server_error", message: "late", at: now) == 3)
        #expect(try await store.generation(id: "gen_b")?.status == .completed)
    }

    @Test func balanceNeverNegativeUnderConcurrency() async throws {
        try await seedAccount(credits: 5)
        let results = await withTaskGroup(of: Bool.self, returning: [Bool].self) { group in
            for index in 0..<20 {
                group.addTask {
                    (try? await store.startGeneration(generation("gen_\(index)"))) != nil
                }
            }
            return await group.reduce(into: []) { $0.append($1) }
        }
        #expect(results.filter { $0 }.count == 5)
        #expect(try await store.creditSummary(accountID: "acct_1", dayStart: now).balance == 0)
    }

    @Test func ledgerIsAppendOnly() async throws {
        try await seedAccount(credits: 5)
        // Reach past the store's API: the database itself must refuse to rewrite history.
        let connection = try SQLiteConnection(path: directory.appendingPathComponent("db.sqlite").path)
        #expect(throws: StoreError.self) { try connection.query("UPDATE credit_ledger SET delta = 1000") }
        #expect(throws: StoreError.self) { try connection.query("DELETE FROM credit_ledger") }
    }

    @Test func keysAreFoundByHashAndRevoked() async throws {
        try await seedAccount(credits: 0)
        #expect(try await store.key(secretHash: "h1")?.id == "key_1")
        #expect(try await store.key(secretHash: "nope") == nil)
        #expect(try await store.revokeKey(id: "key_1", at: now))
        #expect(try await !store.revokeKey(id: "key_1", at: now))
        #expect(try await store.key(secretHash: "h1")?.revokedAt == now)
    }

    @Test func expiredOutputsAreListedUntilPurged() async throws {
        try await seedAccount(credits: 2)
        _ = try await store.startGeneration(generation("gen_old", at: now.addingTimeInterval(-7200)))
        _ = try await store.completeGeneration(
            id: "gen_old", output: GenerationOutput(outputFile: "gen_old.png", fileSize: 1, generationTimeMs: 1), at: now)
        _ = try await store.startGeneration(generation("gen_new"))
        _ = try await store.completeGeneration(
            id: "gen_new", output: GenerationOutput(outputFile: "gen_new.png", fileSize: 1, generationTimeMs: 1), at: now)
        #expect(try await store.expiredGenerations(before: now, limit: 10).map(\.id) == ["gen_old"])
        try await store.markPurged(id: "gen_old", at: now)
        #expect(try await store.expiredGenerations(before: now, limit: 10).isEmpty)
    }

    @Test func reopeningKeepsData() async throws {
        try await seedAccount(credits: 7)
        let reopened = try SQLiteStore(path: directory.appendingPathComponent("db.sqlite").path)
        #expect(try await reopened.creditSummary(accountID: "acct_1", dayStart: now).balance == 7)
    }

    private func job(_ id: String, at date: Date) -> GenerationRecord {
        var record = generation(id, at: date)
        record.status = .pending
        return record
    }

    @Test func workersClaimPendingJobsOldestFirstAndNeverTheSameOne() async throws {
        try await seedAccount(credits: 10)
        for (index, id) in ["gen_b", "gen_a", "gen_c"].enumerated() {
            _ = try await store.startGeneration(job(id, at: now.addingTimeInterval(Double(index))))
        }
        // A synchronous generation is processed by its request and is no job.
        _ = try await store.startGeneration(generation("gen_sync", at: now.addingTimeInterval(-60)))
        let lease = now.addingTimeInterval(30)
        let first = try #require(try await store.claimJob(worker: "w1", now: now, leaseUntil: lease))
        let second = try #require(try await store.claimJob(worker: "w2", now: now, leaseUntil: lease))
        let third = try #require(try await store.claimJob(worker: "w1", now: now, leaseUntil: lease))
        #expect([first.id, second.id, third.id] == ["gen_b", "gen_a", "gen_c"])
        #expect(first.status == .processing)
        #expect(try await store.claimJob(worker: "w3", now: now, leaseUntil: lease) == nil)
    }

    @Test func aJobWhoseWorkerDiedIsClaimedAgainOnlyAfterItsLease() async throws {
        try await seedAccount(credits: 10)
        _ = try await store.startGeneration(job("gen_a", at: now))
        _ = try #require(try await store.claimJob(worker: "w1", now: now, leaseUntil: now.addingTimeInterval(30)))
        // Renewed while w1 works; a stranger cannot renew it.
        #expect(try await store.renewLease(id: "gen_a", worker: "w1", until: now.addingTimeInterval(60)))
        #expect(try await store.renewLease(id: "gen_a", worker: "w2", until: now.addingTimeInterval(600)) == false)
        #expect(try await store.claimJob(worker: "w2", now: now.addingTimeInterval(45), leaseUntil: now.addingTimeInterval(75)) == nil)
        // w1 died: after the lease, w2 takes the job over, and w1 can no longer renew it.
        let reclaimed = try #require(try await store.claimJob(worker: "w2", now: now.addingTimeInterval(61), leaseUntil: now.addingTimeInterval(91)))
        #expect(reclaimed.id == "gen_a")
        #expect(try await store.renewLease(id: "gen_a", worker: "w1", until: now.addingTimeInterval(120)) == false)
        // Completing is idempotent: a second completion (the old worker) changes nothing.
        let output = GenerationOutput(outputFile: "gen_a.png", fileSize: 10, generationTimeMs: 5, compliance: nil)
        _ = try await store.completeGeneration(id: "gen_a", output: output, at: now.addingTimeInterval(70))
        let other = GenerationOutput(outputFile: "other.png", fileSize: 99, generationTimeMs: 9, compliance: nil)
        _ = try await store.completeGeneration(id: "gen_a", output: other, at: now.addingTimeInterval(80))
        let done = try #require(try await store.generation(id: "gen_a"))
        #expect(done.status == .completed && done.outputFile == "gen_a.png")
        #expect(try await store.claimJob(worker: "w3", now: now.addingTimeInterval(1000), leaseUntil: now.addingTimeInterval(1030)) == nil)
        let summary = try await store.creditSummary(accountID: "acct_1", dayStart: now.addingTimeInterval(-10))
        #expect(summary.usedTotal == 1, "charged once")
    }

    @Test func anIdempotencyKeyReplaysItsFirstResponseForADay() async throws {
        try await seedAccount(credits: 1)
        let day: TimeInterval = 86_400
        #expect(try await store.beginIdempotent(accountID: "acct_1", key: "k1", requestHash: "h", at: now, window: day) == .first)
        #expect(try await store.beginIdempotent(accountID: "acct_1", key: "k1", requestHash: "h", at: now, window: day) == .inFlight)
        try await store.finishIdempotent(accountID: "acct_1", key: "k1", statusCode: 200, response: #"{"id":"gen_1"}"#)
        #expect(try await store.beginIdempotent(accountID: "acct_1", key: "k1", requestHash: "h", at: now.addingTimeInterval(3600), window: day)
            == .replay(statusCode: 200, response: #"{"id":"gen_1"}"#))
        #expect(try await store.beginIdempotent(accountID: "acct_1", key: "k1", requestHash: "other", at: now, window: day) == .mismatch)
        // After the window the key is new again.
        #expect(try await store.beginIdempotent(accountID: "acct_1", key: "k1", requestHash: "other", at: now.addingTimeInterval(day + 1), window: day) == .first)
    }

    // MARK: Batches and webhooks

    private func queued(_ id: String, batch: String? = nil, index: Int? = nil, webhook: String? = nil, at date: Date? = nil) -> QueuedGeneration {
        let base = job(id, at: date ?? now)
        let record = GenerationRecord(
            id: base.id, accountID: base.accountID, keyID: base.keyID, mode: base.mode, status: .pending, style: base.style,
            platform: base.platform, format: base.format, width: base.width, height: base.height, parameters: base.parameters,
            creditsUsed: base.creditsUsed, createdAt: base.createdAt, expiresAt: base.expiresAt, batchID: batch, batchIndex: index,
            webhookURL: webhook)
        return QueuedGeneration(record: record, request: Data(#"{"style":"white_bg","n":"\#(id)"}"#.utf8))
    }

    private func batch(_ id: String, items: Int, webhook: String?) -> BatchRecord {
        BatchRecord(id: id, accountID: "acct_1", keyID: "key_1", totalItems: items, webhookURL: webhook, createdAt: now)
    }

    private let output = GenerationOutput(outputFile: "x.png", fileSize: 1, generationTimeMs: 100)

    @Test func aBatchIsReservedWholeOrNotAtAll() async throws {
        try await seedAccount(credits: 3)
        let four = (0..<4).map { (index: Int) in queued("gen_\(index)", batch: "batch_1", index: index) }
        await #expect(throws: StoreError.insufficientCredits(balance: 3)) {
            try await store.enqueue(four, batch: batch("batch_1", items: 4, webhook: nil))
        }
        #expect(try await store.batch(id: "batch_1") == nil)
        #expect(try await store.generation(id: "gen_0") == nil)

        let three = [2, 0, 1].map { (index: Int) in queued("gen_\(index)", batch: "batch_1", index: index) }
        #expect(try await store.enqueue(three, batch: batch("batch_1", items: 3, webhook: nil)) == 0)
        #expect(try await store.generations(batchID: "batch_1").map(\.id) == ["gen_0", "gen_1", "gen_2"])
        #expect(try await store.jobRequest(generationID: "gen_1") == three[2].request)
        #expect(try await store.queueLoad(recent: 5).unfinished == 3)
    }

    @Test func theLastItemFinishesTheBatchAndEachEventIsQueuedOnce() async throws {
        try await seedAccount(credits: 5)
        let items = [queued("gen_a", batch: "batch_1", index: 0, webhook: "https://hooks.example/a"), queued("gen_b", batch: "batch_1", index: 1)]
        _ = try await store.enqueue(items, batch: batch("batch_1", items: 2, webhook: "https://hooks.example/batch"))
        _ = try await store.completeGeneration(id: "gen_a", output: output, at: now)
        #expect(try await store.batch(id: "batch_1")?.status == .processing)
        #expect(try await store.jobRequest(generationID: "gen_a") == nil, "the request is dropped once done")
        let itemEvents = try await store.deliveries(subjectID: "gen_a")
        #expect(itemEvents.map(\.event) == [.generationCompleted])
        #expect(itemEvents.first?.url == "https://hooks.example/a")
        #expect(try await store.deliveries(subjectID: "gen_b").isEmpty, "no webhook asked for")
        #expect(try await store.deliveries(subjectID: "batch_1").isEmpty, "not before the last item")

        #expect(try await store.failGeneration(id: "gen_b", code: "invalid_image", message: "bad", at: now) == 4, "refunded")
        let finished = try #require(try await store.batch(id: "batch_1"))
        #expect(finished.status == .completed && finished.completedAt == now)
        #expect(try await store.deliveries(subjectID: "batch_1").map(\.event) == [.batchCompleted])
        // Finishing again (a worker whose lease ran out) queues nothing more.
        _ = try await store.completeGeneration(id: "gen_a", output: output, at: now.addingTimeInterval(5))
        _ = try await store.failGeneration(id: "gen_b", code: "x", message: "y", at: now.addingTimeInterval(5))
        #expect(try await store.deliveries(subjectID: "gen_a").count == 1)
        #expect(try await store.deliveries(subjectID: "batch_1").count == 1)
    }

    @Test func aBatchWhoseItemsAllFailedIsFailed() async throws {
        try await seedAccount(credits: 5)
        _ = try await store.enqueue([queued("gen_a", batch: "batch_1", index: 0)], batch: batch("batch_1", items: 1, webhook: nil))
        _ = try await store.failGeneration(id: "gen_a", code: "invalid_image", message: "bad", at: now)
        #expect(try await store.batch(id: "batch_1")?.status == .failed)
    }

    @Test func deliveriesAreClaimedWhenDueAndKeepEveryAttempt() async throws {
        try await seedAccount(credits: 5)
        _ = try await store.enqueue([queued("gen_a", webhook: "https://hooks.example/a")], batch: nil)
        _ = try await store.completeGeneration(id: "gen_a", output: output, at: now)
        let first = try #require(try await store.claimDelivery(worker: "d1", now: now, leaseUntil: now.addingTimeInterval(60)))
        #expect(first.id.hasPrefix("evt_") && first.payload == nil && first.attempts.isEmpty)
        #expect(try await store.claimDelivery(worker: "d2", now: now, leaseUntil: now.addingTimeInterval(60)) == nil, "leased")

        let failed = DeliveryAttempt(number: 1, attemptedAt: now, statusCode: 500, error: "HTTP 500", durationMs: 12)
        try await store.recordDeliveryAttempt(id: first.id, payload: "body-1", attempt: failed, outcome: .retry(at: now.addingTimeInterval(30)))
        #expect(try await store.claimDelivery(worker: "d2", now: now.addingTimeInterval(10), leaseUntil: now.addingTimeInterval(70)) == nil, "not due")
        let second = try #require(try await store.claimDelivery(worker: "d2", now: now.addingTimeInterval(31), leaseUntil: now.addingTimeInterval(91)))
        #expect(second.id == first.id && second.payload == "body-1" && second.attempts == [failed])

        let delivered = DeliveryAttempt(number: 2, attemptedAt: now.addingTimeInterval(31), statusCode: 204, error: nil, durationMs: 8)
        // The body is fixed by the first attempt: a later one cannot change it.
        try await store.recordDeliveryAttempt(id: first.id, payload: "body-2", attempt: delivered, outcome: .delivered)
        let record = try #require(try await store.deliveries(subjectID: "gen_a").first)
        #expect(record.status == .delivered && record.payload == "body-1" && record.attempts == [failed, delivered])
        #expect(try await store.claimDelivery(worker: "d3", now: now.addingTimeInterval(9999), leaseUntil: now.addingTimeInterval(99_999)) == nil)
    }

    @Test func aReleasedJobIsClaimedAgainAtOnce() async throws {
        try await seedAccount(credits: 5)
        _ = try await store.enqueue([queued("gen_a")], batch: nil)
        _ = try #require(try await store.claimJob(worker: "w1", now: now, leaseUntil: now.addingTimeInterval(60)))
        #expect(try await store.releaseJob(id: "gen_a", worker: "w2") == false, "only its holder releases it")
        #expect(try await store.releaseJob(id: "gen_a", worker: "w1"))
        let again = try #require(try await store.claimJob(worker: "w2", now: now.addingTimeInterval(1), leaseUntil: now.addingTimeInterval(61)))
        #expect(again.attempts == 2)
    }

    @Test func synchronousWorkAbandonedByADeadServerIsRefunded() async throws {
        try await seedAccount(credits: 5)
        _ = try await store.startGeneration(generation("gen_sync", at: now.addingTimeInterval(-3600)))
        _ = try await store.startGeneration(generation("gen_recent", at: now.addingTimeInterval(-10)))
        _ = try await store.enqueue([queued("gen_job", at: now.addingTimeInterval(-3600))], batch: nil)
        _ = try await store.claimJob(worker: "w1", now: now, leaseUntil: now.addingTimeInterval(60))
        #expect(try await store.failAbandonedSynchronous(before: now.addingTimeInterval(-900), at: now) == 1)
        #expect(try await store.generation(id: "gen_sync")?.status == .failed)
        #expect(try await store.generation(id: "gen_recent")?.status == .processing)
        #expect(try await store.generation(id: "gen_job")?.status == .processing, "jobs are the queue's to recover")
        #expect(try await store.creditSummary(accountID: "acct_1", dayStart: now).balance == 3)
    }
}
