import Foundation
import Logging
import PostgresNIO

/// The PostgreSQL schema as numbered migrations. It mirrors the SQLite schema column for column
/// (times are milliseconds since 1970 in both), so that one row mapping serves both stores.
/// Each migration is a list of statements, applied in one transaction; `schema_migrations`
/// records which have run.
enum PostgresSchema {
    static let migrations: [[String]] = [
        [
            """
            CREATE TABLE accounts (
                id TEXT PRIMARY KEY,
                name TEXT NOT NULL,
                created_at BIGINT NOT NULL
            )
            """,
            """
            CREATE TABLE api_keys (
                id TEXT PRIMARY KEY,
                account_id TEXT NOT NULL REFERENCES accounts(id),
                mode TEXT NOT NULL CHECK (mode IN ('live', 'test')),
                secret_hash TEXT NOT NULL UNIQUE,
                hint TEXT NOT NULL,
                name TEXT NOT NULL,
                created_at BIGINT NOT NULL,
                revoked_at BIGINT,
                sealed_secret TEXT
            )
            """,
            "CREATE INDEX api_keys_account ON api_keys(account_id)",
            """
            CREATE TABLE credit_ledger (
                id BIGSERIAL PRIMARY KEY,
                account_id TEXT NOT NULL REFERENCES accounts(id),
                delta BIGINT NOT NULL,
                reason TEXT NOT NULL CHECK (reason IN ('purchase', 'generation', 'refund')),
                generation_id TEXT,
                created_at BIGINT NOT NULL
            )
            """,
            "CREATE INDEX credit_ledger_account ON credit_ledger(account_id, created_at)",
            // A generation is debited at most once and refunded at most once.
            """
            CREATE UNIQUE INDEX credit_ledger_generation ON credit_ledger(generation_id, reason)
                WHERE generation_id IS NOT NULL
            """,
            """
            CREATE FUNCTION credit_ledger_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN RAISE EXCEPTION 'credit_ledger is append-only'; END $$
            """,
            """
            CREATE TRIGGER credit_ledger_append_only BEFORE UPDATE OR DELETE ON credit_ledger
                FOR EACH ROW EXECUTE FUNCTION credit_ledger_append_only()
            """,
            """
            CREATE TABLE batches (
                id TEXT PRIMARY KEY,
                account_id TEXT NOT NULL REFERENCES accounts(id),
                key_id TEXT NOT NULL REFERENCES api_keys(id),
                status TEXT NOT NULL CHECK (status IN ('processing', 'completed', 'failed')),
                total_items BIGINT NOT NULL,
                webhook_url TEXT,
                created_at BIGINT NOT NULL,
                completed_at BIGINT,
                product_id TEXT,
                webhook_token TEXT,
                kind TEXT NOT NULL DEFAULT 'batch' CHECK (kind IN ('batch', 'product', 'vto')),
                details TEXT
            )
            """,
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
                created_at BIGINT NOT NULL,
                updated_at BIGINT NOT NULL
            )
            """,
            "CREATE INDEX products_account ON products(account_id, created_at)",
            "ALTER TABLE batches ADD FOREIGN KEY (product_id) REFERENCES products(id)",
            """
            CREATE TABLE generations (
                id TEXT PRIMARY KEY,
                account_id TEXT NOT NULL REFERENCES accounts(id),
                key_id TEXT NOT NULL REFERENCES api_keys(id),
                mode TEXT NOT NULL,
                status TEXT NOT NULL CHECK (status IN ('pending', 'processing', 'completed', 'failed')),
                style TEXT NOT NULL,
                platform TEXT NOT NULL,
                format TEXT NOT NULL,
                width BIGINT NOT NULL,
                height BIGINT NOT NULL,
                parameters TEXT NOT NULL,
                credits_used BIGINT NOT NULL,
                file_size BIGINT,
                output_file TEXT,
                generation_time_ms BIGINT,
                error_code TEXT,
                error_message TEXT,
                created_at BIGINT NOT NULL,
                completed_at BIGINT,
                expires_at BIGINT NOT NULL,
                purged_at BIGINT,
                compliance TEXT,
                lease_owner TEXT,
                lease_expires_at BIGINT,
                attempts BIGINT NOT NULL DEFAULT 0,
                batch_id TEXT REFERENCES batches(id),
                batch_index BIGINT,
                webhook_url TEXT,
                product_id TEXT REFERENCES products(id),
                cutout_confidence DOUBLE PRECISION
            )
            """,
            "CREATE INDEX generations_expiry ON generations(expires_at) WHERE purged_at IS NULL",
            "CREATE INDEX generations_queue ON generations(created_at, id) WHERE status IN ('pending', 'processing')",
            "CREATE INDEX generations_batch ON generations(batch_id, batch_index) WHERE batch_id IS NOT NULL",
            "CREATE INDEX generations_product ON generations(product_id, created_at) WHERE product_id IS NOT NULL",
            """
            CREATE TABLE idempotency_keys (
                account_id TEXT NOT NULL REFERENCES accounts(id),
                key TEXT NOT NULL,
                request_hash TEXT NOT NULL,
                status_code BIGINT,
                response TEXT,
                created_at BIGINT NOT NULL,
                PRIMARY KEY (account_id, key)
            )
            """,
            """
            CREATE TABLE job_requests (
                generation_id TEXT PRIMARY KEY REFERENCES generations(id),
                request TEXT NOT NULL
            )
            """,
            """
            CREATE TABLE webhook_deliveries (
                id TEXT PRIMARY KEY,
                account_id TEXT NOT NULL REFERENCES accounts(id),
                key_id TEXT NOT NULL REFERENCES api_keys(id),
                url TEXT NOT NULL,
                event TEXT NOT NULL,
                subject_id TEXT NOT NULL,
                payload TEXT,
                status TEXT NOT NULL CHECK (status IN ('pending', 'delivered', 'failed')),
                next_attempt_at BIGINT,
                lease_owner TEXT,
                lease_expires_at BIGINT,
                created_at BIGINT NOT NULL
            )
            """,
            // One event of each kind per generation or batch, however often it is finished.
            "CREATE UNIQUE INDEX webhook_deliveries_once ON webhook_deliveries(subject_id, event)",
            "CREATE INDEX webhook_deliveries_due ON webhook_deliveries(next_attempt_at) WHERE status = 'pending'",
            """
            CREATE TABLE webhook_attempts (
                delivery_id TEXT NOT NULL REFERENCES webhook_deliveries(id),
                number BIGINT NOT NULL,
                attempted_at BIGINT NOT NULL,
                status_code BIGINT,
                error TEXT,
                duration_ms BIGINT NOT NULL,
                PRIMARY KEY (delivery_id, number)
            )
            """,
            """
            CREATE TABLE account_settings (
                account_id TEXT PRIMARY KEY REFERENCES accounts(id),
                default_person TEXT,
                updated_at BIGINT NOT NULL
            )
            """,
            // Rate-limit windows shared by every API node: `key` is the API key and the window's
            // kind, `window_start` Unix seconds.
            """
            CREATE TABLE rate_windows (
                key TEXT NOT NULL,
                window_start BIGINT NOT NULL,
                count BIGINT NOT NULL,
                PRIMARY KEY (key, window_start)
            )
            """,
        ],
        // The console: keys' last use, and an account's history and daily usage read newest first.
        [
            "ALTER TABLE api_keys ADD COLUMN last_used_at BIGINT",
            "CREATE INDEX generations_account ON generations(account_id, created_at)",
            "CREATE INDEX batches_account ON batches(account_id, created_at)",
        ],
    ]

    /// Any fixed number: the advisory lock that lets one starting node migrate while the others wait.
    static let migrationLock: Int64 = 0x5072_6F64_5669_7331

    /// Applies the migrations not yet recorded, all in one transaction under the advisory lock, so
    /// nodes starting together neither race nor see half a schema.
    static func migrate(_ client: PostgresClient, logger: Logger) async throws {
        try await client.withTransaction(logger: logger) { connection in
            let session = PostgresSession(connection: connection, logger: logger)
            try await session.query("SELECT pg_advisory_xact_lock(?)", [.integer(migrationLock)])
            try await session.query(
                "CREATE TABLE IF NOT EXISTS schema_migrations (version BIGINT PRIMARY KEY, applied_at BIGINT NOT NULL)")
            let applied = try await session.query("SELECT COALESCE(MAX(version), 0) AS version FROM schema_migrations")
                .first?["version"]?.int ?? 0
            guard applied <= migrations.count else {
                throw StoreError.database(
                    "the database's schema is version \(applied), newer than this build's \(migrations.count): upgrade this node")
            }
            for (index, statements) in migrations.enumerated() where index >= applied {
                for statement in statements { try await session.query(statement) }
                try await session.query(
                    "INSERT INTO schema_migrations (version, applied_at) VALUES (?, ?)",
                    [SQLValue(index + 1), SQLValue(Date())])
            }
        }
    }
}
