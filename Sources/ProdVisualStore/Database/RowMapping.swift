import Foundation

// Rows as both databases return them, and the records made from them: the two stores share one
// schema shape (text, 64-bit integers, milliseconds since 1970 for times), so one mapping serves both.

/// A value bound to or read from a statement.
enum SQLValue: Sendable, Equatable {
    case null
    case integer(Int64)
    case real(Double)
    case text(String)

    var int: Int? { if case .integer(let v) = self { Int(v) } else { nil } }
    var string: String? { if case .text(let v) = self { v } else { nil } }
    var double: Double? { if case .real(let v) = self { v } else { int.map(Double.init) } }
    var date: Date? { int.map { Date(timeIntervalSince1970: Double($0) / 1000) } }

    init(_ date: Date?) {
        self = date.map { .integer(Int64(($0.timeIntervalSince1970 * 1000).rounded())) } ?? .null
    }
    init(_ int: Int?) { self = int.map { .integer(Int64($0)) } ?? .null }
    init(_ text: String?) { self = text.map { .text($0) } ?? .null }
    init(_ real: Double?) { self = real.map { .real($0) } ?? .null }
}

typealias SQLRow = [String: SQLValue]

/// Records from rows of the tables of the same name.
enum RowMapping {

    static func account(_ row: SQLRow) -> AccountRecord {
        AccountRecord(id: row["id"]?.string ?? "", name: row["name"]?.string ?? "", createdAt: row["created_at"]?.date ?? .distantPast)
    }

    static func key(_ row: SQLRow) -> APIKeyRecord {
        APIKeyRecord(
            id: row["id"]?.string ?? "", accountID: row["account_id"]?.string ?? "",
            mode: KeyMode(rawValue: row["mode"]?.string ?? "") ?? .test, secretHash: row["secret_hash"]?.string ?? "",
            hint: row["hint"]?.string ?? "", name: row["name"]?.string ?? "",
            createdAt: row["created_at"]?.date ?? .distantPast, revokedAt: row["revoked_at"]?.date,
            sealedSecret: row["sealed_secret"]?.string, lastUsedAt: row["last_used_at"]?.date)
    }

    static func generation(_ row: SQLRow) -> GenerationRecord {
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
            purgedAt: row["purged_at"]?.date, compliance: row["compliance"]?.string,
            cutoutConfidence: row["cutout_confidence"]?.double, batchID: row["batch_id"]?.string,
            batchIndex: row["batch_index"]?.int, webhookURL: row["webhook_url"]?.string, attempts: row["attempts"]?.int ?? 0,
            productID: row["product_id"]?.string)
    }

    static func usage(_ row: SQLRow) -> DailyUsage {
        DailyUsage(
            day: Date(timeIntervalSince1970: Double(row["usage_day"]?.int ?? 0) * 86_400),
            creditsUsed: row["credits_used"]?.int ?? 0, generations: row["generations"]?.int ?? 0)
    }

    static func batch(_ row: SQLRow) -> BatchRecord {
        BatchRecord(
            id: row["id"]?.string ?? "", accountID: row["account_id"]?.string ?? "", keyID: row["key_id"]?.string ?? "",
            status: BatchStatus(rawValue: row["status"]?.string ?? "") ?? .processing, totalItems: row["total_items"]?.int ?? 0,
            webhookURL: row["webhook_url"]?.string, createdAt: row["created_at"]?.date ?? .distantPast,
            completedAt: row["completed_at"]?.date, productID: row["product_id"]?.string, webhookToken: row["webhook_token"]?.string,
            kind: BatchKind(rawValue: row["kind"]?.string ?? "") ?? .batch, details: row["details"]?.string)
    }

    static func product(_ row: SQLRow) -> ProductRecord {
        ProductRecord(
            id: row["id"]?.string ?? "", accountID: row["account_id"]?.string ?? "", keyID: row["key_id"]?.string ?? "",
            name: row["name"]?.string ?? "", nameSource: row["name_source"]?.string ?? "",
            analysis: row["analysis"]?.string ?? "{}", colors: row["colors"]?.string ?? "[]",
            sources: row["sources"]?.string ?? "[]", createdAt: row["created_at"]?.date ?? .distantPast,
            updatedAt: row["updated_at"]?.date ?? .distantPast)
    }

    static func attempt(_ row: SQLRow) -> DeliveryAttempt {
        DeliveryAttempt(
            number: row["number"]?.int ?? 0, attemptedAt: row["attempted_at"]?.date ?? .distantPast,
            statusCode: row["status_code"]?.int, error: row["error"]?.string, durationMs: row["duration_ms"]?.int ?? 0)
    }

    static func delivery(_ row: SQLRow, attempts: [DeliveryAttempt]) -> WebhookDelivery {
        WebhookDelivery(
            id: row["id"]?.string ?? "", accountID: row["account_id"]?.string ?? "", keyID: row["key_id"]?.string ?? "",
            url: row["url"]?.string ?? "", event: WebhookEvent(rawValue: row["event"]?.string ?? "") ?? .generationCompleted,
            subjectID: row["subject_id"]?.string ?? "", payload: row["payload"]?.string,
            status: DeliveryStatus(rawValue: row["status"]?.string ?? "") ?? .failed, attempts: attempts,
            nextAttemptAt: row["next_attempt_at"]?.date, createdAt: row["created_at"]?.date ?? .distantPast)
    }
}
