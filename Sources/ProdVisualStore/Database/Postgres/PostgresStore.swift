import Foundation
import Logging
import NIOSSL
import PostgresNIO

/// The store for several nodes: PostgreSQL through a pooled postgres-nio client.
///
/// Each method is one transaction, as in SQLite. SQLite's single writer serialises everything;
/// here concurrent transactions are held apart by row locks: a debit locks its account row, a
/// finishing batch item its batch row, and claims skip rows another node has locked.
public final class PostgresStore: Store, RateCounter {
    private let client: PostgresClient
    private let runner: Task<Void, Never>
    private let logger: Logger

    /// Connects to `url` (`postgres://user:password@host:port/database`, optionally
    /// `?sslmode=disable|prefer|require`), runs the client and brings the schema up to date.
    public static func connect(url: String, logger: Logger) async throws -> PostgresStore {
        let store = PostgresStore(configuration: try configuration(from: url), logger: logger)
        do {
            try await PostgresSchema.migrate(store.client, logger: logger)
        } catch {
            await store.shutdown()
            throw error
        }
        return store
    }

    private init(configuration: PostgresClient.Configuration, logger: Logger) {
        var quiet = logger
        quiet.logLevel = max(logger.logLevel, .error)
        let client = PostgresClient(configuration: configuration, backgroundLogger: quiet)
        self.client = client
        self.logger = quiet
        runner = Task { await client.run() }
    }

    /// Closes the pool's connections.
    public func shutdown() async {
        runner.cancel()
        await runner.value
    }

    static func configuration(from url: String) throws -> PostgresClient.Configuration {
        guard let components = URLComponents(string: url),
              ["postgres", "postgresql"].contains(components.scheme ?? ""),
              let host = components.host, !host.isEmpty,
              let user = components.user, !user.isEmpty
        else {
            throw StoreError.database("the database URL must look like postgres://USER:PASSWORD@HOST:PORT/DATABASE")
        }
        let database = String(components.path.drop(while: { $0 == "/" }))
        let sslMode = components.queryItems?.first(where: { $0.name == "sslmode" })?.value ?? "prefer"
        let tls: PostgresClient.Configuration.TLS
        switch sslMode {
        case "disable": tls = .disable
        case "prefer": tls = .prefer(.makeClientConfiguration())
        case "require": tls = .require(.makeClientConfiguration())
        default: throw StoreError.database("sslmode must be disable, prefer or require; got '\(sslMode)'")
        }
        var configuration = PostgresClient.Configuration(
            host: host, port: components.port ?? 5432, username: user.removingPercentEncoding ?? user,
            password: components.password?.removingPercentEncoding, database: database.isEmpty ? nil : database, tls: tls)
        // libpq's `options` (for example `-c search_path=tenant`) is passed to the server as is.
        if let options = components.queryItems?.first(where: { $0.name == "options" })?.value {
            configuration.options.additionalStartupParameters = [("options", options)]
        }
        configuration.options.maximumConnections = 16
        configuration.options.connectTimeout = .seconds(10)
        return configuration
    }

    // MARK: Sessions

    func transaction<T: Sendable>(_ body: (PostgresSession) async throws -> T) async throws -> T {
        do {
            return try await client.withTransaction(logger: logger) { connection in
                try await body(PostgresSession(connection: connection, logger: logger))
            }
        } catch let error as PostgresTransactionError {
            // What the body threw is the answer; else whichever of BEGIN, COMMIT or ROLLBACK failed.
            if let thrown = error.closureError { throw thrown }
            let failure = error.beginError ?? error.commitError ?? error.rollbackError
            if let failure = failure as? PSQLError { throw PostgresSession.storeError(failure, sql: "BEGIN/COMMIT") }
            throw StoreError.database("transaction: \(String(describing: failure))")
        } catch let error as PSQLError {
            throw PostgresSession.storeError(error, sql: "BEGIN/COMMIT")
        }
    }

    /// One statement outside an explicit transaction (it is its own).
    @discardableResult
    func query(_ sql: String, _ bindings: [SQLValue] = []) async throws -> [SQLRow] {
        do {
            return try await client.withConnection { connection in
                try await PostgresSession(connection: connection, logger: logger).query(sql, bindings)
            }
        } catch let error as PSQLError {
            throw PostgresSession.storeError(error, sql: sql)
        }
    }

    // MARK: Accounts and keys

    public func createAccount(_ account: AccountRecord, initialCredits: Int) async throws {
        try await transaction { try await Self.insertAccount(account, initialCredits: initialCredits, in: $0) }
    }

    public func createFirstAccount(_ account: AccountRecord, initialCredits: Int) async throws -> Bool {
        try await transaction { session in
            // Nodes starting together on an empty database take turns here.
            try await session.query("LOCK TABLE accounts IN SHARE ROW EXCLUSIVE MODE")
            guard try await session.query("SELECT id FROM accounts LIMIT 1").isEmpty else { return false }
            try await Self.insertAccount(account, initialCredits: initialCredits, in: session)
            return true
        }
    }

    private static func insertAccount(_ account: AccountRecord, initialCredits: Int, in session: PostgresSession) async throws {
        try await session.query(
            "INSERT INTO accounts (id, name, created_at) VALUES (?, ?, ?)",
            [.text(account.id), .text(account.name), SQLValue(account.createdAt)])
        if initialCredits > 0 {
            try await appendLedger(account.id, delta: initialCredits, reason: .purchase, generationID: nil, at: account.createdAt, in: session)
        }
    }

    public func account(id: String) async throws -> AccountRecord? {
        try await query("SELECT * FROM accounts WHERE id = ?", [.text(id)]).first.map(RowMapping.account)
    }

    public func accounts() async throws -> [AccountRecord] {
        try await query("SELECT * FROM accounts ORDER BY created_at, id").map(RowMapping.account)
    }

    public func insertKey(_ key: APIKeyRecord) async throws {
        try await query(
            """
            INSERT INTO api_keys (id, account_id, mode, secret_hash, hint, name, created_at, revoked_at, sealed_secret)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
            """,
            [.text(key.id), .text(key.accountID), .text(key.mode.rawValue), .text(key.secretHash),
             .text(key.hint), .text(key.name), SQLValue(key.createdAt), SQLValue(key.revokedAt), SQLValue(key.sealedSecret)])
    }

    public func key(secretHash: String) async throws -> APIKeyRecord? {
        try await query("SELECT * FROM api_keys WHERE secret_hash = ?", [.text(secretHash)]).first.map(RowMapping.key)
    }

    public func keys(accountID: String?) async throws -> [APIKeyRecord] {
        if let accountID {
            return try await query("SELECT * FROM api_keys WHERE account_id = ? ORDER BY created_at, id", [.text(accountID)])
                .map(RowMapping.key)
        }
        return try await query("SELECT * FROM api_keys ORDER BY created_at, id").map(RowMapping.key)
    }

    public func revokeKey(id: String, at date: Date) async throws -> Bool {
        try await !query(
            "UPDATE api_keys SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL RETURNING id", [SQLValue(date), .text(id)]
        ).isEmpty
    }

    public func key(id: String) async throws -> APIKeyRecord? {
        try await query("SELECT * FROM api_keys WHERE id = ?", [.text(id)]).first.map(RowMapping.key)
    }

    public func setSealedSecret(keyID: String, sealed: String) async throws {
        try await query("UPDATE api_keys SET sealed_secret = ? WHERE id = ?", [.text(sealed), .text(keyID)])
    }

    public func recordKeyUse(id: String, at date: Date, unlessUsedSince since: Date) async throws {
        try await query(
            "UPDATE api_keys SET last_used_at = ? WHERE id = ? AND (last_used_at IS NULL OR last_used_at < ?)",
            [SQLValue(date), .text(id), SQLValue(since)])
    }

    // MARK: Credits

    public func addCredits(accountID: String, amount: Int, at date: Date) async throws -> Int {
        try await transaction { session in
            try await Self.lockAccount(accountID, in: session)
            try await Self.appendLedger(accountID, delta: amount, reason: .purchase, generationID: nil, at: date, in: session)
            return try await Self.balance(accountID, in: session)
        }
    }

    public func creditSummary(accountID: String, dayStart: Date) async throws -> CreditSummary {
        let row = try await query(
            """
            SELECT
                COALESCE(SUM(delta), 0)::BIGINT AS balance,
                COALESCE(-SUM(CASE WHEN reason != 'purchase' THEN delta END), 0)::BIGINT AS used_total,
                COALESCE(-SUM(CASE WHEN reason != 'purchase' AND created_at >= ? THEN delta END), 0)::BIGINT AS used_today
            FROM credit_ledger WHERE account_id = ?
            """,
            [SQLValue(dayStart), .text(accountID)]
        ).first ?? [:]
        let purchase = try await query(
            """
            SELECT delta, created_at FROM credit_ledger
            WHERE account_id = ? AND reason = 'purchase' ORDER BY created_at DESC, id DESC LIMIT 1
            """,
            [.text(accountID)]
        ).first
        return CreditSummary(
            balance: row["balance"]?.int ?? 0,
            usedTotal: row["used_total"]?.int ?? 0,
            usedToday: row["used_today"]?.int ?? 0,
            lastPurchase: purchase.flatMap { row in
                guard let amount = row["delta"]?.int, let date = row["created_at"]?.date else { return nil }
                return (amount, date)
            })
    }

    public func dailyUsage(accountID: String, from: Date) async throws -> [DailyUsage] {
        try await query(
            """
            SELECT usage_day, SUM(credits)::BIGINT AS credits_used, SUM(made)::BIGINT AS generations FROM (
                SELECT created_at / 86400000 AS usage_day, -delta AS credits, 0 AS made FROM credit_ledger
                WHERE account_id = ? AND reason != 'purchase' AND created_at >= ?
                UNION ALL
                SELECT created_at / 86400000 AS usage_day, 0 AS credits, 1 AS made FROM generations
                WHERE account_id = ? AND created_at >= ?) AS activity
            GROUP BY usage_day ORDER BY usage_day
            """,
            [.text(accountID), SQLValue(from), .text(accountID), SQLValue(from)]
        ).map(RowMapping.usage)
    }

    /// Holds the account row until the transaction ends: debits of one account queue here, so
    /// two of them can never both see the same balance.
    private static func lockAccount(_ accountID: String, in session: PostgresSession) async throws {
        guard try await !session.query("SELECT id FROM accounts WHERE id = ? FOR UPDATE", [.text(accountID)]).isEmpty else {
            throw StoreError.notFound("account \(accountID)")
        }
    }

    private static func balance(_ accountID: String, in session: PostgresSession) async throws -> Int {
        try await session.query(
            "SELECT COALESCE(SUM(delta), 0)::BIGINT AS balance FROM credit_ledger WHERE account_id = ?", [.text(accountID)]
        ).first?["balance"]?.int ?? 0
    }

    private static func appendLedger(
        _ accountID: String, delta: Int, reason: LedgerReason, generationID: String?, at date: Date, in session: PostgresSession
    ) async throws {
        try await session.query(
            "INSERT INTO credit_ledger (account_id, delta, reason, generation_id, created_at) VALUES (?, ?, ?, ?, ?)",
            [.text(accountID), .integer(Int64(delta)), .text(reason.rawValue), SQLValue(generationID), SQLValue(date)])
    }

    // MARK: Generations

    public func startGeneration(_ generation: GenerationRecord) async throws -> Int {
        try await transaction { session in
            try await Self.lockAccount(generation.accountID, in: session)
            let available = try await Self.balance(generation.accountID, in: session)
            if generation.creditsUsed > 0 {
                guard available >= generation.creditsUsed else { throw StoreError.insufficientCredits(balance: available) }
            }
            try await Self.insert(generation, in: session)
            guard generation.creditsUsed > 0 else { return available }
            try await Self.appendLedger(
                generation.accountID, delta: -generation.creditsUsed, reason: .generation, generationID: generation.id,
                at: generation.createdAt, in: session)
            return available - generation.creditsUsed
        }
    }

    public func completeGeneration(id: String, output: GenerationOutput, at date: Date) async throws -> Int {
        try await transaction { session in
            let record = try await Self.existing(id, in: session)
            let changed = try await session.query(
                """
                UPDATE generations SET status = 'completed', output_file = ?, file_size = ?,
                    generation_time_ms = ?, completed_at = ?, compliance = ?, cutout_confidence = ?
                WHERE id = ? AND status IN ('pending', 'processing')
                RETURNING id
                """,
                [.text(output.outputFile), .integer(Int64(output.fileSize)),
                 .integer(Int64(output.generationTimeMs)), SQLValue(date), SQLValue(output.compliance),
                 SQLValue(output.cutoutConfidence), .text(id)])
            if !changed.isEmpty { try await Self.finished(record, event: .generationCompleted, at: date, in: session) }
            return try await Self.balance(record.accountID, in: session)
        }
    }

    public func failGeneration(id: String, code: String, message: String, at date: Date) async throws -> Int {
        try await transaction { try await Self.markFailed(id: id, code: code, message: message, at: date, in: $0) }
    }

    private static func markFailed(id: String, code: String, message: String, at date: Date, in session: PostgresSession) async throws -> Int {
        let record = try await existing(id, in: session)
        let changed = try await session.query(
            """
            UPDATE generations SET status = 'failed', error_code = ?, error_message = ?, completed_at = ?, credits_used = 0
            WHERE id = ? AND status IN ('pending', 'processing')
            RETURNING id
            """,
            [.text(code), .text(message), SQLValue(date), .text(id)])
        if !changed.isEmpty {
            // The unique (generation_id, reason) index makes a second refund impossible.
            if record.creditsUsed > 0 {
                try await appendLedger(record.accountID, delta: record.creditsUsed, reason: .refund, generationID: id, at: date, in: session)
            }
            try await finished(record, event: .generationFailed, at: date, in: session)
        }
        return try await balance(record.accountID, in: session)
    }

    /// What follows a generation's first completion or failure, inside its transaction.
    private static func finished(_ record: GenerationRecord, event: WebhookEvent, at date: Date, in session: PostgresSession) async throws {
        try await session.query("DELETE FROM job_requests WHERE generation_id = ?", [.text(record.id)])
        if let url = record.webhookURL {
            try await queueDelivery(
                accountID: record.accountID, keyID: record.keyID, url: url, event: event, subjectID: record.id, at: date, in: session)
        }
        guard let batchID = record.batchID else { return }
        // Items of one batch finishing at once take turns on the batch row, so the last one to
        // commit sees every other item finished and closes the batch.
        guard let batch = try await session.query("SELECT * FROM batches WHERE id = ? FOR UPDATE", [.text(batchID)])
            .first.map(RowMapping.batch), batch.completedAt == nil
        else { return }
        let counts = try await session.query(
            """
            SELECT COUNT(*) FILTER (WHERE status IN ('pending', 'processing')) AS unfinished,
                   COUNT(*) FILTER (WHERE status = 'completed') AS completed
            FROM generations WHERE batch_id = ?
            """, [.text(batchID)]).first
        guard counts?["unfinished"]?.int == 0 else { return }
        let status: BatchStatus = (counts?["completed"]?.int ?? 0) > 0 ? .completed : .failed
        try await session.query(
            "UPDATE batches SET status = ?, completed_at = ? WHERE id = ?", [.text(status.rawValue), SQLValue(date), .text(batchID)])
        guard let url = batch.webhookURL else { return }
        let batchEvent: WebhookEvent = switch batch.kind {
        case .batch: .batchCompleted
        case .product: .productGenerated
        case .vto: .vtoCompleted
        }
        try await queueDelivery(
            accountID: batch.accountID, keyID: batch.keyID, url: url, event: batchEvent, subjectID: batchID, at: date, in: session)
    }

    private static func queueDelivery(
        accountID: String, keyID: String, url: String, event: WebhookEvent, subjectID: String, at date: Date, in session: PostgresSession
    ) async throws {
        try await session.query(
            """
            INSERT INTO webhook_deliveries (id, account_id, key_id, url, event, subject_id, status, next_attempt_at, created_at)
            VALUES ('evt_' || substr(md5(random()::text || clock_timestamp()::text), 1, 20), ?, ?, ?, ?, ?, 'pending', ?, ?)
            ON CONFLICT (subject_id, event) DO NOTHING
            """,
            [.text(accountID), .text(keyID), .text(url), .text(event.rawValue), .text(subjectID), SQLValue(date), SQLValue(date)])
    }

    public func generation(id: String) async throws -> GenerationRecord? {
        try await query("SELECT * FROM generations WHERE id = ?", [.text(id)]).first.map(RowMapping.generation)
    }

    public func failAbandonedSynchronous(before date: Date, at now: Date) async throws -> Int {
        try await transaction { session in
            let abandoned = try await session.query(
                """
                SELECT id FROM generations
                WHERE status = 'processing' AND lease_owner IS NULL AND created_at < ?
                FOR UPDATE SKIP LOCKED
                """, [SQLValue(date)])
            for row in abandoned {
                _ = try await Self.markFailed(
                    id: row["id"]?.string ?? "", code: "server_error",
                    message: "The server stopped while rendering; the credit was refunded.", at: now, in: session)
            }
            return abandoned.count
        }
    }

    private static func existing(_ id: String, in session: PostgresSession) async throws -> GenerationRecord {
        guard let record = try await session.query("SELECT * FROM generations WHERE id = ?", [.text(id)])
            .first.map(RowMapping.generation)
        else { throw StoreError.notFound("generation \(id)") }
        return record
    }

    private static func insert(_ g: GenerationRecord, in session: PostgresSession) async throws {
        try await session.query(
            """
            INSERT INTO generations (id, account_id, key_id, mode, status, style, platform, format, width, height,
                parameters, credits_used, file_size, output_file, generation_time_ms, error_code, error_message,
                created_at, completed_at, expires_at, purged_at, compliance, batch_id, batch_index, webhook_url, product_id,
                cutout_confidence)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
            """,
            [.text(g.id), .text(g.accountID), .text(g.keyID), .text(g.mode.rawValue), .text(g.status.rawValue),
             .text(g.style), .text(g.platform), .text(g.format), SQLValue(g.width), SQLValue(g.height),
             .text(g.parameters), SQLValue(g.creditsUsed), SQLValue(g.fileSize), SQLValue(g.outputFile),
             SQLValue(g.generationTimeMs), SQLValue(g.errorCode), SQLValue(g.errorMessage), SQLValue(g.createdAt),
             SQLValue(g.completedAt), SQLValue(g.expiresAt), SQLValue(g.purgedAt), SQLValue(g.compliance),
             SQLValue(g.batchID), SQLValue(g.batchIndex), SQLValue(g.webhookURL), SQLValue(g.productID),
             SQLValue(g.cutoutConfidence)])
    }

    // MARK: Batches

    public func enqueue(_ jobs: [QueuedGeneration], batch: BatchRecord?) async throws -> Int {
        guard let accountID = jobs.first?.record.accountID else { throw StoreError.conflict("nothing to enqueue") }
        return try await transaction { session in
            try await Self.lockAccount(accountID, in: session)
            let available = try await Self.balance(accountID, in: session)
            let cost = jobs.reduce(0) { $0 + $1.record.creditsUsed }
            guard available >= cost else { throw StoreError.insufficientCredits(balance: available) }
            if let batch {
                try await session.query(
                    """
                    INSERT INTO batches (id, account_id, key_id, status, total_items, webhook_url, created_at, completed_at,
                        product_id, webhook_token, kind, details)
                    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                    """,
                    [.text(batch.id), .text(batch.accountID), .text(batch.keyID), .text(batch.status.rawValue),
                     SQLValue(batch.totalItems), SQLValue(batch.webhookURL), SQLValue(batch.createdAt), SQLValue(batch.completedAt),
                     SQLValue(batch.productID), SQLValue(batch.webhookToken), .text(batch.kind.rawValue), SQLValue(batch.details)])
            }
            for job in jobs {
                try await Self.insert(job.record, in: session)
                try await session.query(
                    "INSERT INTO job_requests (generation_id, request) VALUES (?, ?)",
                    [.text(job.record.id), .text(String(decoding: job.request, as: UTF8.self))])
                if job.record.creditsUsed > 0 {
                    try await Self.appendLedger(
                        accountID, delta: -job.record.creditsUsed, reason: .generation, generationID: job.record.id,
                        at: job.record.createdAt, in: session)
                }
            }
            return available - cost
        }
    }

    public func batch(id: String) async throws -> BatchRecord? {
        try await query("SELECT * FROM batches WHERE id = ?", [.text(id)]).first.map(RowMapping.batch)
    }

    public func generations(batchID: String) async throws -> [GenerationRecord] {
        try await query("SELECT * FROM generations WHERE batch_id = ? ORDER BY batch_index", [.text(batchID)])
            .map(RowMapping.generation)
    }

    // MARK: Products

    public func insertProduct(_ product: ProductRecord) async throws {
        try await query(
            """
            INSERT INTO products (id, account_id, key_id, name, name_source, analysis, colors, sources, created_at, updated_at)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
            """,
            [.text(product.id), .text(product.accountID), .text(product.keyID), .text(product.name), .text(product.nameSource),
             .text(product.analysis), .text(product.colors), .text(product.sources), SQLValue(product.createdAt),
             SQLValue(product.updatedAt)])
    }

    public func product(id: String) async throws -> ProductRecord? {
        try await query("SELECT * FROM products WHERE id = ?", [.text(id)]).first.map(RowMapping.product)
    }

    public func generations(productID: String) async throws -> [GenerationRecord] {
        try await query(
            "SELECT * FROM generations WHERE product_id = ? ORDER BY created_at, batch_index, id", [.text(productID)]
        ).map(RowMapping.generation)
    }

    public func history(accountID: String, after cursor: HistoryCursor?, limit: Int) async throws -> [HistoryEntry] {
        // As in SQLite: each table's newest `limit` past the cursor, merged. Ids compare in the
        // "C" collation, byte by byte, whatever the database's own collation is.
        var bindings: [SQLValue] = [.text(accountID)]
        var after = ""
        if let cursor {
            after = "AND (created_at < ? OR (created_at = ? AND id COLLATE \"C\" < ?))"
            bindings += [SQLValue(cursor.createdAt), SQLValue(cursor.createdAt), .text(cursor.id)]
        }
        bindings.append(SQLValue(limit))
        let generations = try await query(
            """
            SELECT * FROM generations WHERE account_id = ? AND batch_id IS NULL AND product_id IS NULL \(after)
            ORDER BY created_at DESC, id COLLATE "C" DESC LIMIT ?
            """, bindings
        ).map { HistoryEntry.generation(RowMapping.generation($0)) }
        let batches = try await query(
            """
            SELECT * FROM batches WHERE account_id = ? AND kind = 'batch' \(after)
            ORDER BY created_at DESC, id COLLATE "C" DESC LIMIT ?
            """, bindings
        ).map { HistoryEntry.batch(RowMapping.batch($0)) }
        return Array((generations + batches).sorted(by: HistoryEntry.newerFirst).prefix(limit))
    }

    public func defaultPerson(accountID: String) async throws -> String? {
        try await query("SELECT default_person FROM account_settings WHERE account_id = ?", [.text(accountID)])
            .first?["default_person"]?.string
    }

    public func setDefaultPerson(accountID: String, person: String, at date: Date) async throws {
        try await query(
            """
            INSERT INTO account_settings (account_id, default_person, updated_at) VALUES (?, ?, ?)
            ON CONFLICT (account_id) DO UPDATE SET default_person = excluded.default_person, updated_at = excluded.updated_at
            """, [.text(accountID), .text(person), SQLValue(date)])
    }

    // MARK: Job queue

    public func claimJob(worker: String, now: Date, leaseUntil: Date) async throws -> GenerationRecord? {
        // SKIP LOCKED: workers on every node claim at once without waiting on each other's rows.
        try await query(
            """
            UPDATE generations SET status = 'processing', lease_owner = ?, lease_expires_at = ?, attempts = attempts + 1
            WHERE id = (
                SELECT id FROM generations
                WHERE status = 'pending' OR (status = 'processing' AND lease_expires_at < ?)
                ORDER BY created_at, id LIMIT 1
                FOR UPDATE SKIP LOCKED)
            RETURNING *
            """,
            [.text(worker), SQLValue(leaseUntil), SQLValue(now)]
        ).first.map(RowMapping.generation)
    }

    public func renewLease(id: String, worker: String, until: Date) async throws -> Bool {
        try await !query(
            "UPDATE generations SET lease_expires_at = ? WHERE id = ? AND lease_owner = ? AND status = 'processing' RETURNING id",
            [SQLValue(until), .text(id), .text(worker)]
        ).isEmpty
    }

    public func releaseJob(id: String, worker: String) async throws -> Bool {
        try await !query(
            """
            UPDATE generations SET status = 'pending', lease_owner = NULL, lease_expires_at = NULL
            WHERE id = ? AND lease_owner = ? AND status = 'processing'
            RETURNING id
            """, [.text(id), .text(worker)]
        ).isEmpty
    }

    public func jobRequest(generationID: String) async throws -> Data? {
        try await query("SELECT request FROM job_requests WHERE generation_id = ?", [.text(generationID)])
            .first?["request"]?.string.map { Data($0.utf8) }
    }

    public func queueLoad(recent: Int) async throws -> (unfinished: Int, meanGenerationMs: Int?) {
        let unfinished = try await query(
            "SELECT COUNT(*) AS n FROM generations WHERE status IN ('pending', 'processing')").first?["n"]?.int ?? 0
        let mean = try await query(
            """
            SELECT AVG(generation_time_ms)::DOUBLE PRECISION AS mean FROM (
                SELECT generation_time_ms FROM generations WHERE status = 'completed' AND generation_time_ms IS NOT NULL
                ORDER BY completed_at DESC LIMIT ?) AS recent
            """, [SQLValue(recent)]).first?["mean"]?.double
        return (unfinished, mean.map { Int($0.rounded()) })
    }

    // MARK: Webhook deliveries

    public func claimDelivery(worker: String, now: Date, leaseUntil: Date) async throws -> WebhookDelivery? {
        try await transaction { session in
            guard let row = try await session.query(
                """
                UPDATE webhook_deliveries SET lease_owner = ?, lease_expires_at = ?
                WHERE id = (
                    SELECT id FROM webhook_deliveries
                    WHERE status = 'pending' AND next_attempt_at <= ? AND (lease_expires_at IS NULL OR lease_expires_at < ?)
                    ORDER BY next_attempt_at, id LIMIT 1
                    FOR UPDATE SKIP LOCKED)
                RETURNING *
                """,
                [.text(worker), SQLValue(leaseUntil), SQLValue(now), SQLValue(now)]
            ).first else { return nil }
            return try await Self.delivery(row, in: session)
        }
    }

    public func recordDeliveryAttempt(id: String, payload: String, attempt: DeliveryAttempt, outcome: DeliveryOutcome) async throws {
        try await transaction { session in
            try await session.query(
                """
                INSERT INTO webhook_attempts (delivery_id, number, attempted_at, status_code, error, duration_ms)
                VALUES (?, ?, ?, ?, ?, ?)
                ON CONFLICT (delivery_id, number) DO NOTHING
                """,
                [.text(id), SQLValue(attempt.number), SQLValue(attempt.attemptedAt), SQLValue(attempt.statusCode),
                 SQLValue(attempt.error), SQLValue(attempt.durationMs)])
            let (status, next): (DeliveryStatus, Date?) = switch outcome {
            case .delivered: (.delivered, nil)
            case .retry(let at): (.pending, at)
            case .gaveUp: (.failed, nil)
            }
            try await session.query(
                """
                UPDATE webhook_deliveries SET payload = COALESCE(payload, NULLIF(?::TEXT, '')), status = ?, next_attempt_at = ?,
                    lease_owner = NULL, lease_expires_at = NULL
                WHERE id = ?
                """,
                [.text(payload), .text(status.rawValue), SQLValue(next), .text(id)])
        }
    }

    public func deliveries(subjectID: String) async throws -> [WebhookDelivery] {
        try await transaction { session in
            var deliveries: [WebhookDelivery] = []
            for row in try await session.query(
                "SELECT * FROM webhook_deliveries WHERE subject_id = ? ORDER BY created_at, event", [.text(subjectID)])
            {
                deliveries.append(try await Self.delivery(row, in: session))
            }
            return deliveries
        }
    }

    private static func delivery(_ row: SQLRow, in session: PostgresSession) async throws -> WebhookDelivery {
        let attempts = try await session.query(
            "SELECT * FROM webhook_attempts WHERE delivery_id = ? ORDER BY number", [.text(row["id"]?.string ?? "")]
        ).map(RowMapping.attempt)
        return RowMapping.delivery(row, attempts: attempts)
    }

    // MARK: Idempotency keys

    public func beginIdempotent(accountID: String, key: String, requestHash: String, at date: Date, window: TimeInterval) async throws
        -> IdempotencyOutcome
    {
        try await transaction { session in
            // A key older than the window is free again.
            try await session.query(
                "DELETE FROM idempotency_keys WHERE account_id = ? AND key = ? AND created_at < ?",
                [.text(accountID), .text(key), SQLValue(date.addingTimeInterval(-window))])
            // Two first uses at once: one inserts, the other finds its row (in flight).
            let inserted = try await session.query(
                """
                INSERT INTO idempotency_keys (account_id, key, request_hash, created_at) VALUES (?, ?, ?, ?)
                ON CONFLICT (account_id, key) DO NOTHING
                RETURNING key
                """,
                [.text(accountID), .text(key), .text(requestHash), SQLValue(date)])
            guard inserted.isEmpty else { return .first }
            guard let row = try await session.query(
                "SELECT request_hash, status_code, response FROM idempotency_keys WHERE account_id = ? AND key = ?",
                [.text(accountID), .text(key)]).first
            else { return .inFlight }
            guard row["request_hash"]?.string == requestHash else { return .mismatch }
            guard let status = row["status_code"]?.int, let response = row["response"]?.string else { return .inFlight }
            return .replay(statusCode: status, response: response)
        }
    }

    public func finishIdempotent(accountID: String, key: String, statusCode: Int, response: String) async throws {
        try await query(
            "UPDATE idempotency_keys SET status_code = ?, response = ? WHERE account_id = ? AND key = ?",
            [.integer(Int64(statusCode)), .text(response), .text(accountID), .text(key)])
    }

    public func abandonIdempotent(accountID: String, key: String) async throws {
        try await query(
            "DELETE FROM idempotency_keys WHERE account_id = ? AND key = ? AND status_code IS NULL", [.text(accountID), .text(key)])
    }

    // MARK: Expired outputs

    public func claimExpiredOutputs(before date: Date, limit: Int, at now: Date) async throws -> [GenerationRecord] {
        try await query(
            """
            UPDATE generations SET purged_at = ?
            WHERE id IN (
                SELECT id FROM generations
                WHERE purged_at IS NULL AND output_file IS NOT NULL AND expires_at <= ?
                ORDER BY expires_at LIMIT ?
                FOR UPDATE SKIP LOCKED)
            RETURNING *
            """,
            [SQLValue(now), SQLValue(date), .integer(Int64(limit))]
        ).map(RowMapping.generation)
    }

    // MARK: Rate limits

    public func countRequest(key: String, minuteStart: Int, dayStart: Int, perMinute: Int, perDay: Int) async throws
        -> (minute: Int, day: Int, allowed: Bool)
    {
        try await transaction { session in
            let minuteKey = "\(key):minute", dayKey = "\(key):day"
            // Ended windows of this key go; the current two exist (at zero) and are locked.
            try await session.query(
                "DELETE FROM rate_windows WHERE (key = ? AND window_start < ?) OR (key = ? AND window_start < ?)",
                [.text(minuteKey), SQLValue(minuteStart), .text(dayKey), SQLValue(dayStart)])
            try await session.query(
                "INSERT INTO rate_windows (key, window_start, count) VALUES (?, ?, 0), (?, ?, 0) ON CONFLICT DO NOTHING",
                [.text(minuteKey), SQLValue(minuteStart), .text(dayKey), SQLValue(dayStart)])
            let rows = try await session.query(
                "SELECT key, count FROM rate_windows WHERE (key = ? AND window_start = ?) OR (key = ? AND window_start = ?) FOR UPDATE",
                [.text(minuteKey), SQLValue(minuteStart), .text(dayKey), SQLValue(dayStart)])
            var minute = rows.first { $0["key"]?.string == minuteKey }?["count"]?.int ?? 0
            var day = rows.first { $0["key"]?.string == dayKey }?["count"]?.int ?? 0
            let allowed = minute < perMinute && day < perDay
            if allowed {
                try await session.query(
                    "UPDATE rate_windows SET count = count + 1 WHERE (key = ? AND window_start = ?) OR (key = ? AND window_start = ?)",
                    [.text(minuteKey), SQLValue(minuteStart), .text(dayKey), SQLValue(dayStart)])
                minute += 1
                day += 1
            }
            return (minute, day, allowed)
        }
    }
}
