import Foundation
import ProdVisualStore

/// A key that has been checked against the store: who is calling, and in which mode.
public struct AuthenticatedKey: Sendable, Equatable {
    public let keyID: String
    public let accountID: String
    public let mode: KeyMode
}

/// A newly issued key. The secret exists only here: the store keeps its hash.
public struct IssuedKey: Sendable {
    public let record: APIKeyRecord
    public let secret: String
}

/// Accounts, API keys and the credit balance.
public struct AccountService: Sendable {
    let store: any Store
    let sealer: KeySealer
    let clock: @Sendable () -> Date

    public init(store: any Store, sealer: KeySealer, clock: @escaping @Sendable () -> Date = Date.init) {
        self.store = store
        self.sealer = sealer
        self.clock = clock
    }

    static func prefix(for mode: KeyMode) -> String { mode == .live ? "pv_live_" : "pv_test_" }

    /// Creates an account with an opening balance and returns it.
    public func createAccount(name: String, credits: Int) async throws -> AccountRecord {
        guard credits >= 0 else { throw ServiceError.invalid("credits must be zero or more; got \(credits).") }
        let account = AccountRecord(id: Identifiers.account(), name: name, createdAt: clock())
        try await store.createAccount(account, initialCredits: credits)
        return account
    }

    /// Issues a key for an existing account.
    public func issueKey(accountID: String, mode: KeyMode, name: String) async throws -> IssuedKey {
        guard try await store.account(id: accountID) != nil else {
            throw ServiceError.notFound("No account \(accountID).")
        }
        // 32 base62 characters: about 190 bits, so a plain SHA-256 is a safe look-up hash.
        let secret = Self.prefix(for: mode) + Identifiers.randomBase62(32)
        let record = APIKeyRecord(
            id: Identifiers.key(), accountID: accountID, mode: mode, secretHash: Identifiers.sha256Hex(secret),
            hint: String(secret.suffix(4)), name: name, createdAt: clock(), sealedSecret: try sealer.seal(secret))
        try await store.insertKey(record)
        return IssuedKey(record: record, secret: secret)
    }

    /// The very first start on an empty store: one account, a live and a test key.
    /// Returns nil when accounts already exist.
    public func bootstrapIfEmpty(credits: Int) async throws -> (account: AccountRecord, live: IssuedKey, test: IssuedKey)? {
        let account = AccountRecord(id: Identifiers.account(), name: "default", createdAt: clock())
        guard try await store.createFirstAccount(account, initialCredits: credits) else { return nil }
        let live = try await issueKey(accountID: account.id, mode: .live, name: "default live key")
        let test = try await issueKey(accountID: account.id, mode: .test, name: "default test key")
        return (account, live, test)
    }

    /// Resolves a bearer token to its key; any problem is `unauthorized` with the reason.
    public func authenticate(bearer token: String?) async throws -> AuthenticatedKey {
        guard let token, !token.isEmpty else {
            throw ServiceError(.unauthorized, "Missing API key. Send it as 'Authorization: Bearer pv_live_...' or 'Bearer pv_test_...'.")
        }
        guard token.hasPrefix("pv_live_") || token.hasPrefix("pv_test_") else {
            throw ServiceError(.unauthorized, "Malformed API key: keys start with pv_live_ or pv_test_.")
        }
        guard let key = try await store.key(secretHash: Identifiers.sha256Hex(token)) else {
            throw ServiceError(.unauthorized, "Invalid API key.")
        }
        guard key.revokedAt == nil else {
            throw ServiceError(.unauthorized, "This API key was revoked. Create a new one.")
        }
        // Keys issued before secrets were sealed learn theirs at their next use.
        if key.sealedSecret == nil {
            try await store.setSealedSecret(keyID: key.id, sealed: try sealer.seal(token))
        }
        // The last use, to within a minute: a write per key per minute, not per request, and
        // bookkeeping that never fails the request it describes.
        let now = clock()
        if key.lastUsedAt.map({ $0 < now.addingTimeInterval(-keyUseResolution) }) ?? true {
            try? await store.recordKeyUse(id: key.id, at: now, unlessUsedSince: now.addingTimeInterval(-keyUseResolution))
        }
        return AuthenticatedKey(keyID: key.id, accountID: key.accountID, mode: key.mode)
    }

    // MARK: Keys managed through the API (the console's "API Token Management")

    /// Only a live key manages keys: a test key is the sandbox, and a sandbox that could mint
    /// live keys would not be one.
    static func requireLive(_ key: AuthenticatedKey) throws {
        guard key.mode == .live else {
            throw ServiceError.forbidden("Test keys cannot manage API keys; use a live key (pv_live_...) of this account.")
        }
    }

    /// The caller's account's keys, revoked ones included, oldest first.
    public func keys(for caller: AuthenticatedKey) async throws -> [APIKeyRecord] {
        try Self.requireLive(caller)
        return try await store.keys(accountID: caller.accountID)
    }

    /// A new key for the caller's account; its secret is in the answer and nowhere else.
    public func createKey(name: String?, mode: KeyMode, by caller: AuthenticatedKey) async throws -> IssuedKey {
        try Self.requireLive(caller)
        // Checked as sent, in code points, as the document's maxLength and pattern count them.
        let sent = name ?? ""
        guard sent.unicodeScalars.count <= 100 else {
            throw ServiceError.invalid("name may be at most 100 characters; got \(sent.unicodeScalars.count).")
        }
        guard !sent.unicodeScalars.contains(where: { $0.properties.generalCategory == .control }) else {
            throw ServiceError.invalid("name must not contain control characters.")
        }
        let name = sent.trimmingCharacters(in: .whitespaces)
        return try await issueKey(accountID: caller.accountID, mode: mode, name: name.isEmpty ? "\(mode.rawValue) key" : name)
    }

    /// Revokes one of the caller's account's keys and returns it. Another account's key is a
    /// 404, as if it did not exist; a key already revoked is returned as it is. A key cannot
    /// revoke itself, so that a console session cannot lock its account out by one click.
    public func revokeKey(id: String, by caller: AuthenticatedKey) async throws -> APIKeyRecord {
        try Self.requireLive(caller)
        guard let key = try await store.key(id: id), key.accountID == caller.accountID else {
            throw ServiceError.notFound("No API key with id '\(id)'.")
        }
        guard key.revokedAt == nil else { return key }
        guard key.id != caller.keyID else {
            throw ServiceError.invalid("A key cannot revoke itself: sign in with another live key of this account to revoke it.")
        }
        _ = try await store.revokeKey(id: id, at: clock())
        return try await store.key(id: id) ?? key
    }

    /// The secret a key's webhooks are signed with; nil if it was never sealed on this server.
    public func signingSecret(keyID: String) async throws -> String? {
        try await store.key(id: keyID)?.sealedSecret.flatMap(sealer.open)
    }

    public func keys(accountID: String?) async throws -> [APIKeyRecord] {
        try await store.keys(accountID: accountID)
    }

    public func revokeKey(id: String) async throws {
        guard try await store.revokeKey(id: id, at: clock()) else {
            throw ServiceError.notFound("No active key \(id).")
        }
    }

    public func addCredits(accountID: String, amount: Int) async throws -> Int {
        guard amount > 0 else { throw ServiceError.invalid("amount must be positive; got \(amount).") }
        do {
            return try await store.addCredits(accountID: accountID, amount: amount, at: clock())
        } catch StoreError.notFound {
            throw ServiceError.notFound("No account \(accountID).")
        }
    }

    public func credits(accountID: String) async throws -> CreditSummary {
        try await store.creditSummary(accountID: accountID, dayStart: Self.startOfDayUTC(clock()))
    }

    public static let maxUsageDays = 90

    /// The last `days` UTC days, today included, oldest first, each with what was used that
    /// day: days without activity are there with zeros.
    public func usage(accountID: String, days: Int) async throws -> [DailyUsage] {
        guard (1...Self.maxUsageDays).contains(days) else {
            throw ServiceError.invalid("days must be between 1 and \(Self.maxUsageDays); got \(days).")
        }
        let today = Self.startOfDayUTC(clock())
        let from = today.addingTimeInterval(-Double(days - 1) * 86_400)
        let active = Dictionary(
            try await store.dailyUsage(accountID: accountID, from: from).map { ($0.day, $0) }, uniquingKeysWith: { first, _ in first })
        return (0..<days).map { offset in
            let day = from.addingTimeInterval(Double(offset) * 86_400)
            return active[day] ?? DailyUsage(day: day, creditsUsed: 0, generations: 0)
        }
    }

    static func startOfDayUTC(_ date: Date) -> Date {
        Date(timeIntervalSince1970: (date.timeIntervalSince1970 / 86_400).rounded(.down) * 86_400)
    }
}
