import Foundation

/// The embedded default store: one SQLite file in the data directory, zero set-up.
///
/// The actor owns the single connection, so every method runs alone; each is one transaction.
/// SQLite calls here take microseconds, short enough to run on the actor's executor.
public actor SQLiteStore: Store {
    private let connection: SQLiteConnection

    /// Opens (creating if needed) the database file and brings its schema up to date.
    public init(path: String) throws {
        connection = try SQLiteConnection(path: path)
        try Self.migrate(connection)
    }

    /// Numbered schema steps; `PRAGMA user_version` records how many have run.
    static let migrations: [String] = [
        """
        CREATE TABLE accounts (
            id TEXT PRIMARY KEY,
            name TEXT NOT NULL,
            created_at INTEGER NOT NULL
        );
        CREATE TABLE api_keys (
            id TEXT PRIMARY KEY,
            account_id TEXT NOT NULL REFERENCES accounts(id),
            mode TEXT NOT NULL CHECK (mode IN ('live', 'test')),
            secret_hash TEXT NOT NULL UNIQUE,
            hint TEXT NOT NULL,
            name TEXT NOT NULL,
            created_at INTEGER NOT NULL,
            revoked_at INTEGER
        );
        CREATE INDEX api_keys_account ON api_keys(account_id);
        CREATE TABLE credit_ledger (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            account_id TEXT NOT NULL REFERENCES accounts(id),
            delta INTEGER NOT NULL,
            reason TEXT NOT NULL CHECK (reason IN ('purchase', 'generation', 'refund')),
            generation_id TEXT,
            created_at INTEGER NOT NULL
        );
        CREATE INDEX credit_ledger_account ON credit_ledger(account_id, created_at);
        -- A generation is debited at most once and refunded at most once.
        CREATE UNIQUE INDEX credit_ledger_generation ON credit_ledger(generation_id, reason)
            WHERE generation_id IS NOT NULL;
        CREATE TRIGGER credit_ledger_append_only_update BEFORE UPDATE ON credit_ledger
            BEGIN SELECT RAISE(ABORT, 'credit_ledger is append-only'); END;
        CREATE TRIGGER credit_ledger_append_only_delete BEFORE DELETE ON credit_ledger
            BEGIN SELECT RAISE(ABORT, 'credit_ledger is append-only'); END;
        CREATE TABLE generations (
            id TEXT PRIMARY KEY,
            account_id TEXT NOT NULL REFERENCES accounts(id),
            key_id TEXT NOT NULL REFERENCES api_keys(id),
            mode TEXT NOT NULL,
            status TEXT NOT NULL CHECK (status IN ('pending', 'processing', 'completed', 'failed')),
            style TEXT NOT NULL,
            platform TEXT NOT NULL,
            format TEXT NOT NULL,
            width INTEGER NOT NULL,
            height INTEGER NOT NULL,
            parameters TEXT NOT NULL,
            credits_used INTEGER NOT NULL,
            file_size INTEGER,
            output_file TEXT,
            generation_time_ms INTEGER,
            error_code TEXT,
            error_message TEXT,
            created_at INTEGER NOT NULL,
            completed_at INTEGER,
            expires_at INTEGER NOT NULL,
            purged_at INTEGER
        );
        CREATE INDEX generations_expiry ON generations(expires_at) WHERE purged_at IS NULL;
        """,
        // The compliance report (JSON) of a completed generation, returned again by look-ups.
        "ALTER TABLE generations ADD COLUMN compliance TEXT;",
        // The job queue: a pending generation is claimed by a worker under a lease it renews.
        """
        ALTER TABLE generations ADD COLUMN lease_owner TEXT;
        ALTER TABLE generations ADD COLUMN lease_expires_at INTEGER;
        ALTER TABLE generations ADD COLUMN attempts INTEGER NOT NULL DEFAULT 0;
        CREATE INDEX generations_queue ON generations(created_at) WHERE status IN ('pending', 'processing');
        """,
        // Idempotency-Key: the first response to a key, replayed to its repeats.
        """
        CREATE TABLE idempotency_keys (
            account_id TEXT NOT NULL REFERENCES accounts(id),
            key TEXT NOT NULL,
            request_hash TEXT NOT NULL,
            status_code INTEGER,
            response TEXT,
            created_at INTEGER NOT NULL,
            PRIMARY KEY (account_id, key)
        );
        """,
        // Asynchronous work: batches, the requests queued jobs render, webhook deliveries and
        // their attempts, and API keys' sealed secrets (webhooks are signed with the key).
        """
        ALTER TABLE api_keys ADD COLUMN sealed_secret TEXT;
        CREATE TABLE batches (
            id TEXT PRIMARY KEY,
            account_id TEXT NOT NULL REFERENCES accounts(id),
            key_id TEXT NOT NULL REFERENCES api_keys(id),
            status TEXT NOT NULL CHECK (status IN ('processing', 'completed', 'failed')),
            total_items INTEGER NOT NULL,
            webhook_url TEXT,
            created_at INTEGER NOT NULL,
            completed_at INTEGER
        );
        ALTER TABLE generations ADD COLUMN batch_id TEXT REFERENCES batches(id);
        ALTER TABLE generations ADD COLUMN batch_index INTEGER;
        ALTER TABLE generations ADD COLUMN webhook_url TEXT;
        CREATE INDEX generations_batch ON generations(batch_id, batch_index) WHERE batch_id IS NOT NULL;
        CREATE TABLE job_requests (
            generation_id TEXT PRIMARY KEY REFERENCES generations(id),
            request TEXT NOT NULL
        );
        CREATE TABLE webhook_deliveries (
            id TEXT PRIMARY KEY,
            account_id TEXT NOT NULL REFERENCES accounts(id),
            key_id TEXT NOT NULL REFERENCES api_keys(id),
            url TEXT NOT NULL,
            event TEXT NOT NULL,
            subject_id TEXT NOT NULL,
            payload TEXT,
            status TEXT NOT NULL CHECK (status IN ('pending', 'delivered', 'failed')),
            next_attempt_at INTEGER,
            lease_owner TEXT,
            lease_expires_at INTEGER,
            created_at INTEGER NOT NULL
        );
        -- One event of each kind per generation or batch, however often it is finished.
        CREATE UNIQUE INDEX webhook_deliveries_once ON webhook_deliveries(subject_id, event);
        CREATE INDEX webhook_deliveries_due ON webhook_deliveries(next_attempt_at) WHERE status = 'pending';
        CREATE TABLE webhook_attempts (
            delivery_id TEXT NOT NULL REFERENCES webhook_deliveries(id),
            number INTEGER NOT NULL,
            attempted_at INTEGER NOT NULL,
            status_code INTEGER,
            error TEXT,
            duration_ms INTEGER NOT NULL,
            PRIMARY KEY (delivery_id, number)
        );
        """,
        // The EcomViz surface: products made from photos, their generated images, and generation
        // tasks (batches tied to a product, with the token their webhook sends back).
        """
        CREATE TABLE products (
            id TEXT PRIMARY KEY,
            account_id TEXT NOT NULL REFERENCES accounts(id),
            key_id TEXT NOT NULL REFERENCES api_keys(id),
            name TEXT NOT NULL,
            name_source TEXT NOT NULL,
            analysis TEXT NOT NULL,
            colors TEXT NOT NULL,
            sources TEXT NOT NULL,
            created_at INTEGER NOT NULL,
            updated_at INTEGER NOT NULL
        );
        CREATE INDEX products_account ON products(account_id, created_at);
        ALTER TABLE generations ADD COLUMN product_id TEXT REFERENCES products(id);
        CREATE INDEX generations_product ON generations(product_id, created_at) WHERE product_id IS NOT NULL;
        ALTER TABLE batches ADD COLUMN product_id TEXT REFERENCES products(id);
        ALTER TABLE batches ADD COLUMN webhook_token TEXT;
        """,
        // Virtual try-on tasks are batches too; each account may keep a default model photo.
        """
        ALTER TABLE batches ADD COLUMN kind TEXT NOT NULL DEFAULT 'batch' CHECK (kind IN ('batch', 'product', 'vto'));
        UPDATE batches SET kind = 'product' WHERE product_id IS NOT NULL;
        ALTER TABLE batches ADD COLUMN details TEXT;
        CREATE TABLE account_settings (
            account_id TEXT PRIMARY KEY REFERENCES accounts(id),
            default_person TEXT,
            updated_at INTEGER NOT NULL
        );
        """,
        // How far the cutout behind a completed generation can be trusted.
        "ALTER TABLE generations ADD COLUMN cutout_confidence REAL;",
        // The console: keys' last use, and an account's history and daily usage read newest first.
        """
        ALTER TABLE api_keys ADD COLUMN last_used_at INTEGER;
        CREATE INDEX generations_account ON generations(account_id, created_at);
        CREATE INDEX batches_account ON batches(account_id, created_at);
        """,
    ]

    private static func migrate(_ connection: SQLiteConnection) throws {
        try connection.transaction {
            let applied = try connection.userVersion
            for (index, step) in migrations.enumerated() where index >= applied {
                try connection.execute(step)
            }
            try connection.execute("PRAGMA user_version = \(migrations.count)")
        }
    }

    // MARK: Accounts and keys

    public func createAccount(_ account: AccountRecord, initialCredits: Int) throws {
        try connection.transaction { try insertAccount(account, initialCredits: initialCredits) }
    }

    private func insertAccount(_ account: AccountRecord, initialCredits: Int) throws {
        try connection.query(
            "INSERT INTO accounts (id, name, created_at) VALUES (?, ?, ?)",
            [.text(account.id), .text(account.name), SQLValue(account.createdAt)])
        if initialCredits > 0 {
            try appendLedger(account.id, delta: initialCredits, reason: .purchase, generationID: nil, at: account.createdAt)
        }
    }

    public func createFirstAccount(_ account: AccountRecord, initialCredits: Int) throws -> Bool {
        try connection.transaction {
            guard try connection.query("SELECT id FROM accounts LIMIT 1").isEmpty else { return false }
            try insertAccount(account, initialCredits: initialCredits)
            return true
        }
    }

    public func account(id: String) throws -> AccountRecord? {
        try connection.query("SELECT * FROM accounts WHERE id = ?", [.text(id)]).first.map(RowMapping.account)
    }

    public func accounts() throws -> [AccountRecord] {
        try connection.query("SELECT * FROM accounts ORDER BY created_at, id").map(RowMapping.account)
    }

    public func insertKey(_ key: APIKeyRecord) throws {
        try connection.query(
            """
            INSERT INTO api_keys (id, account_id, mode, secret_hash, hint, name, created_at, revoked_at, sealed_secret)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
            """,
            [.text(key.id), .text(key.accountID), .text(key.mode.rawValue), .text(key.secretHash),
             .text(key.hint), .text(key.name), SQLValue(key.createdAt), SQLValue(key.revokedAt), SQLValue(key.sealedSecret)])
    }

    public func key(id: String) throws -> APIKeyRecord? {
        try connection.query("SELECT * FROM api_keys WHERE id = ?", [.text(id)]).first.map(RowMapping.key)
    }

    public func setSealedSecret(keyID: String, sealed: String) throws {
        try connection.query("UPDATE api_keys SET sealed_secret = ? WHERE id = ?", [.text(sealed), .text(keyID)])
    }

    public func recordKeyUse(id: String, at date: Date, unlessUsedSince since: Date) throws {
        try connection.query(
            "UPDATE api_keys SET last_used_at = ? WHERE id = ? AND (last_used_at IS NULL OR last_used_at < ?)",
            [SQLValue(date), .text(id), SQLValue(since)])
    }

    public func key(secretHash: String) throws -> APIKeyRecord? {
        try connection.query("SELECT * FROM api_keys WHERE secret_hash = ?", [.text(secretHash)]).first.map(RowMapping.key)
    }

    public func keys(accountID: String?) throws -> [APIKeyRecord] {
        if let accountID {
            return try connection.query(
                "SELECT * FROM api_keys WHERE account_id = ? ORDER BY created_at, id", [.text(accountID)]
            ).map(RowMapping.key)
        }
        return try connection.query("SELECT * FROM api_keys ORDER BY created_at, id").map(RowMapping.key)
    }

    public func revokeKey(id: String, at date: Date) throws -> Bool {
        try connection.query(
            "UPDATE api_keys SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL", [SQLValue(date), .text(id)])
        return connection.changes > 0
    }

    // MARK: Credits

    public func addCredits(accountID: String, amount: Int, at date: Date) throws -> Int {
        try connection.transaction {
            guard try account(id: accountID) != nil else { throw StoreError.notFound("account \(accountID)") }
            try appendLedger(accountID, delta: amount, reason: .purchase, generationID: nil, at: date)
            return try balance(accountID)
        }
    }

    public func creditSummary(accountID: String, dayStart: Date) throws -> CreditSummary {
        let row = try connection.query(
            """
            SELECT
                COALESCE(SUM(delta), 0) AS balance,
                COALESCE(-SUM(CASE WHEN reason != 'purchase' THEN delta END), 0) AS used_total,
                COALESCE(-SUM(CASE WHEN reason != 'purchase' AND created_at >= ? THEN delta END), 0) AS used_today
            FROM credit_ledger WHERE account_id = ?
            """,
            [SQLValue(dayStart), .text(accountID)]
        ).first ?? [:]
        let purchase = try connection.query(
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

    public func dailyUsage(accountID: String, from: Date) throws -> [DailyUsage] {
        try connection.query(
            """
            SELECT usage_day, SUM(credits) AS credits_used, SUM(made) AS generations FROM (
                SELECT created_at / 86400000 AS usage_day, -delta AS credits, 0 AS made FROM credit_ledger
                WHERE account_id = ? AND reason != 'purchase' AND created_at >= ?
                UNION ALL
                SELECT created_at / 86400000 AS usage_day, 0 AS credits, 1 AS made FROM generations
                WHERE account_id = ? AND created_at >= ?)
            GROUP BY usage_day ORDER BY usage_day
            """,
            [.text(accountID), SQLValue(from), .text(accountID), SQLValue(from)]
        ).map(RowMapping.usage)
    }

    private func balance(_ accountID: String) throws -> Int {
        try connection.query(
            "SELECT COALESCE(SUM(delta), 0) AS balance FROM credit_ledger WHERE account_id = ?", [.text(accountID)]
        ).first?["balance"]?.int ?? 0
    }

    private func appendLedger(_ accountID: String, delta: Int, reason: LedgerReason, generationID: String?, at date: Date) throws {
        try connection.query(
            "INSERT INTO credit_ledger (account_id, delta, reason, generation_id, created_at) VALUES (?, ?, ?, ?, ?)",
            [.text(accountID), .integer(Int64(delta)), .text(reason.rawValue), SQLValue(generationID), SQLValue(date)])
    }

    // MARK: Generations

    public func startGeneration(_ generation: GenerationRecord) throws -> Int {
        try connection.transaction {
            let available = try balance(generation.accountID)
            if generation.creditsUsed > 0 {
                guard available >= generation.creditsUsed else {
                    throw StoreError.insufficientCredits(balance: available)
                }
            }
            try insert(generation)
            guard generation.creditsUsed > 0 else { return available }
            try appendLedger(
                generation.accountID, delta: -generation.creditsUsed, reason: .generation,
                generationID: generation.id, at: generation.createdAt)
            return available - generation.creditsUsed
        }
    }

    public func completeGeneration(id: String, output: GenerationOutput, at date: Date) throws -> Int {
        try connection.transaction {
            let record = try existing(id)
            try connection.query(
                """
                UPDATE generations SET status = 'completed', output_file = ?, file_size = ?,
                    generation_time_ms = ?, completed_at = ?, compliance = ?, cutout_confidence = ?
                WHERE id = ? AND status IN ('pending', 'processing')
                """,
                [.text(output.outputFile), .integer(Int64(output.fileSize)),
                 .integer(Int64(output.generationTimeMs)), SQLValue(date), SQLValue(output.compliance),
                 SQLValue(output.cutoutConfidence), .text(id)])
            if connection.changes > 0 { try finished(record, event: .generationCompleted, at: date) }
            return try balance(record.accountID)
        }
    }

    public func failGeneration(id: String, code: String, message: String, at date: Date) throws -> Int {
        try connection.transaction { try markFailed(id: id, code: code, message: message, at: date) }
    }

    private func markFailed(id: String, code: String, message: String, at date: Date) throws -> Int {
        let record = try existing(id)
        try connection.query(
            """
            UPDATE generations SET status = 'failed', error_code = ?, error_message = ?,
                completed_at = ?, credits_used = 0
            WHERE id = ? AND status IN ('pending', 'processing')
            """,
            [.text(code), .text(message), SQLValue(date), .text(id)])
        // The unique (generation_id, reason) index makes a second refund impossible.
        if connection.changes > 0 {
            if record.creditsUsed > 0 {
                try appendLedger(record.accountID, delta: record.creditsUsed, reason: .refund, generationID: id, at: date)
            }
            try finished(record, event: .generationFailed, at: date)
        }
        return try balance(record.accountID)
    }

    /// What follows a generation's first completion or failure, inside its transaction.
    private func finished(_ record: GenerationRecord, event: WebhookEvent, at date: Date) throws {
        try connection.query("DELETE FROM job_requests WHERE generation_id = ?", [.text(record.id)])
        if let url = record.webhookURL {
            try queueDelivery(accountID: record.accountID, keyID: record.keyID, url: url, event: event, subjectID: record.id, at: date)
        }
        guard let batchID = record.batchID,
              let counts = try connection.query(
                  """
                  SELECT SUM(status IN ('pending', 'processing')) AS unfinished, SUM(status = 'completed') AS completed
                  FROM generations WHERE batch_id = ?
                  """, [.text(batchID)]).first,
              counts["unfinished"]?.int == 0
        else { return }
        let status: BatchStatus = (counts["completed"]?.int ?? 0) > 0 ? .completed : .failed
        try connection.query(
            "UPDATE batches SET status = ?, completed_at = ? WHERE id = ? AND completed_at IS NULL",
            [.text(status.rawValue), SQLValue(date), .text(batchID)])
        guard connection.changes > 0, let batch = try batch(id: batchID), let url = batch.webhookURL else { return }
        let event: WebhookEvent = switch batch.kind {
        case .batch: .batchCompleted
        case .product: .productGenerated
        case .vto: .vtoCompleted
        }
        try queueDelivery(accountID: batch.accountID, keyID: batch.keyID, url: url, event: event, subjectID: batchID, at: date)
    }

    private func queueDelivery(accountID: String, keyID: String, url: String, event: WebhookEvent, subjectID: String, at date: Date) throws {
        try connection.query(
            """
            INSERT OR IGNORE INTO webhook_deliveries (id, account_id, key_id, url, event, subject_id, status, next_attempt_at, created_at)
            VALUES ('evt_' || lower(hex(randomblob(10))), ?, ?, ?, ?, ?, 'pending', ?, ?)
            """,
            [.text(accountID), .text(keyID), .text(url), .text(event.rawValue), .text(subjectID), SQLValue(date), SQLValue(date)])
    }

    public func failAbandonedSynchronous(before date: Date, at now: Date) throws -> Int {
        try connection.transaction {
            let abandoned = try connection.query(
                """
                SELECT * FROM generations
                WHERE status = 'processing' AND lease_owner IS NULL AND created_at < ?
                """, [SQLValue(date)]
            ).map(RowMapping.generation)
            for record in abandoned {
                _ = try markFailed(
                    id: record.id, code: "server_error", message: "The server stopped while rendering; the credit was refunded.", at: now)
            }
            return abandoned.count
        }
    }

    // MARK: Batches

    public func enqueue(_ jobs: [QueuedGeneration], batch: BatchRecord?) throws -> Int {
        guard let accountID = jobs.first?.record.accountID else { throw StoreError.conflict("nothing to enqueue") }
        return try connection.transaction {
            let available = try balance(accountID)
            let cost = jobs.reduce(0) { $0 + $1.record.creditsUsed }
            guard available >= cost else { throw StoreError.insufficientCredits(balance: available) }
            if let batch {
                try connection.query(
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
                try insert(job.record)
                try connection.query(
                    "INSERT INTO job_requests (generation_id, request) VALUES (?, ?)",
                    [.text(job.record.id), .text(String(decoding: job.request, as: UTF8.self))])
                if job.record.creditsUsed > 0 {
                    try appendLedger(
                        accountID, delta: -job.record.creditsUsed, reason: .generation, generationID: job.record.id,
                        at: job.record.createdAt)
                }
            }
            return available - cost
        }
    }

    public func insertProduct(_ product: ProductRecord) throws {
        try connection.query(
            """
            INSERT INTO products (id, account_id, key_id, name, name_source, analysis, colors, sources, created_at, updated_at)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
            """,
            [.text(product.id), .text(product.accountID), .text(product.keyID), .text(product.name), .text(product.nameSource),
             .text(product.analysis), .text(product.colors), .text(product.sources), SQLValue(product.createdAt),
             SQLValue(product.updatedAt)])
    }

    public func product(id: String) throws -> ProductRecord? {
        try connection.query("SELECT * FROM products WHERE id = ?", [.text(id)]).first.map(RowMapping.product)
    }

    public func generations(productID: String) throws -> [GenerationRecord] {
        try connection.query(
            "SELECT * FROM generations WHERE product_id = ? ORDER BY created_at, batch_index, id", [.text(productID)]
        ).map(RowMapping.generation)
    }

    public func defaultPerson(accountID: String) throws -> String? {
        try connection.query("SELECT default_person FROM account_settings WHERE account_id = ?", [.text(accountID)])
            .first?["default_person"]?.string
    }

    public func setDefaultPerson(accountID: String, person: String, at date: Date) throws {
        try connection.query(
            """
            INSERT INTO account_settings (account_id, default_person, updated_at) VALUES (?, ?, ?)
            ON CONFLICT (account_id) DO UPDATE SET default_person = excluded.default_person, updated_at = excluded.updated_at
            """, [.text(accountID), .text(person), SQLValue(date)])
    }

    public func batch(id: String) throws -> BatchRecord? {
        try connection.query("SELECT * FROM batches WHERE id = ?", [.text(id)]).first.map(RowMapping.batch)
    }

    public func generations(batchID: String) throws -> [GenerationRecord] {
        try connection.query("SELECT * FROM generations WHERE batch_id = ? ORDER BY batch_index", [.text(batchID)])
            .map(RowMapping.generation)
    }

    public func history(accountID: String, after cursor: HistoryCursor?, limit: Int) throws -> [HistoryEntry] {
        // Each table's newest `limit` past the cursor, merged: both walk their (account_id,
        // created_at) index, and the merge is at most 2 × limit rows.
        var bindings: [SQLValue] = [.text(accountID)]
        var after = ""
        if let cursor {
            after = "AND (created_at < ? OR (created_at = ? AND id < ?))"
            bindings += [SQLValue(cursor.createdAt), SQLValue(cursor.createdAt), .text(cursor.id)]
        }
        bindings.append(SQLValue(limit))
        let generations = try connection.query(
            """
            SELECT * FROM generations WHERE account_id = ? AND batch_id IS NULL AND product_id IS NULL \(after)
            ORDER BY created_at DESC, id DESC LIMIT ?
            """, bindings
        ).map { HistoryEntry.generation(RowMapping.generation($0)) }
        let batches = try connection.query(
            """
            SELECT * FROM batches WHERE account_id = ? AND kind = 'batch' \(after)
            ORDER BY created_at DESC, id DESC LIMIT ?
            """, bindings
        ).map { HistoryEntry.batch(RowMapping.batch($0)) }
        return Array((generations + batches).sorted(by: HistoryEntry.newerFirst).prefix(limit))
    }

    public func claimJob(worker: String, now: Date, leaseUntil: Date) throws -> GenerationRecord? {
        // One statement, so two workers can never claim the same job. On PostgreSQL the same
        // shape takes the inner SELECT with FOR UPDATE SKIP LOCKED.
        try connection.query(
            """
            UPDATE generations SET status = 'processing', lease_owner = ?, lease_expires_at = ?, attempts = attempts + 1
            WHERE id = (
                SELECT id FROM generations
                WHERE status = 'pending' OR (status = 'processing' AND lease_expires_at < ?)
                ORDER BY created_at, id LIMIT 1)
            RETURNING *
            """,
            [.text(worker), SQLValue(leaseUntil), SQLValue(now)]
        ).first.map(RowMapping.generation)
    }

    public func renewLease(id: String, worker: String, until: Date) throws -> Bool {
        try connection.query(
            "UPDATE generations SET lease_expires_at = ? WHERE id = ? AND lease_owner = ? AND status = 'processing'",
            [SQLValue(until), .text(id), .text(worker)])
        return connection.changes > 0
    }

    public func releaseJob(id: String, worker: String) throws -> Bool {
        try connection.query(
            """
            UPDATE generations SET status = 'pending', lease_owner = NULL, lease_expires_at = NULL
            WHERE id = ? AND lease_owner = ? AND status = 'processing'
            """, [.text(id), .text(worker)])
        return connection.changes > 0
    }

    public func jobRequest(generationID: String) throws -> Data? {
        try connection.query("SELECT request FROM job_requests WHERE generation_id = ?", [.text(generationID)])
            .first?["request"]?.string.map { Data($0.utf8) }
    }

    public func queueLoad(recent: Int) throws -> (unfinished: Int, meanGenerationMs: Int?) {
        let unfinished = try connection.query(
            "SELECT COUNT(*) AS n FROM generations WHERE status IN ('pending', 'processing')").first?["n"]?.int ?? 0
        let mean = try connection.query(
            """
            SELECT AVG(generation_time_ms) AS mean FROM (
                SELECT generation_time_ms FROM generations WHERE status = 'completed' AND generation_time_ms IS NOT NULL
                ORDER BY completed_at DESC LIMIT ?)
            """, [SQLValue(recent)]).first?["mean"]
        let meanMs: Int? = switch mean {
        case .real(let value)?: Int(value.rounded())
        case .integer(let value)?: Int(value)
        default: nil
        }
        return (unfinished, meanMs)
    }

    // MARK: Webhook deliveries

    public func claimDelivery(worker: String, now: Date, leaseUntil: Date) throws -> WebhookDelivery? {
        guard let row = try connection.query(
            """
            UPDATE webhook_deliveries SET lease_owner = ?, lease_expires_at = ?
            WHERE id = (
                SELECT id FROM webhook_deliveries
                WHERE status = 'pending' AND next_attempt_at <= ? AND (lease_expires_at IS NULL OR lease_expires_at < ?)
                ORDER BY next_attempt_at, id LIMIT 1)
            RETURNING *
            """,
            [.text(worker), SQLValue(leaseUntil), SQLValue(now), SQLValue(now)]
        ).first else { return nil }
        return try delivery(row)
    }

    public func recordDeliveryAttempt(id: String, payload: String, attempt: DeliveryAttempt, outcome: DeliveryOutcome) throws {
        try connection.transaction {
            try connection.query(
                """
                INSERT OR IGNORE INTO webhook_attempts (delivery_id, number, attempted_at, status_code, error, duration_ms)
                VALUES (?, ?, ?, ?, ?, ?)
                """,
                [.text(id), SQLValue(attempt.number), SQLValue(attempt.attemptedAt), SQLValue(attempt.statusCode),
                 SQLValue(attempt.error), SQLValue(attempt.durationMs)])
            let (status, next): (DeliveryStatus, Date?) = switch outcome {
            case .delivered: (.delivered, nil)
            case .retry(let at): (.pending, at)
            case .gaveUp: (.failed, nil)
            }
            try connection.query(
                """
                UPDATE webhook_deliveries SET payload = COALESCE(payload, NULLIF(?, '')), status = ?, next_attempt_at = ?,
                    lease_owner = NULL, lease_expires_at = NULL
                WHERE id = ?
                """,
                [.text(payload), .text(status.rawValue), SQLValue(next), .text(id)])
        }
    }

    public func deliveries(subjectID: String) throws -> [WebhookDelivery] {
        try connection.query("SELECT * FROM webhook_deliveries WHERE subject_id = ? ORDER BY created_at, event", [.text(subjectID)])
            .map(delivery)
    }

    private func delivery(_ row: SQLRow) throws -> WebhookDelivery {
        let id = row["id"]?.string ?? ""
        let attempts = try connection.query(
            "SELECT * FROM webhook_attempts WHERE delivery_id = ? ORDER BY number", [.text(id)]
        ).map(RowMapping.attempt)
        return RowMapping.delivery(row, attempts: attempts)
    }

    public func beginIdempotent(accountID: String, key: String, requestHash: String, at date: Date, window: TimeInterval) throws -> IdempotencyOutcome {
        try connection.transaction {
            // A key older than the window is free again.
            try connection.query(
                "DELETE FROM idempotency_keys WHERE account_id = ? AND key = ? AND created_at < ?",
                [.text(accountID), .text(key), SQLValue(date.addingTimeInterval(-window))])
            guard let row = try connection.query(
                "SELECT request_hash, status_code, response FROM idempotency_keys WHERE account_id = ? AND key = ?",
                [.text(accountID), .text(key)]).first
            else {
                try connection.query(
                    "INSERT INTO idempotency_keys (account_id, key, request_hash, created_at) VALUES (?, ?, ?, ?)",
                    [.text(accountID), .text(key), .text(requestHash), SQLValue(date)])
                return .first
            }
            guard row["request_hash"]?.string == requestHash else { return .mismatch }
            guard let status = row["status_code"]?.int, let response = row["response"]?.string else { return .inFlight }
            return .replay(statusCode: status, response: response)
        }
    }

    public func finishIdempotent(accountID: String, key: String, statusCode: Int, response: String) throws {
        try connection.query(
            "UPDATE idempotency_keys SET status_code = ?, response = ? WHERE account_id = ? AND key = ?",
            [.integer(Int64(statusCode)), .text(response), .text(accountID), .text(key)])
    }

    public func abandonIdempotent(accountID: String, key: String) throws {
        try connection.query(
            "DELETE FROM idempotency_keys WHERE account_id = ? AND key = ? AND status_code IS NULL", [.text(accountID), .text(key)])
    }

    public func generation(id: String) throws -> GenerationRecord? {
        try connection.query("SELECT * FROM generations WHERE id = ?", [.text(id)]).first.map(RowMapping.generation)
    }

    public func claimExpiredOutputs(before date: Date, limit: Int, at now: Date) throws -> [GenerationRecord] {
        try connection.query(
            """
            UPDATE generations SET purged_at = ?
            WHERE id IN (
                SELECT id FROM generations
                WHERE purged_at IS NULL AND output_file IS NOT NULL AND expires_at <= ?
                ORDER BY expires_at LIMIT ?)
            RETURNING *
            """,
            [SQLValue(now), SQLValue(date), .integer(Int64(limit))]
        ).map(RowMapping.generation)
    }

    private func existing(_ id: String) throws -> GenerationRecord {
        guard let record = try generation(id: id) else { throw StoreError.notFound("generation \(id)") }
        return record
    }

    private func insert(_ g: GenerationRecord) throws {
        try connection.query(
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
}
