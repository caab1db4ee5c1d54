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
    private static let migrations: [String] = [
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
        try connection.transaction {
            try connection.query(
                "INSERT INTO accounts (id, name, created_at) VALUES (?, ?, ?)",
                [.text(account.id), .text(account.name), SQLValue(account.createdAt)])
            if initialCredits > 0 {
                try appendLedger(account.id, delta: initialCredits, reason: .purchase, generationID: nil, at: account.createdAt)
            }
        }
    }

    public func account(id: String) throws -> AccountRecord? {
        try connection.query("SELECT * FROM accounts WHERE id = ?", [.text(id)]).first.map(Self.account)
    }

    public func accounts() throws -> [AccountRecord] {
        try connection.query("SELECT * FROM accounts ORDER BY created_at, id").map(Self.account)
    }

    public func insertKey(_ key: APIKeyRecord) throws {
        try connection.query(
            """
            INSERT INTO api_keys (id, account_id, mode, secret_hash, hint, name, created_at, revoked_at)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?)
            """,
            [.text(key.id), .text(key.accountID), .text(key.mode.rawValue), .text(key.secretHash),
             .text(key.hint), .text(key.name), SQLValue(key.createdAt), SQLValue(key.revokedAt)])
    }

    public func key(secretHash: String) throws -> APIKeyRecord? {
        try connection.query("SELECT * FROM api_keys WHERE secret_hash = ?", [.text(secretHash)]).first.map(Self.key)
    }

    public func keys(accountID: String?) throws -> [APIKeyRecord] {
        if let accountID {
            return try connection.query(
                "SELECT * FROM api_keys WHERE account_id = ? ORDER BY created_at, id", [.text(accountID)]
            ).map(Self.key)
        }
        return try connection.query("SELECT * FROM api_keys ORDER BY created_at, id").map(Self.key)
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
                    generation_time_ms = ?, completed_at = ?, compliance = ?
                WHERE id = ? AND status IN ('pending', 'processing')
                """,
                [.text(output.outputFile), .integer(Int64(output.fileSize)),
                 .integer(Int64(output.generationTimeMs)), SQLValue(date), SQLValue(output.compliance), .text(id)])
            return try balance(record.accountID)
        }
    }

    public func failGeneration(id: String, code: String, message: String, at date: Date) throws -> Int {
        try connection.transaction {
            let record = try existing(id)
            try connection.query(
                """
                UPDATE generations SET status = 'failed', error_code = ?, error_message = ?,
                    completed_at = ?, credits_used = 0
                WHERE id = ? AND status IN ('pending', 'processing')
                """,
                [.text(code), .text(message), SQLValue(date), .text(id)])
            // The unique (generation_id, reason) index makes a second refund impossible.
            if connection.changes > 0, record.creditsUsed > 0 {
                try appendLedger(record.accountID, delta: record.creditsUsed, reason: .refund, generationID: id, at: date)
            }
            return try balance(record.accountID)
        }
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
        ).first.map(Self.generation)
    }

    public func renewLease(id: String, worker: String, until: Date) throws -> Bool {
        try connection.query(
            "UPDATE generations SET lease_expires_at = ? WHERE id = ? AND lease_owner = ? AND status = 'processing'",
            [SQLValue(until), .text(id), .text(worker)])
        return connection.changes > 0
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

    public func generation(id: String) throws -> GenerationRecord? {
        try connection.query("SELECT * FROM generations WHERE id = ?", [.text(id)]).first.map(Self.generation)
    }

    public func expiredGenerations(before date: Date, limit: Int) throws -> [GenerationRecord] {
        try connection.query(
            """
            SELECT * FROM generations
            WHERE purged_at IS NULL AND output_file IS NOT NULL AND expires_at <= ?
            ORDER BY expires_at LIMIT ?
            """,
            [SQLValue(date), .integer(Int64(limit))]
        ).map(Self.generation)
    }

    public func markPurged(id: String, at date: Date) throws {
        try connection.query("UPDATE generations SET purged_at = ? WHERE id = ?", [SQLValue(date), .text(id)])
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
                created_at, completed_at, expires_at, purged_at, compliance)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
            """,
            [.text(g.id), .text(g.accountID), .text(g.keyID), .text(g.mode.rawValue), .text(g.status.rawValue),
             .text(g.style), .text(g.platform), .text(g.format), SQLValue(g.width), SQLValue(g.height),
             .text(g.parameters), SQLValue(g.creditsUsed), SQLValue(g.fileSize), SQLValue(g.outputFile),
             SQLValue(g.generationTimeMs), SQLValue(g.errorCode), SQLValue(g.errorMessage), SQLValue(g.createdAt),
             SQLValue(g.completedAt), SQLValue(g.expiresAt), SQLValue(g.purgedAt), SQLValue(g.compliance)])
    }

    // MARK: Row mapping

    private static func account(_ row: SQLRow) -> AccountRecord {
        AccountRecord(id: row["id"]?.string ?? "", name: row["name"]?.string ?? "", createdAt: row["created_at"]?.date ?? .distantPast)
    }

    private static func key(_ row: SQLRow) -> APIKeyRecord {
        APIKeyRecord(
            id: row["id"]?.string ?? "", accountID: row["account_id"]?.string ?? "",
            mode: KeyMode(rawValue: row["mode"]?.string ?? "") ?? .test, secretHash: row["secret_hash"]?.string ?? "",
            hint: row["hint"]?.string ?? "", name: row["name"]?.string ?? "",
            createdAt: row["created_at"]?.date ?? .distantPast, revokedAt: row["revoked_at"]?.date)
    }

    private static func generation(_ row: SQLRow) -> GenerationRecord {
        GenerationRecord(
            id: row["id"]?.string ?? "", accountID: row["account_id"]?.string ?? "", keyID: row["key_id"]?.string ?? "",
            mode: KeyMode(rawValue: row["mode"]?.string ?? "") ?? .test,
            status: GenerationStatus(rawValue: row["status"]?.string ?? "") ?? .failed,
            style: row["style"]?.string ?? "", platform: row["platform"]?.string ?? "", format: row["format"]?.string ?? "",
            width: row["width"]?.int ?? 0, height: row["height"]?.int ?? 0, parameters: row["parameters"]?.string ?? "{}",
            creditsUsed: row["credits_used"]?.int ?? 0, fileSize: row["file_size"]?.int, outputFile: row["output_file"]?.string,
            generationTimeMs: row["generation_time_ms"]?.int, errorCode: row["error_code"]?.string,
            errorMessage: row["error_message"]?.string, createdAt: row["created_at"]?.date ?? .distantPast,
            completedAt: row["completed_at"]?.date, expiresAt: row["expires_at"]?.date ?? .distantPast,
            purgedAt: row["purged_at"]?.date, compliance: row["compliance"]?.string)
    }
}
