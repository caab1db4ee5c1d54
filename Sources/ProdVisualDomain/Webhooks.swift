import Crypto
import Foundation

/// How a webhook delivery proves where it came from and when, as the API document specifies:
/// `X-ProdVisual-Signature` is the hex HMAC-SHA256 of the raw body keyed by the API key. An
/// event id lets receivers drop duplicates, and a timestamp lets them refuse replays.
public struct WebhookSignature: Sendable, Equatable {
    public static let signatureHeader = "X-ProdVisual-Signature"
    public static let eventHeader = "X-ProdVisual-Event-Id"
    public static let timestampHeader = "X-ProdVisual-Timestamp"

    public let signature: String
    public let eventID: String
    /// Unix seconds at which the delivery was signed.
    public let timestamp: Int

    public init(body: [UInt8], apiKey: String, eventID: String, at date: Date) {
        signature = Self.hmac(body, key: apiKey)
        self.eventID = eventID
        timestamp = Int(date.timeIntervalSince1970)
    }

    public var headers: [(name: String, value: String)] {
        [(Self.signatureHeader, signature), (Self.eventHeader, eventID), (Self.timestampHeader, String(timestamp))]
    }

    /// What a receiver does: recompute the HMAC (compared in constant time) and check the age.
    public static func verify(body: [UInt8], apiKey: String, signature: String, timestamp: Int, now: Date,
                              tolerance: TimeInterval = 300) -> Bool {
        guard abs(now.timeIntervalSince1970 - Double(timestamp)) <= tolerance,
              let given = Data(hexString: signature)
        else { return false }
        return HMAC<SHA256>.isValidAuthenticationCode(given, authenticating: Data(body), using: SymmetricKey(data: Data(apiKey.utf8)))
    }

    static func hmac(_ body: [UInt8], key: String) -> String {
        HMAC<SHA256>.authenticationCode(for: Data(body), using: SymmetricKey(data: Data(key.utf8))).hexString
    }
}

/// When to try a failed webhook delivery again: exponential backoff from 30 seconds, capped at
/// an hour, with full jitter (so receivers coming back up are not hit by every sender at once),
/// for about a day.
public struct WebhookRetryPolicy: Sendable {
    public var first: TimeInterval = 30
    public var cap: TimeInterval = 3600
    /// Deliveries stop once this long has passed since the first attempt.
    public var giveUpAfter: TimeInterval = 86_400

    public init() {}

    /// The wait before attempt `attempt + 1`, given `attempt` failures so far (1 or more) and a
    /// uniform random value in [0, 1).
    public func delay(afterFailures attempt: Int, random: Double) -> TimeInterval {
        let ceiling = min(cap, first * pow(2, Double(max(0, attempt - 1))))
        // Half fixed, half jittered: never a retry storm, never an immediate hammering.
        return ceiling / 2 + ceiling / 2 * min(max(random, 0), 1)
    }

    /// Whether another attempt is due, given when the first one was made.
    public func shouldRetry(firstAttempt: Date, next: Date) -> Bool {
        next.timeIntervalSince(firstAttempt) <= giveUpAfter
    }
}

extension Data {
    init?(hexString: String) {
        guard hexString.count % 2 == 0 else { return nil }
        var bytes = [UInt8]()
        bytes.reserveCapacity(hexString.count / 2)
        var index = hexString.startIndex
        while index < hexString.endIndex {
            let next = hexString.index(index, offsetBy: 2)
            guard let byte = UInt8(hexString[index..<next], radix: 16) else { return nil }
            bytes.append(byte)
            index = next
        }
        self.init(bytes)
    }
}
