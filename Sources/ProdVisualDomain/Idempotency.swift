import Foundation
import ProdVisualStore

/// `Idempotency-Key` on POSTs, as Stripe does it: the first request with a key runs and its
/// response is recorded; a repeat within 24 hours gets that response again and is charged
/// nothing. A key reused for a different request, or while its first request still runs, is
/// refused. Failures worth retrying (402, 5xx) are not recorded, so the key can be retried.
public struct IdempotencyService: Sendable {
    public static let header = "Idempotency-Key"
    public static let window: TimeInterval = 86_400
    static let maxKeyLength = 255

    public enum Start: Sendable, Equatable {
        case proceed
        case replay(statusCode: Int, body: String)
    }

    let store: any Store
    let clock: @Sendable () -> Date

    public init(store: any Store, clock: @escaping @Sendable () -> Date = Date.init) {
        self.store = store
        self.clock = clock
    }

    /// `fingerprint` identifies the request (method, path and body) the key was first used for.
    public func begin(accountID: String, key: String, fingerprint: [UInt8]) async throws -> Start {
        guard !key.isEmpty, key.count <= Self.maxKeyLength, key.allSatisfy({ $0.isASCII && !$0.isNewline }) else {
            throw ServiceError.invalid("The \(Self.header) header must be 1 to \(Self.maxKeyLength) printable ASCII characters, e.g. a UUID.")
        }
        let hash = Identifiers.sha256Hex(fingerprint)
        switch try await store.beginIdempotent(accountID: accountID, key: key, requestHash: hash, at: clock(), window: Self.window) {
        case .first:
            return .proceed
        case .replay(let statusCode, let response):
            return .replay(statusCode: statusCode, body: response)
        case .inFlight:
            throw ServiceError(.conflict, "A request with this \(Self.header) is still being processed; retry once it has finished.")
        case .mismatch:
            throw ServiceError.invalid("This \(Self.header) was already used for a different request in the last 24 hours; use a new key for a new request.")
        }
    }

    /// Records the response repeats will get, or frees the key when the outcome is worth a retry.
    public func finish(accountID: String, key: String, statusCode: Int, body: String) async throws {
        if Self.isFinal(statusCode) {
            try await store.finishIdempotent(accountID: accountID, key: key, statusCode: statusCode, response: body)
        } else {
            try await store.abandonIdempotent(accountID: accountID, key: key)
        }
    }

    /// Success and the client's own mistakes are final; a missing balance or our failure is not.
    static func isFinal(_ statusCode: Int) -> Bool {
        (200..<300).contains(statusCode) || [400, 404, 413, 422].contains(statusCode)
    }
}
