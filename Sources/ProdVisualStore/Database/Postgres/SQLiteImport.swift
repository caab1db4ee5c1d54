import Foundation

extension PostgresStore {
    /// The tables in an order that satisfies their foreign keys.
    static let importOrder = [
        "accounts", "api_keys", "credit_ledger", "products", "batches", "generations", "idempotency_keys", "job_requests",
        "webhook_deliveries", "webhook_attempts", "account_settings",
    ]

    /// Copies every record of a SQLite database (a single node's `prodvisual.sqlite`) into this
    /// empty database, in one transaction: all of it or none. The schemas match column for
    /// column, so rows go across as they are. Returns the number of rows copied per table.
    public func importSQLite(path: String) async throws -> [(table: String, rows: Int)] {
        let source = try SQLiteConnection(path: path)
        // The file must be at the current schema: opening it as a store migrates it.
        _ = try SQLiteStore(path: path)
        return try await transaction { session in
            try await session.query("LOCK TABLE accounts IN EXCLUSIVE MODE")
            guard try await session.query("SELECT id FROM accounts LIMIT 1").isEmpty else {
                throw StoreError.conflict("the database already has accounts: import into an empty database only")
            }
            var copied: [(table: String, rows: Int)] = []
            for table in Self.importOrder {
                let rows = try source.query("SELECT * FROM \(table)")
                for row in rows {
                    let columns = row.keys.sorted()
                    try await session.query(
                        "INSERT INTO \(table) (\(columns.joined(separator: ", "))) VALUES (\(columns.map { _ in "?" }.joined(separator: ", ")))",
                        columns.map { row[$0] ?? .null })
                }
                copied.append((table, rows.count))
            }
            // Ledger ids were copied as they were: new entries continue after the highest.
            try await session.query(
                "SELECT setval(pg_get_serial_sequence('credit_ledger', 'id'), COALESCE((SELECT MAX(id) FROM credit_ledger), 0) + 1, false)")
            return copied
        }
    }
}
