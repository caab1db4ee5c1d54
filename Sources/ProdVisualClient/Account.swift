import Foundation
import NIOHTTP1

// The account: usage per day (GET /v1/account/usage), its generations and batches a page at a
// time (GET /v1/generations), and its API keys (/v1/keys, live keys only).

/// `GET /v1/account/usage`: every UTC day of the period, oldest first, and the totals.
public struct Usage: Decodable, Sendable, Hashable {
    public struct Day: Decodable, Sendable, Hashable {
        /// `2026-05-01`
        public let date: String
        /// Credits debited that day less credits refunded that day.
        public let creditsUsed: Int
        /// Generations created that day, live and test.
        public let generations: Int

        enum CodingKeys: String, CodingKey { case date, creditsUsed = "credits_used", generations }
    }

    public let days: Int
    public let from: String
    public let to: String
    public let creditsUsed: Int
    public let generations: Int
    public let data: [Day]

    enum CodingKeys: String, CodingKey { case days, from, to, creditsUsed = "credits_used", generations, data }
}

/// A page of `GET /v1/generations`: generations and batches, newest first.
public struct GenerationPage: Sendable, Hashable {
    public let data: [GenerationLookup]
    /// Older entries follow: ask again with `startingAfter: lastID`.
    public let hasMore: Bool

    /// The id the next page starts after; nil on an empty page.
    public var lastID: String? { data.last?.id }
}

extension GenerationLookup {
    /// The generation's id, or the batch's `batch_id`.
    public var id: String {
        switch self {
        case .generation(let generation): generation.id
        case .batch(let batch): batch.batchID
        }
    }
}

/// One of the account's API keys. `secret` is set only on the answer of `createKey`.
public struct APIKey: Decodable, Sendable, Hashable {
    public let id: String
    public let name: String
    /// `live` or `test`.
    public let mode: String
    /// `pv_live_` or `pv_test_`.
    public let prefix: String
    /// The key's last four characters.
    public let hint: String
    public let createdAt: String
    public let lastUsedAt: String?
    public let revokedAt: String?
    public let secret: String?

    public var isRevoked: Bool { revokedAt != nil }

    enum CodingKeys: String, CodingKey {
        case id, name, mode, prefix, hint, createdAt = "created_at", lastUsedAt = "last_used_at", revokedAt = "revoked_at", secret
    }
}

extension ProdVisualError {
    /// 403: a valid key that may not do this (a test key managing API keys). Its code is
    /// `.unauthorized`, as the API sends it; the status tells it apart from a bad key's 401.
    public var isPermissionDenied: Bool { code == .unauthorized && status == 403 }
}

extension ProdVisualClient {
    /// `GET /v1/account/usage`: credits used (net of refunds) and generations per UTC day for the
    /// last `days` days (1–90), today included.
    public func usage(days: Int = 30) async throws -> Usage {
        try Self.decode(Usage.self, try await send(.GET, "/v1/account/usage?days=\(days)"))
    }

    /// `GET /v1/generations`: one page of the account's generations and batches, newest first
    /// (`limit` 1–100, the server's default 20). `generations(pageSize:)` walks every page.
    public func listGenerations(limit: Int? = nil, startingAfter: String? = nil) async throws -> GenerationPage {
        var components = URLComponents()
        components.queryItems = [
            limit.map { URLQueryItem(name: "limit", value: String($0)) },
            startingAfter.map { URLQueryItem(name: "starting_after", value: $0) },
        ].compactMap { $0 }
        let query = components.queryItems?.isEmpty == false ? "?" + (components.percentEncodedQuery ?? "") : ""
        let response = try await send(.GET, "/v1/generations" + query)
        struct Page: Decodable {
            let data: [JSONValue]
            let has_more: Bool
        }
        let page = try Self.decode(Page.self, response)
        var entries: [GenerationLookup] = []
        for entry in page.data {
            let bytes = try JSONEncoder().encode(entry)
            let one = Response(status: response.status, headers: response.headers, body: bytes)
            if entry["batch_id"]?.stringValue != nil, entry["id"] == nil {
                entries.append(.batch(try Self.decodeBatch(one)))
            } else {
                entries.append(.generation(try Self.decode(Generation.self, one)))
            }
        }
        return GenerationPage(data: entries, hasMore: page.has_more)
    }

    /// Every generation and batch of the account, newest first, fetched `pageSize` at a time.
    public func generations(pageSize: Int = 20, startingAfter: String? = nil) -> AsyncThrowingStream<GenerationLookup, any Error> {
        AsyncThrowingStream { continuation in
            let task = Task {
                do {
                    var cursor = startingAfter
                    while true {
                        let page = try await listGenerations(limit: pageSize, startingAfter: cursor)
                        for entry in page.data { continuation.yield(entry) }
                        guard page.hasMore, let last = page.lastID else { break }
                        cursor = last
                    }
                    continuation.finish()
                } catch {
                    continuation.finish(throwing: error)
                }
            }
            continuation.onTermination = { _ in task.cancel() }
        }
    }

    /// `GET /v1/keys`: the account's keys, revoked ones included, newest first. A test key gets
    /// a `ProdVisualError` whose `isPermissionDenied` is true (403).
    public func listKeys() async throws -> [APIKey] {
        struct List: Decodable { let data: [APIKey] }
        return try Self.decode(List.self, try await send(.GET, "/v1/keys")).data
    }

    /// `POST /v1/keys`: a new key (`mode` "live" or "test"); its `secret` is in this answer only.
    /// The server does not make it idempotent: a retry after a lost answer may create a second key.
    public func createKey(name: String? = nil, mode: String = "live") async throws -> APIKey {
        struct Body: Encodable {
            let name: String?
            let mode: String
        }
        return try Self.decode(APIKey.self, try await send(.POST, "/v1/keys", body: try Self.encode(Body(name: name, mode: mode))))
    }

    /// `DELETE /v1/keys/{id}`: revokes one of the account's keys and returns it.
    public func revokeKey(_ id: String) async throws -> APIKey {
        try Self.decode(APIKey.self, try await send(.DELETE, "/v1/keys/" + Self.pathComponent(id)))
    }
}
