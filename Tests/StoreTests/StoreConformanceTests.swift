import Foundation
import Logging
import Testing

@testable import ProdVisualStore

/// Every implementation of `Store`, and every test below runs on each: SQLite always, PostgreSQL
/// when `PRODVISUAL_TEST_DATABASE_URL` names a server (`scripts/with-services.sh` starts one; with
/// `PRODVISUAL_REQUIRE_SERVICES=1` its absence fails the suite instead of leaving it out).
enum StoreKind: String, CaseIterable, CustomTestStringConvertible, Sendable {
    case sqlite, postgres

    var testDescription: String { rawValue }

    static var databaseURL: String? { ProcessInfo.processInfo.environment["PRODVISUAL_TEST_DATABASE_URL"] }
    static var servicesRequired: Bool { ProcessInfo.processInfo.environment["PRODVISUAL_REQUIRE_SERVICES"] == "1" }
    static let available: [StoreKind] = databaseURL != nil || servicesRequired ? allCases : [.sqlite]
}

/// One store of a kind, fresh and empty: a new SQLite file, or a new PostgreSQL schema.
struct StoreUnderTest: Sendable {
    let kind: StoreKind
    let store: any Store
    /// Opens the same database again, as a restarted node would.
    let reopen: @Sendable () async throws -> any Store
    /// Runs SQL past the store's API, to prove what the database itself refuses.
    let execute: @Sendable (String) async throws -> Void
    let close: @Sendable () async -> Void
    /// The SQLite file; empty for PostgreSQL.
    var path = ""

    static func open(_ kind: StoreKind) async throws -> StoreUnderTest {
        switch kind {
        case .sqlite:
            let directory = FileManager.default.temporaryDirectory.appendingPathComponent("pv-store-\(UUID().uuidString)")
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
            let path = directory.appendingPathComponent("db.sqlite").path
            return StoreUnderTest(
                kind: kind, store: try SQLiteStore(path: path), reopen: { try SQLiteStore(path: path) },
                execute: { sql in _ = try SQLiteConnection(path: path).query(sql) },
                close: { try? FileManager.default.removeItem(at: directory) }, path: path)
        case .postgres:
            let url = try postgresSchemaURL()
            let store = try await PostgresStore.connect(url: url, logger: Logger(label: "test"))
            let opened = OpenedStores()
            await opened.add(store)
            return StoreUnderTest(
                kind: kind, store: store,
                reopen: {
                    let again = try await PostgresStore.connect(url: url, logger: Logger(label: "test"))
                    await opened.add(again)
                    return again
                },
                execute: { sql in try await store.query(sql) },
                close: { await opened.closeAll() })
        }
    }

    /// The test database's URL, pointed at a new, empty schema of its own.
    static func postgresSchemaURL() throws -> String {
        guard let base = StoreKind.databaseURL else {
            throw StoreError.database("PRODVISUAL_TEST_DATABASE_URL is not set, and PRODVISUAL_REQUIRE_SERVICES=1 asks for PostgreSQL")
        }
        let schema = "t_" + UUID().uuidString.replacingOccurrences(of: "-", with: "").lowercased().prefix(16)
        let create = Process()
        create.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        create.arguments = ["psql", "-q", "-v", "ON_ERROR_STOP=1", base, "-c", "CREATE SCHEMA \(schema)"]
        try create.run()
        create.waitUntilExit()
        guard create.terminationStatus == 0 else { throw StoreError.database("psql could not create schema \(schema)") }
        return base + (base.contains("?") ? "&" : "?") + "options=-c%20search_path%3D\(schema)"
    }
}

/// The PostgreSQL stores a test opened, to close them all at its end.
actor OpenedStores {
    private var stores: [PostgresStore] = []
    func add(_ store: PostgresStore) { stores.append(store) }
    func closeAll() async {
        for store in stores { await store.shutdown() }
        stores = []
    }
}

/// Runs `body` on a fresh store of `kind` and closes it whatever happens.
func withStore(_ kind: StoreKind, _ body: (StoreFixture) async throws -> Void) async throws {
    let opened = try await StoreUnderTest.open(kind)
    do {
        try await body(StoreFixture(opened))
    } catch {
        await opened.close()
        throw error
    }
    await opened.close()
}

/// A store with the records the tests build on.
struct StoreFixture {
    let opened: StoreUnderTest
    var store: any Store { opened.store }
    let now = Date(timeIntervalSince1970: 1_780_000_000)

    init(_ opened: StoreUnderTest) { self.opened = opened }

    func seedAccount(credits: Int) async throws {
        try await store.createAccount(AccountRecord(id: "acct_1", name: "Shop", createdAt: now), initialCredits: credits)
        try await store.insertKey(
            APIKeyRecord(id: "key_1", accountID: "acct_1", mode: .live, secretHash: "h1", hint: "abcd", name: "default", createdAt: now))
    }

    func generation(_ id: String, cost: Int = 1, at date: Date? = nil) -> GenerationRecord {
        GenerationRecord(
            id: id, accountID: "acct_1", keyID: "key_1", mode: cost > 0 ? .live : .test, status: .processing,
            style: "white_bg", platform: "generic", format: "png", width: 100, height: 100, parameters: "{}",
            creditsUsed: cost, createdAt: date ?? now, expiresAt: (date ?? now).addingTimeInterval(3600))
    }

    func job(_ id: String, at date: Date) -> GenerationRecord {
        var record = generation(id, at: date)
        record.status = .pending
        return record
    }

    func queued(_ id: String, batch: String? = nil, index: Int? = nil, webhook: String? = nil, at date: Date? = nil) -> QueuedGeneration {
        let base = job(id, at: date ?? now)
        let record = GenerationRecord(
            id: base.id, accountID: base.accountID, keyID: base.keyID, mode: base.mode, status: .pending, style: base.style,
            platform: base.platform, format: base.format, width: base.width, height: base.height, parameters: base.parameters,
            creditsUsed: base.creditsUsed, createdAt: base.createdAt, expiresAt: base.expiresAt, batchID: batch, batchIndex: index,
            webhookURL: webhook)
        return QueuedGeneration(record: record, request: Data(#"{"style":"white_bg","n":"\#(id)"}"#.utf8))
    }

    func batch(_ id: String, items: Int, webhook: String?) -> BatchRecord {
        BatchRecord(id: id, accountID: "acct_1", keyID: "key_1", totalItems: items, webhookURL: webhook, createdAt: now)
    }

    let output = GenerationOutput(outputFile: "x.png", fileSize: 1, generationTimeMs: 100)
}

// Serialized: each PostgreSQL store holds a pool of connections, and the server's are limited.
@Suite(.serialized) struct StoreConformanceTests {
    @Test(arguments: StoreKind.available) func openingPurchaseIsTheBalance(kind: StoreKind) async throws {
        try await withStore(kind) { t in
            let store = t.store, now = t.now
            try await t.seedAccount(credits: 100)
            let summary = try await store.creditSummary(accountID: "acct_1", dayStart: now.addingTimeInterval(-10))
            #expect(summary.balance == 100)
            #expect(summary.usedTotal == 0)
            #expect(summary.lastPurchase?.amount == 100)
            #expect(summary.lastPurchase?.date == now)
        }
    }

    @Test(arguments: StoreKind.available) func startDebitsAndRefusesWhenEmpty(kind: StoreKind) async throws {
        try await withStore(kind) { t in
            let store = t.store
            try await t.seedAccount(credits: 1)
            #expect(try await store.startGeneration(t.generation("gen_a")) == 0)
            await #expect(throws: StoreError.insufficientCredits(balance: 0)) {
                try await store.startGeneration(t.generation("gen_b"))
            }
            // Nothing half-written: the refused generation does not exist.
            #expect(try await store.generation(id: "gen_b") == nil)
            // A free (sandbox) generation still goes through at zero balance.
            #expect(try await store.startGeneration(t.generation("gen_c", cost: 0)) == 0)
        }
    }

    @Test(arguments: StoreKind.available) func failureRefundsExactlyOnce(kind: StoreKind) async throws {
        try await withStore(kind) { t in
            let store = t.store, now = t.now
            try await t.seedAccount(credits: 3)
            _ = try await store.startGeneration(t.generation("gen_a"))
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
    }

    @Test(arguments: StoreKind.available) func complianceIsKeptWithTheCompletedGeneration(kind: StoreKind) async throws {
        try await withStore(kind) { t in
            let store = t.store, now = t.now
            try await t.seedAccount(credits: 5)
            _ = try await store.startGeneration(t.generation("gen_c"))
            #expect(try await store.generation(id: "gen_c")?.compliance == nil)
            let report = #"{"platform":"amazon","verdict":"pass"}"#
            _ = try await store.completeGeneration(
                id: "gen_c", output: GenerationOutput(outputFile: "gen_c.png", fileSize: 1, generationTimeMs: 1, compliance: report), at: now)
            #expect(try await store.generation(id: "gen_c")?.compliance == report)
        }
    }

    @Test(arguments: StoreKind.available) func completionRecordsOutputAndUsage(kind: StoreKind) async throws {
        try await withStore(kind) { t in
            let store = t.store, now = t.now
            try await t.seedAccount(credits: 5)
            _ = try await store.startGeneration(t.generation("gen_a", at: now.addingTimeInterval(-86_400 * 2)))
            _ = try await store.startGeneration(t.generation("gen_b"))
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
    }

    @Test(arguments: StoreKind.available) func balanceNeverNegativeUnderConcurrency(kind: StoreKind) async throws {
        try await withStore(kind) { t in
            let store = t.store, now = t.now
            try await t.seedAccount(credits: 5)
            let results = await withTaskGroup(of: Bool.self, returning: [Bool].self) { group in
                for index in 0..<20 {
                    group.addTask {
                        (try? await store.startGeneration(t.generation("gen_\(index)"))) != nil
                    }
                }
                return await group.reduce(into: []) { $0.append($1) }
            }
            #expect(results.filter { $0 }.count == 5)
            #expect(try await store.creditSummary(accountID: "acct_1", dayStart: now).balance == 0)
        }
    }

    @Test(arguments: StoreKind.available) func keysAreFoundByHashAndRevoked(kind: StoreKind) async throws {
        try await withStore(kind) { t in
            let store = t.store, now = t.now
            try await t.seedAccount(credits: 0)
            #expect(try await store.key(secretHash: "h1")?.id == "key_1")
            #expect(try await store.key(secretHash: "nope") == nil)
            #expect(try await store.revokeKey(id: "key_1", at: now))
            #expect(try await !store.revokeKey(id: "key_1", at: now))
            #expect(try await store.key(secretHash: "h1")?.revokedAt == now)
        }
    }

    @Test(arguments: StoreKind.available) func workersClaimPendingJobsOldestFirstAndNeverTheSameOne(kind: StoreKind) async throws {
        try await withStore(kind) { t in
            let store = t.store, now = t.now
            try await t.seedAccount(credits: 10)
            for (index, id) in ["gen_b", "gen_a", "gen_c"].enumerated() {
                _ = try await store.startGeneration(t.job(id, at: now.addingTimeInterval(Double(index))))
            }
            // A synchronous generation is processed by its request and is no job.
            _ = try await store.startGeneration(t.generation("gen_sync", at: now.addingTimeInterval(-60)))
            let lease = now.addingTimeInterval(30)
            let first = try #require(try await store.claimJob(worker: "w1", now: now, leaseUntil: lease))
            let second = try #require(try await store.claimJob(worker: "w2", now: now, leaseUntil: lease))
            let third = try #require(try await store.claimJob(worker: "w1", now: now, leaseUntil: lease))
            #expect([first.id, second.id, third.id] == ["gen_b", "gen_a", "gen_c"])
            #expect(first.status == .processing)
            #expect(try await store.claimJob(worker: "w3", now: now, leaseUntil: lease) == nil)
        }
    }

    @Test(arguments: StoreKind.available) func aJobWhoseWorkerDiedIsClaimedAgainOnlyAfterItsLease(kind: StoreKind) async throws {
        try await withStore(kind) { t in
            let store = t.store, now = t.now
            try await t.seedAccount(credits: 10)
            _ = try await store.startGeneration(t.job("gen_a", at: now))
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
    }

    @Test(arguments: StoreKind.available) func anIdempotencyKeyReplaysItsFirstResponseForADay(kind: StoreKind) async throws {
        try await withStore(kind) { t in
            let store = t.store, now = t.now
            try await t.seedAccount(credits: 1)
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
    }

    @Test(arguments: StoreKind.available) func aBatchIsReservedWholeOrNotAtAll(kind: StoreKind) async throws {
        try await withStore(kind) { t in
            let store = t.store
            try await t.seedAccount(credits: 3)
            let four = (0..<4).map { (index: Int) in t.queued("gen_\(index)", batch: "batch_1", index: index) }
            await #expect(throws: StoreError.insufficientCredits(balance: 3)) {
                try await store.enqueue(four, batch: t.batch("batch_1", items: 4, webhook: nil))
            }
            #expect(try await store.batch(id: "batch_1") == nil)
            #expect(try await store.generation(id: "gen_0") == nil)

            let three = [2, 0, 1].map { (index: Int) in t.queued("gen_\(index)", batch: "batch_1", index: index) }
            #expect(try await store.enqueue(three, batch: t.batch("batch_1", items: 3, webhook: nil)) == 0)
            #expect(try await store.generations(batchID: "batch_1").map(\.id) == ["gen_0", "gen_1", "gen_2"])
            #expect(try await store.jobRequest(generationID: "gen_1") == three[2].request)
            #expect(try await store.queueLoad(recent: 5).unfinished == 3)
        }
    }

    @Test(arguments: StoreKind.available) func theLastItemFinishesTheBatchAndEachEventIsQueuedOnce(kind: StoreKind) async throws {
        try await withStore(kind) { t in
            let store = t.store, now = t.now
            try await t.seedAccount(credits: 5)
            let items = [t.queued("gen_a", batch: "batch_1", index: 0, webhook: "https://hooks.example/a"), t.queued("gen_b", batch: "batch_1", index: 1)]
            _ = try await store.enqueue(items, batch: t.batch("batch_1", items: 2, webhook: "https://hooks.example/batch"))
            _ = try await store.completeGeneration(id: "gen_a", output: t.output, at: now)
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
            _ = try await store.completeGeneration(id: "gen_a", output: t.output, at: now.addingTimeInterval(5))
            _ = try await store.failGeneration(id: "gen_b", code: "x", message: "y", at: now.addingTimeInterval(5))
            #expect(try await store.deliveries(subjectID: "gen_a").count == 1)
            #expect(try await store.deliveries(subjectID: "batch_1").count == 1)
        }
    }

    @Test(arguments: StoreKind.available) func aBatchWhoseItemsAllFailedIsFailed(kind: StoreKind) async throws {
        try await withStore(kind) { t in
            let store = t.store, now = t.now
            try await t.seedAccount(credits: 5)
            _ = try await store.enqueue([t.queued("gen_a", batch: "batch_1", index: 0)], batch: t.batch("batch_1", items: 1, webhook: nil))
            _ = try await store.failGeneration(id: "gen_a", code: "invalid_image", message: "bad", at: now)
            #expect(try await store.batch(id: "batch_1")?.status == .failed)
        }
    }

    @Test(arguments: StoreKind.available) func deliveriesAreClaimedWhenDueAndKeepEveryAttempt(kind: StoreKind) async throws {
        try await withStore(kind) { t in
            let store = t.store, now = t.now
            try await t.seedAccount(credits: 5)
            _ = try await store.enqueue([t.queued("gen_a", webhook: "https://hooks.example/a")], batch: nil)
            _ = try await store.completeGeneration(id: "gen_a", output: t.output, at: now)
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
    }

    @Test(arguments: StoreKind.available) func aReleasedJobIsClaimedAgainAtOnce(kind: StoreKind) async throws {
        try await withStore(kind) { t in
            let store = t.store, now = t.now
            try await t.seedAccount(credits: 5)
            _ = try await store.enqueue([t.queued("gen_a")], batch: nil)
            _ = try #require(try await store.claimJob(worker: "w1", now: now, leaseUntil: now.addingTimeInterval(60)))
            #expect(try await store.releaseJob(id: "gen_a", worker: "w2") == false, "only its holder releases it")
            #expect(try await store.releaseJob(id: "gen_a", worker: "w1"))
            let again = try #require(try await store.claimJob(worker: "w2", now: now.addingTimeInterval(1), leaseUntil: now.addingTimeInterval(61)))
            #expect(again.attempts == 2)
        }
    }

    @Test(arguments: StoreKind.available) func synchronousWorkAbandonedByADeadServerIsRefunded(kind: StoreKind) async throws {
        try await withStore(kind) { t in
            let store = t.store, now = t.now
            try await t.seedAccount(credits: 5)
            _ = try await store.startGeneration(t.generation("gen_sync", at: now.addingTimeInterval(-3600)))
            _ = try await store.startGeneration(t.generation("gen_recent", at: now.addingTimeInterval(-10)))
            _ = try await store.enqueue([t.queued("gen_job", at: now.addingTimeInterval(-3600))], batch: nil)
            _ = try await store.claimJob(worker: "w1", now: now, leaseUntil: now.addingTimeInterval(60))
            #expect(try await store.failAbandonedSynchronous(before: now.addingTimeInterval(-900), at: now) == 1)
            #expect(try await store.generation(id: "gen_sync")?.status == .failed)
            #expect(try await store.generation(id: "gen_recent")?.status == .processing)
            #expect(try await store.generation(id: "gen_job")?.status == .processing, "jobs are the queue's to recover")
            #expect(try await store.creditSummary(accountID: "acct_1", dayStart: now).balance == 3)
        }
    }

    @Test(arguments: StoreKind.available) func ledgerIsAppendOnly(kind: StoreKind) async throws {
        try await withStore(kind) { t in
            try await t.seedAccount(credits: 5)
            // Reach past the store's API: the database itself must refuse to rewrite history.
            await #expect(throws: StoreError.self) { try await t.opened.execute("UPDATE credit_ledger SET delta = 1000") }
            await #expect(throws: StoreError.self) { try await t.opened.execute("DELETE FROM credit_ledger") }
            #expect(try await t.store.creditSummary(accountID: "acct_1", dayStart: t.now).balance == 5)
        }
    }

    @Test(arguments: StoreKind.available) func reopeningKeepsData(kind: StoreKind) async throws {
        try await withStore(kind) { t in
            try await t.seedAccount(credits: 7)
            let reopened = try await t.opened.reopen()
            #expect(try await reopened.creditSummary(accountID: "acct_1", dayStart: t.now).balance == 7)
        }
    }

    @Test(arguments: StoreKind.available) func expiredOutputsAreClaimedOnceWhoeverSweeps(kind: StoreKind) async throws {
        try await withStore(kind) { t in
            let store = t.store, now = t.now
            try await t.seedAccount(credits: 40)
            for index in 0..<30 {
                _ = try await store.startGeneration(t.generation("gen_old\(index)", at: now.addingTimeInterval(-7200)))
                _ = try await store.completeGeneration(
                    id: "gen_old\(index)", output: GenerationOutput(outputFile: "gen_old\(index).png", fileSize: 1, generationTimeMs: 1), at: now)
            }
            _ = try await store.startGeneration(t.generation("gen_new"))
            _ = try await store.completeGeneration(
                id: "gen_new", output: GenerationOutput(outputFile: "gen_new.png", fileSize: 1, generationTimeMs: 1), at: now)
            // Two nodes' sweepers at once, a second store standing for the other node.
            let other = try await t.opened.reopen()
            async let mine = store.claimExpiredOutputs(before: now, limit: 20, at: now)
            async let theirs = other.claimExpiredOutputs(before: now, limit: 20, at: now)
            let claimed = try await (mine + theirs).map(\.id)
            #expect(claimed.count == 30 && Set(claimed).count == 30, "each expired output once")
            #expect(!claimed.contains("gen_new"))
            #expect(try await store.claimExpiredOutputs(before: now, limit: 50, at: now).isEmpty)
            #expect(try await store.generation(id: "gen_old0")?.purgedAt == now)
        }
    }

    @Test(arguments: StoreKind.available) func concurrentWorkersClaimEachJobOnce(kind: StoreKind) async throws {
        try await withStore(kind) { t in
            let store = t.store, now = t.now
            try await t.seedAccount(credits: 40)
            _ = try await store.enqueue((0..<40).map { t.queued("gen_\($0)", at: now.addingTimeInterval(Double($0))) }, batch: nil)
            let claimed = try await withThrowingTaskGroup(of: [String].self, returning: [String].self) { group in
                for worker in 0..<4 {
                    group.addTask {
                        var mine: [String] = []
                        while let job = try await store.claimJob(worker: "w\(worker)", now: now, leaseUntil: now.addingTimeInterval(60)) {
                            mine.append(job.id)
                        }
                        return mine
                    }
                }
                return try await group.reduce(into: []) { $0 += $1 }
            }
            #expect(claimed.count == 40 && Set(claimed).count == 40)
        }
    }

    @Test(arguments: StoreKind.available) func concurrentBatchItemsFinishTheBatchOnce(kind: StoreKind) async throws {
        try await withStore(kind) { t in
            let store = t.store, now = t.now
            try await t.seedAccount(credits: 20)
            let items = (0..<12).map { (index: Int) in t.queued("gen_\(index)", batch: "batch_1", index: index, webhook: "https://hooks.example/item") }
            _ = try await store.enqueue(items, batch: t.batch("batch_1", items: 12, webhook: "https://hooks.example/batch"))
            try await withThrowingTaskGroup(of: Void.self) { group in
                for index in 0..<12 {
                    group.addTask {
                        if index % 3 == 0 {
                            _ = try await store.failGeneration(id: "gen_\(index)", code: "invalid_image", message: "bad", at: now)
                        } else {
                            _ = try await store.completeGeneration(id: "gen_\(index)", output: t.output, at: now)
                        }
                    }
                }
                try await group.waitForAll()
            }
            #expect(try await store.batch(id: "batch_1")?.status == .completed)
            #expect(try await store.deliveries(subjectID: "batch_1").map(\.event) == [.batchCompleted])
            #expect(try await store.creditSummary(accountID: "acct_1", dayStart: now).balance == 20 - 12 + 4, "failed items refunded once")
        }
    }

    @Test(arguments: StoreKind.available) func nodesStartingTogetherCreateOneFirstAccount(kind: StoreKind) async throws {
        try await withStore(kind) { t in
            let other = try await t.opened.reopen()
            async let first = t.store.createFirstAccount(AccountRecord(id: "acct_a", name: "a", createdAt: t.now), initialCredits: 10)
            async let second = other.createFirstAccount(AccountRecord(id: "acct_b", name: "b", createdAt: t.now), initialCredits: 10)
            let created = try await [first, second]
            #expect(created.filter { $0 }.count == 1)
            #expect(try await t.store.accounts().count == 1)
            #expect(try await !t.store.createFirstAccount(AccountRecord(id: "acct_c", name: "c", createdAt: t.now), initialCredits: 1))
        }
    }

    // MARK: The console

    @Test(arguments: StoreKind.available) func dailyUsageIsNetOfRefundsPerUTCDay(kind: StoreKind) async throws {
        try await withStore(kind) { t in
            let store = t.store
            try await t.seedAccount(credits: 10)
            let today = Date(timeIntervalSince1970: (t.now.timeIntervalSince1970 / 86_400).rounded(.down) * 86_400)
            let day = TimeInterval(86_400), hour = TimeInterval(3600)
            _ = try await store.startGeneration(t.generation("gen_old", at: today - 2 * day + hour))
            _ = try await store.startGeneration(t.generation("gen_b", at: today + hour))
            _ = try await store.startGeneration(t.generation("gen_c", cost: 0, at: today + 2 * hour))
            _ = try await store.startGeneration(t.generation("gen_d", at: today + 3 * hour))
            _ = try await store.failGeneration(id: "gen_d", code: "invalid_image", message: "bad", at: today + 4 * hour)
            // The last second of the day before, and another account's work, count elsewhere.
            _ = try await store.startGeneration(t.generation("gen_eve", at: today - 1))
            try await store.createAccount(AccountRecord(id: "acct_2", name: "Other", createdAt: t.now), initialCredits: 5)
            try await store.insertKey(
                APIKeyRecord(id: "key_2", accountID: "acct_2", mode: .live, secretHash: "h2", hint: "efgh", name: "k", createdAt: t.now))
            _ = try await store.startGeneration(GenerationRecord(
                id: "gen_other", accountID: "acct_2", keyID: "key_2", mode: .live, status: .processing, style: "white_bg",
                platform: "generic", format: "png", width: 10, height: 10, parameters: "{}", creditsUsed: 1,
                createdAt: today + hour, expiresAt: today + day))

            let usage = try await store.dailyUsage(accountID: "acct_1", from: today - 2 * day)
            #expect(usage == [
                DailyUsage(day: today - 2 * day, creditsUsed: 1, generations: 1),
                DailyUsage(day: today - day, creditsUsed: 1, generations: 1),
                // gen_b and gen_d debited, gen_d refunded; gen_c was free but is a generation.
                DailyUsage(day: today, creditsUsed: 1, generations: 3),
            ])
            #expect(try await store.dailyUsage(accountID: "acct_1", from: today) == [DailyUsage(day: today, creditsUsed: 1, generations: 3)])
            #expect(try await store.dailyUsage(accountID: "acct_1", from: today + day).isEmpty)
        }
    }

    @Test(arguments: StoreKind.available) func historyPagesThroughOwnRecordsNewestFirst(kind: StoreKind) async throws {
        try await withStore(kind) { t in
            let store = t.store, now = t.now
            try await t.seedAccount(credits: 20)
            for (id, offset) in [("gen_1", 0.0), ("gen_2", 1), ("gen_B", 2), ("gen_a", 2)] {
                _ = try await store.startGeneration(t.generation(id, at: now + offset))
            }
            // A batch is one entry; its items are not listed on their own.
            let batch = BatchRecord(id: "batch_1", accountID: "acct_1", keyID: "key_1", totalItems: 2, webhookURL: nil, createdAt: now + 3)
            _ = try await store.enqueue(
                [t.queued("gen_i0", batch: "batch_1", index: 0, at: now + 3), t.queued("gen_i1", batch: "batch_1", index: 1, at: now + 3)],
                batch: batch)
            // Another account's generation at the newest time of all is never listed.
            try await store.createAccount(AccountRecord(id: "acct_2", name: "Other", createdAt: now), initialCredits: 5)
            try await store.insertKey(
                APIKeyRecord(id: "key_2", accountID: "acct_2", mode: .live, secretHash: "h2", hint: "efgh", name: "k", createdAt: now))
            _ = try await store.startGeneration(GenerationRecord(
                id: "gen_other", accountID: "acct_2", keyID: "key_2", mode: .live, status: .processing, style: "white_bg",
                platform: "generic", format: "png", width: 10, height: 10, parameters: "{}", creditsUsed: 1,
                createdAt: now + 10, expiresAt: now + 3600))

            let all = try await store.history(accountID: "acct_1", after: nil, limit: 100)
            // Equal times by id descending, byte by byte: "gen_a" > "gen_B" whatever the collation.
            #expect(all.map(\.id) == ["batch_1", "gen_a", "gen_B", "gen_2", "gen_1"])
            if case .batch(let listed) = all[0] { #expect(listed.totalItems == 2) } else { Issue.record("batch_1 is a batch") }

            var pages: [[String]] = []
            var cursor: HistoryCursor?
            repeat {
                let page = try await store.history(accountID: "acct_1", after: cursor, limit: 2)
                pages.append(page.map(\.id))
                cursor = page.last.map { HistoryCursor(createdAt: $0.createdAt, id: $0.id) }
            } while cursor != nil
            #expect(pages == [["batch_1", "gen_a"], ["gen_B", "gen_2"], ["gen_1"], []])
            #expect(try await store.history(accountID: "acct_2", after: nil, limit: 10).map(\.id) == ["gen_other"])
        }
    }

    @Test(arguments: StoreKind.available) func aKeysUseIsWrittenAtMostOncePerInterval(kind: StoreKind) async throws {
        try await withStore(kind) { t in
            let store = t.store, now = t.now
            try await t.seedAccount(credits: 0)
            #expect(try await store.key(id: "key_1")?.lastUsedAt == nil)
            try await store.recordKeyUse(id: "key_1", at: now, unlessUsedSince: now - keyUseResolution)
            #expect(try await store.key(id: "key_1")?.lastUsedAt == now)
            try await store.recordKeyUse(id: "key_1", at: now + 30, unlessUsedSince: now + 30 - keyUseResolution)
            #expect(try await store.key(id: "key_1")?.lastUsedAt == now, "a use within the interval writes nothing")
            try await store.recordKeyUse(id: "key_1", at: now + 90, unlessUsedSince: now + 90 - keyUseResolution)
            #expect(try await store.keys(accountID: "acct_1").first?.lastUsedAt == now + 90)
        }
    }
}

/// Request counters: in memory for one node, in PostgreSQL for several.
@Suite(.serialized) struct RateCounterTests {
    enum Kind: String, CaseIterable, CustomTestStringConvertible, Sendable {
        case memory, postgres
        var testDescription: String { rawValue }
        static let available: [Kind] = StoreKind.available.contains(.postgres) ? allCases : [.memory]
    }

    func withCounters(_ kind: Kind, _ body: (_ first: any RateCounter, _ second: any RateCounter) async throws -> Void) async throws {
        switch kind {
        case .memory:
            let counter = MemoryRateCounter()
            try await body(counter, counter)
        case .postgres:
            let url = try StoreUnderTest.postgresSchemaURL()
            let first = try await PostgresStore.connect(url: url, logger: Logger(label: "test"))
            let second = try await PostgresStore.connect(url: url, logger: Logger(label: "test"))
            do {
                try await body(first, second)
            } catch {
                await first.shutdown(); await second.shutdown()
                throw error
            }
            await first.shutdown(); await second.shutdown()
        }
    }

    @Test(arguments: Kind.available) func twoNodesHoldAKeyToItsLimitTogether(kind: Kind) async throws {
        try await withCounters(kind) { first, second in
            let counts = try await withThrowingTaskGroup(of: Bool.self, returning: [Bool].self) { group in
                for index in 0..<16 {
                    let counter = index % 2 == 0 ? first : second
                    group.addTask {
                        try await counter.countRequest(key: "key_1", minuteStart: 600, dayStart: 0, perMinute: 12, perDay: 100).allowed
                    }
                }
                return try await group.reduce(into: []) { $0.append($1) }
            }
            #expect(counts.filter { $0 }.count == 12)
            // Another key, and the next minute, start afresh; the day window keeps counting.
            #expect(try await first.countRequest(key: "key_2", minuteStart: 600, dayStart: 0, perMinute: 12, perDay: 100).allowed)
            let nextMinute = try await second.countRequest(key: "key_1", minuteStart: 660, dayStart: 0, perMinute: 12, perDay: 100)
            #expect(nextMinute.allowed && nextMinute.minute == 1 && nextMinute.day == 13)
        }
    }

    @Test(arguments: Kind.available) func theDailyWindowRefusesWhenFull(kind: Kind) async throws {
        try await withCounters(kind) { first, _ in
            for minute in 0..<3 {
                #expect(try await first.countRequest(key: "k", minuteStart: minute * 60, dayStart: 0, perMinute: 60, perDay: 3).allowed)
            }
            let refused = try await first.countRequest(key: "k", minuteStart: 300, dayStart: 0, perMinute: 60, perDay: 3)
            #expect(!refused.allowed && refused.day == 3 && refused.minute == 0)
        }
    }
}

/// PostgreSQL's own: migrations under an advisory lock.
@Suite(.serialized) struct PostgresMigrationTests {
    @Test(.enabled(if: StoreKind.available.contains(.postgres)))
    func nodesStartingTogetherMigrateOnce() async throws {
        let url = try StoreUnderTest.postgresSchemaURL()
        let stores = try await withThrowingTaskGroup(of: PostgresStore.self, returning: [PostgresStore].self) { group in
            for _ in 0..<4 { group.addTask { try await PostgresStore.connect(url: url, logger: Logger(label: "test")) } }
            return try await group.reduce(into: []) { $0.append($1) }
        }
        let versions = try await stores[0].query("SELECT version FROM schema_migrations ORDER BY version").compactMap { $0["version"]?.int }
        #expect(versions == Array(1...PostgresSchema.migrations.count))
        for store in stores { await store.shutdown() }
    }

    @Test func aDatabaseURLMustBePostgres() {
        #expect(throws: StoreError.self) { try PostgresStore.configuration(from: "mysql://u:p@h/db") }
        #expect(throws: StoreError.self) { try PostgresStore.configuration(from: "postgres://u:p@h/db?sslmode=maybe") }
        #expect(throws: (any Error).self) { try PostgresStore.configuration(from: "postgres://h/db") }
        let configuration = try? PostgresStore.configuration(from: "postgres://us%40er:p%2Fw@db.internal:6543/prod?sslmode=disable")
        #expect(configuration?.username == "us@er" && configuration?.password == "p/w" && configuration?.port == 6543)
        #expect(configuration?.database == "prod")
    }
}

/// SQLite's own: files made by earlier versions are brought up to date.
@Suite struct SQLiteMigrationTests {
    @Test func databaseFromVersionOneIsUpgraded() async throws {
        // A file at schema version 1, as made before compliance, the job queue and webhooks.
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("pv-v1-\(UUID().uuidString).sqlite").path
        let now = Date(timeIntervalSince1970: 1_780_000_000)
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
}

/// Moving a single node's SQLite records into PostgreSQL, for several nodes.
@Suite(.serialized) struct SQLiteImportTests {
    @Test(.enabled(if: StoreKind.available.contains(.postgres)))
    func everyRecordArrivesAndTheLedgerGoesOn() async throws {
        let sqlite = try await StoreUnderTest.open(.sqlite)
        let postgres = try await StoreUnderTest.open(.postgres)
        let source = StoreFixture(sqlite)
        try await source.seedAccount(credits: 10)
        _ = try await source.store.startGeneration(source.generation("gen_sync"))
        _ = try await source.store.completeGeneration(
            id: "gen_sync", output: GenerationOutput(outputFile: "gen_sync.png", fileSize: 9, generationTimeMs: 3, compliance: "{}", cutoutConfidence: 0.9),
            at: source.now)
        _ = try await source.store.enqueue(
            [source.queued("gen_a", batch: "batch_1", index: 0, webhook: "https://hooks.example/a")],
            batch: source.batch("batch_1", items: 1, webhook: nil))
        _ = try await source.store.failGeneration(id: "gen_a", code: "invalid_image", message: "bad", at: source.now)
        _ = try await source.store.beginIdempotent(accountID: "acct_1", key: "k1", requestHash: "h", at: source.now, window: 86_400)

        let target = try #require(postgres.store as? PostgresStore)
        let path = sqlite.path
        let copied = try await target.importSQLite(path: path)
        #expect(copied.first { $0.table == "credit_ledger" }?.rows == 4, "purchase, debit, debit, refund")

        #expect(try await target.key(secretHash: "h1")?.id == "key_1")
        #expect(try await target.generation(id: "gen_sync") == source.store.generation(id: "gen_sync"))
        #expect(try await target.batch(id: "batch_1")?.status == .failed)
        #expect(try await target.deliveries(subjectID: "gen_a").map(\.event) == [.generationFailed])
        #expect(try await target.beginIdempotent(accountID: "acct_1", key: "k1", requestHash: "h", at: source.now, window: 86_400) == .inFlight)
        // New ledger entries go on after the copied ones.
        #expect(try await target.addCredits(accountID: "acct_1", amount: 5, at: source.now) == 14)
        // A second import is refused: the database is no longer empty.
        await #expect(throws: StoreError.self) { try await target.importSQLite(path: path) }
        await sqlite.close()
        await postgres.close()
    }
}
