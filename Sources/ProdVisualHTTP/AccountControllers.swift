import Foundation
import Hummingbird
import ProdVisualDomain
import ProdVisualStore

// The endpoints the console reads besides the document's own: usage per day, the account's
// history, and its API keys (the "API Token Management" page of the EcomViz document).

/// `{"object": "list", "data": [...], "has_more": bool}`: every list the API returns, in
/// Stripe's manner; a page continues with `starting_after` set to the last entry's id.
struct ListResponse<Item: Encodable>: WireResponse {
    let data: [Item]
    let hasMore: Bool

    enum CodingKeys: String, CodingKey { case object, data, hasMore = "has_more" }

    func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode("list", forKey: .object)
        try container.encode(data, forKey: .data)
        try container.encode(hasMore, forKey: .hasMore)
    }
}

/// A generation or a batch, in the shape `GET /v1/generations/{id}` gives it.
struct HistoryItemResponse: Encodable {
    let item: HistoryItem
    let publicURL: String

    func encode(to encoder: any Encoder) throws {
        switch item {
        case .generation(let view): try GenerationResponse(view: view).encode(to: encoder)
        case .batch(let view): try BatchResponse(view: view, publicURL: publicURL).encode(to: encoder)
        }
    }
}

/// Credits used and generations made per UTC day, oldest first, every day of the period.
struct UsageResponse: WireResponse {
    let days: [DailyUsage]

    enum CodingKeys: String, CodingKey {
        case object, days, from, to, creditsUsed = "credits_used", generations, data
    }
    enum DayKeys: String, CodingKey { case date, creditsUsed = "credits_used", generations }

    static func date(_ day: Date) -> String {
        String(wireTimestamp(day).prefix(10))
    }

    func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode("usage", forKey: .object)
        try container.encode(days.count, forKey: .days)
        try container.encode(days.first.map { Self.date($0.day) }, forKey: .from)
        try container.encode(days.last.map { Self.date($0.day) }, forKey: .to)
        try container.encode(days.reduce(0) { $0 + $1.creditsUsed }, forKey: .creditsUsed)
        try container.encode(days.reduce(0) { $0 + $1.generations }, forKey: .generations)
        var list = container.nestedUnkeyedContainer(forKey: .data)
        for day in days {
            var entry = list.nestedContainer(keyedBy: DayKeys.self)
            try entry.encode(Self.date(day.day), forKey: .date)
            try entry.encode(day.creditsUsed, forKey: .creditsUsed)
            try entry.encode(day.generations, forKey: .generations)
        }
    }
}

/// An API key as listed: never its secret (the server does not have it), only its prefix and
/// last four characters. `secret` is set only in the answer that created it.
struct KeyResponse: WireResponse {
    let record: APIKeyRecord
    var secret: String?

    enum CodingKeys: String, CodingKey {
        case object, id, name, mode, prefix, hint, createdAt = "created_at", lastUsedAt = "last_used_at"
        case revokedAt = "revoked_at", secret
    }

    func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode("api_key", forKey: .object)
        try container.encode(record.id, forKey: .id)
        try container.encode(record.name, forKey: .name)
        try container.encode(record.mode.rawValue, forKey: .mode)
        try container.encode(record.mode == .live ? "pv_live_" : "pv_test_", forKey: .prefix)
        try container.encode(record.hint, forKey: .hint)
        try container.encode(wireTimestamp(record.createdAt), forKey: .createdAt)
        try container.encode(record.lastUsedAt.map(wireTimestamp), forKey: .lastUsedAt)
        try container.encode(record.revokedAt.map(wireTimestamp), forKey: .revokedAt)
        try container.encodeIfPresent(secret, forKey: .secret)
    }
}

/// Query parameters that must be whole numbers in a range when present.
enum QueryParameter {
    static func integer(_ request: Request, _ name: String, default value: Int, in range: ClosedRange<Int>) throws -> Int {
        guard let raw = request.uri.queryParameters[Substring(name)] else { return value }
        guard let number = Int(raw), range.contains(number) else {
            throw ServiceError.invalid("\(name) must be a whole number from \(range.lowerBound) to \(range.upperBound); got '\(raw)'.")
        }
        return number
    }
}

extension AccountController {
    /// `GET /v1/account/usage?days=N`
    func usage(_ request: Request, context: APIRequestContext) async throws -> UsageResponse {
        let days = try QueryParameter.integer(request, "days", default: 30, in: 1...AccountService.maxUsageDays)
        return UsageResponse(days: try await accounts.usage(accountID: context.requireKey().accountID, days: days))
    }
}

extension GenerationController {
    /// `GET /v1/generations?limit=&starting_after=`: the account's generations and batches,
    /// newest first.
    func list(_ request: Request, context: APIRequestContext) async throws -> ListResponse<HistoryItemResponse> {
        let limit = try QueryParameter.integer(request, "limit", default: 20, in: 1...GenerationService.maxHistoryPage)
        let after = request.uri.queryParameters["starting_after"].map(String.init)
        if let after, after.isEmpty { throw ServiceError.invalid("starting_after must be the id of the last entry of the previous page.") }
        let page = try await generations.history(for: context.requireKey(), limit: limit, startingAfter: after)
        return ListResponse(data: page.items.map { HistoryItemResponse(item: $0, publicURL: publicURL) }, hasMore: page.hasMore)
    }
}

/// `GET/POST /v1/keys`, `DELETE /v1/keys/{id}`: live keys only (a test key gets 403).
struct KeysController {
    let accounts: AccountService

    struct CreateBody: Decodable {
        let name: String?
        let mode: String?
    }

    func list(_ request: Request, context: APIRequestContext) async throws -> ListResponse<KeyResponse> {
        let keys = try await accounts.keys(for: context.requireKey())
        // Newest first, like every list.
        return ListResponse(data: keys.reversed().map { KeyResponse(record: $0) }, hasMore: false)
    }

    func create(_ request: Request, context: APIRequestContext) async throws -> Response {
        let caller = try context.requireKey()
        let buffer = try await request.body.collect(upTo: 16 * 1024)
        var body = CreateBody(name: nil, mode: nil)
        if buffer.readableBytes > 0 {
            try JSONBody.check(buffer, contentType: request.headers[.contentType]?.lowercased() ?? "", expecting: #"{"name": "...", "mode": "live"}"#)
            do {
                body = try JSONDecoder().decode(CreateBody.self, from: Data(buffer.readableBytesView))
            } catch {
                throw ServiceError.invalid(#"The body must be a JSON object: {"name": string, "mode": "live" or "test"}, both optional."#)
            }
        }
        guard let mode = KeyMode(rawValue: body.mode ?? "live") else {
            throw ServiceError.invalid("mode must be 'live' or 'test'; got '\(body.mode ?? "")'.")
        }
        let issued = try await accounts.createKey(name: body.name, mode: mode, by: caller)
        var response = try KeyResponse(record: issued.record, secret: issued.secret).response(status: .created)
        // The secret is in this answer only: nothing on the way may keep a copy.
        response.headers[.cacheControl] = "no-store"
        return response
    }

    func revoke(_ request: Request, context: APIRequestContext) async throws -> KeyResponse {
        let id = try context.parameters.require("id")
        return KeyResponse(record: try await accounts.revokeKey(id: id, by: context.requireKey()))
    }
}
