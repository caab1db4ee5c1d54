import Foundation
import Hummingbird
import ProdVisualDomain
import ProdVisualStore

/// A JSON response with a fixed shape. Optional fields are written as null, never dropped.
protocol WireResponse: ResponseGenerator, Encodable {
    /// Headers the answer carries besides its content type.
    var headers: HTTPFields { get }
}

extension WireResponse {
    var headers: HTTPFields { [:] }

    func response(from request: Request, context: some RequestContext) throws -> Response {
        try response(status: .ok)
    }

    func response(status: HTTPResponse.Status) throws -> Response {
        try response(status: status, body: encoded())
    }

    func response(status: HTTPResponse.Status, body: ByteBuffer) -> Response {
        var fields = headers
        fields[.contentType] = "application/json; charset=utf-8"
        return Response(status: status, headers: fields, body: .init(byteBuffer: body))
    }

    func encoded() throws -> ByteBuffer {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.withoutEscapingSlashes, .sortedKeys]
        return ByteBuffer(bytes: try encoder.encode(self))
    }
}

struct GenerationResponse: WireResponse {
    let view: GenerationView

    /// The cutout's confidence as a header too, as Photoroom does: a client can decide from it
    /// without parsing the body.
    var headers: HTTPFields {
        guard let confidence = view.record.cutoutConfidence else { return [:] }
        return [.cutoutConfidence: String(format: "%.3f", confidence)]
    }

    enum CodingKeys: String, CodingKey {
        case id, status, outputURL = "output_url", style, platform, dimensions, format, fileSize = "file_size"
        case creditsUsed = "credits_used", creditsRemaining = "credits_remaining"
        case generationTimeMs = "generation_time_ms", createdAt = "created_at", expiresAt = "expires_at", error
        case compliance, cutoutConfidence = "cutout_confidence", batchID = "batch_id", webhook
    }

    struct ErrorBody: Encodable {
        let code: String
        let message: String
    }

    func encode(to encoder: any Encoder) throws {
        let record = view.record
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(record.id, forKey: .id)
        try container.encode(record.status.rawValue, forKey: .status)
        try container.encode(view.outputURL, forKey: .outputURL)
        try container.encode(record.style, forKey: .style)
        try container.encode(record.platform, forKey: .platform)
        try container.encode("\(record.width)x\(record.height)", forKey: .dimensions)
        try container.encode(record.format, forKey: .format)
        try container.encode(record.fileSize, forKey: .fileSize)
        try container.encode(record.creditsUsed, forKey: .creditsUsed)
        // The balance belongs to the response of the call that spent it, not to later look-ups.
        try container.encodeIfPresent(view.creditsRemaining, forKey: .creditsRemaining)
        try container.encode(record.generationTimeMs, forKey: .generationTimeMs)
        try container.encode(wireTimestamp(record.createdAt), forKey: .createdAt)
        try container.encode(wireTimestamp(record.expiresAt), forKey: .expiresAt)
        // The domain's report already carries the wire's snake_case keys.
        try container.encode(view.compliance, forKey: .compliance)
        try container.encode(record.cutoutConfidence, forKey: .cutoutConfidence)
        if record.status == .failed {
            try container.encode(ErrorBody(code: record.errorCode ?? "server_error", message: record.errorMessage ?? ""), forKey: .error)
        }
        try container.encode(record.batchID, forKey: .batchID)
        try container.encode(record.webhookURL.map { WebhookStatus(url: $0, deliveries: view.deliveries) }, forKey: .webhook)
    }
}

/// Where a webhook goes and every delivery made to it, attempt by attempt.
struct WebhookStatus: Encodable {
    let url: String
    let deliveries: [WebhookDelivery]

    enum CodingKeys: String, CodingKey { case url, deliveries }
    enum DeliveryKeys: String, CodingKey {
        case eventID = "event_id", event, status, attempts, nextAttemptAt = "next_attempt_at"
    }
    enum AttemptKeys: String, CodingKey {
        case number, attemptedAt = "attempted_at", statusCode = "status_code", error, durationMs = "duration_ms"
    }

    func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(url, forKey: .url)
        var list = container.nestedUnkeyedContainer(forKey: .deliveries)
        for delivery in deliveries {
            var item = list.nestedContainer(keyedBy: DeliveryKeys.self)
            try item.encode(delivery.id, forKey: .eventID)
            try item.encode(delivery.event.rawValue, forKey: .event)
            try item.encode(delivery.status.rawValue, forKey: .status)
            try item.encode(delivery.status == .pending ? delivery.nextAttemptAt.map(wireTimestamp) : nil, forKey: .nextAttemptAt)
            var attempts = item.nestedUnkeyedContainer(forKey: .attempts)
            for attempt in delivery.attempts {
                var entry = attempts.nestedContainer(keyedBy: AttemptKeys.self)
                try entry.encode(attempt.number, forKey: .number)
                try entry.encode(wireTimestamp(attempt.attemptedAt), forKey: .attemptedAt)
                try entry.encode(attempt.statusCode, forKey: .statusCode)
                try entry.encode(attempt.error, forKey: .error)
                try entry.encode(attempt.durationMs, forKey: .durationMs)
            }
        }
    }
}

/// A batch: the document's fields (batch_id, status, total_items, credits_used,
/// credits_remaining, estimated_time_ms, results_url), then progress and every item.
struct BatchResponse: WireResponse {
    let view: BatchView
    let publicURL: String

    enum CodingKeys: String, CodingKey {
        case batchID = "batch_id", status, totalItems = "total_items", creditsUsed = "credits_used"
        case creditsRemaining = "credits_remaining", estimatedTimeMs = "estimated_time_ms", resultsURL = "results_url"
        case completedItems = "completed_items", failedItems = "failed_items", createdAt = "created_at"
        case completedAt = "completed_at", items, webhook
    }

    func encode(to encoder: any Encoder) throws {
        let batch = view.batch
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(batch.id, forKey: .batchID)
        try container.encode(view.status, forKey: .status)
        try container.encode(batch.totalItems, forKey: .totalItems)
        try container.encode(view.creditsUsed, forKey: .creditsUsed)
        try container.encodeIfPresent(view.creditsRemaining, forKey: .creditsRemaining)
        try container.encodeIfPresent(view.estimatedTimeMs, forKey: .estimatedTimeMs)
        try container.encode("\(publicURL)/v1/generations/\(batch.id)", forKey: .resultsURL)
        try container.encode(view.completedItems, forKey: .completedItems)
        try container.encode(view.failedItems, forKey: .failedItems)
        try container.encode(wireTimestamp(batch.createdAt), forKey: .createdAt)
        try container.encode(batch.completedAt.map(wireTimestamp), forKey: .completedAt)
        try container.encode(view.items.map(GenerationResponse.init(view:)), forKey: .items)
        try container.encode(batch.webhookURL.map { WebhookStatus(url: $0, deliveries: view.deliveries) }, forKey: .webhook)
    }
}

struct StylesResponse: WireResponse {
    struct Item: Encodable {
        let id: String
        let name: String
        let description: String
        let parameters: [String]
        /// Fields the style cannot render without (one of them suffices), e.g. `text.headline`.
        let requires: [String]
        /// Named variants accepted by `scene`; absent for styles without scenes.
        let scenes: [String]?
    }
    let styles: [Item]
    let total: Int
}

struct PlatformsResponse: WireResponse {
    struct Item: Encodable {
        let id: String
        let name: String
        let default_dimensions: String
        let product_fill: Double
        let background: String
        let default_format: String
        let formats: [String]
        let max_file_size: Int?
        let min_longest_side: Int?

        enum CodingKeys: String, CodingKey {
            case id, name, default_dimensions, product_fill, background, default_format, formats, max_file_size, min_longest_side
        }

        func encode(to encoder: any Encoder) throws {
            var container = encoder.container(keyedBy: CodingKeys.self)
            try container.encode(id, forKey: .id)
            try container.encode(name, forKey: .name)
            try container.encode(default_dimensions, forKey: .default_dimensions)
            try container.encode(product_fill, forKey: .product_fill)
            try container.encode(background, forKey: .background)
            try container.encode(default_format, forKey: .default_format)
            try container.encode(formats, forKey: .formats)
            try container.encode(max_file_size, forKey: .max_file_size)
            try container.encode(min_longest_side, forKey: .min_longest_side)
        }
    }
    let platforms: [Item]
    let total: Int
}

struct CreditsResponse: WireResponse {
    struct Purchase: Encodable {
        let amount: Int
        let date: String
    }
    let summary: CreditSummary

    enum CodingKeys: String, CodingKey {
        case creditsRemaining = "credits_remaining", creditsUsedTotal = "credits_used_total"
        case creditsUsedToday = "credits_used_today", lastPurchase = "last_purchase"
    }

    func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(summary.balance, forKey: .creditsRemaining)
        try container.encode(summary.usedTotal, forKey: .creditsUsedTotal)
        try container.encode(summary.usedToday, forKey: .creditsUsedToday)
        try container.encode(summary.lastPurchase.map { Purchase(amount: $0.amount, date: wireTimestamp($0.date)) }, forKey: .lastPurchase)
    }
}

struct HealthResponse: WireResponse {
    let status: String
}
