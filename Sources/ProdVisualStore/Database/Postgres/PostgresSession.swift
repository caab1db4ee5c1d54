import Foundation
import Logging
import PostgresNIO

/// One leased connection, inside a transaction or not, speaking the same rows and values as
/// the SQLite store: `?` placeholders in order, `SQLValue` bindings, rows keyed by column name.
struct PostgresSession {
    let connection: PostgresConnection
    let logger: Logger

    @discardableResult
    func query(_ sql: String, _ bindings: [SQLValue] = []) async throws -> [SQLRow] {
        var binds = PostgresBindings(capacity: bindings.count)
        for value in bindings {
            switch value {
            case .null: binds.appendNull()
            case .integer(let v): binds.append(v)
            case .real(let v): binds.append(v)
            case .text(let v): binds.append(v)
            }
        }
        let statement = PostgresQuery(unsafeSQL: Self.numberPlaceholders(sql), binds: binds)
        do {
            var rows: [SQLRow] = []
            for try await row in try await connection.query(statement, logger: logger) {
                rows.append(try Self.values(of: row))
            }
            return rows
        } catch let error as PSQLError {
            throw Self.storeError(error, sql: sql)
        }
    }

    /// `?` becomes `$1`, `$2`, …; the statements here never hold a literal question mark.
    static func numberPlaceholders(_ sql: String) -> String {
        var result = ""
        result.reserveCapacity(sql.utf8.count + 16)
        var number = 0
        for character in sql {
            if character == "?" {
                number += 1
                result += "$\(number)"
            } else {
                result.append(character)
            }
        }
        return result
    }

    private static func values(of row: PostgresRow) throws -> SQLRow {
        var values: SQLRow = [:]
        for cell in row {
            guard cell.bytes != nil else {
                values[cell.columnName] = .null
                continue
            }
            switch cell.dataType {
            case .int2, .int4, .int8: values[cell.columnName] = .integer(try cell.decode(Int64.self))
            case .float4, .float8: values[cell.columnName] = .real(try cell.decode(Double.self))
            case .bool: values[cell.columnName] = .integer(try cell.decode(Bool.self) ? 1 : 0)
            default: values[cell.columnName] = .text(try cell.decode(String.self))
            }
        }
        return values
    }

    /// A constraint the data broke is a conflict, as in SQLite; anything else a database error.
    static func storeError(_ error: PSQLError, sql: String) -> StoreError {
        let state = error.serverInfo?[.sqlState] ?? ""
        let message = error.serverInfo?[.message] ?? "\(error.code)"
        if state.hasPrefix("23") { return .conflict(message) }
        return .database("\(message) (\(state.isEmpty ? "\(error.code)" : state)) in: \(sql.prefix(80))")
    }
}
