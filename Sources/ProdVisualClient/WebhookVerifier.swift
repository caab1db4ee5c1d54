import Crypto
import Foundation

/// `X-ProdVisual-Signature` is the lowercase hex HMAC-SHA256 of the raw body keyed by the API key
/// that made the request; `X-ProdVisual-Timestamp` the unix time of the delivery attempt.
enum WebhookVerifier {
    static let signatureHeader = "x-prodvisual-signature"
    static let timestampHeader = "x-prodvisual-timestamp"
    static let eventIDHeader = "x-prodvisual-event-id"

    static func signature(of payload: Data, apiKey: String) -> String {
        HMAC<SHA256>.authenticationCode(for: payload, using: SymmetricKey(data: Data(apiKey.utf8)))
            .map { String(format: "%02x", $0) }.joined()
    }

    static func verify(payload: Data, signature: String?, apiKey: String, timestamp: String?, tolerance: TimeInterval?, now: Date) -> Bool {
        guard var given = signature?.trimmingCharacters(in: .whitespaces).lowercased(), !apiKey.isEmpty else { return false }
        if given.hasPrefix("sha256=") { given.removeFirst("sha256=".count) }
        guard let mac = bytes(hex: given), mac.count == SHA256.byteCount else { return false }
        // isValidAuthenticationCode compares in constant time.
        guard HMAC<SHA256>.isValidAuthenticationCode(mac, authenticating: payload, using: SymmetricKey(data: Data(apiKey.utf8))) else {
            return false
        }
        if let timestamp, let tolerance {
            guard let sent = Double(timestamp.trimmingCharacters(in: .whitespaces)) else { return false }
            if abs(now.timeIntervalSince1970 - sent) > tolerance { return false }
        }
        return true
    }

    static func parse(payload: Data, headers: [String: String], apiKey: String, tolerance: TimeInterval?, now: Date) throws -> WebhookEvent {
        var lowered: [String: String] = [:]
        for (name, value) in headers { lowered[name.lowercased()] = value }
        guard let signature = lowered[signatureHeader] else {
            throw ProdVisualError(code: .invalidSignature, message: "The X-ProdVisual-Signature header is missing.")
        }
        let timestamp = lowered[timestampHeader]
        if tolerance != nil, timestamp == nil {
            throw ProdVisualError(code: .invalidSignature, message: "The X-ProdVisual-Timestamp header is missing.")
        }
        guard verify(payload: payload, signature: signature, apiKey: apiKey, timestamp: nil, tolerance: nil, now: now) else {
            throw ProdVisualError(code: .invalidSignature, message: "The signature does not match the body.")
        }
        guard verify(payload: payload, signature: signature, apiKey: apiKey, timestamp: timestamp, tolerance: tolerance, now: now) else {
            throw ProdVisualError(code: .invalidSignature, message: "The X-ProdVisual-Timestamp is more than \(tolerance ?? 0) s from now.")
        }
        guard let document = try? JSONDecoder().decode(JSONValue.self, from: payload), document.objectValue != nil else {
            throw ProdVisualError(code: .invalidSignature, message: "The body is not a JSON object.")
        }
        return WebhookEvent(
            event: document["event"]?.stringValue ?? "", data: document["data"] ?? .null,
            timestamp: document["timestamp"]?.stringValue, eventID: lowered[eventIDHeader], body: payload)
    }

    private static func bytes(hex: String) -> [UInt8]? {
        let digits = Array(hex.utf8)
        guard digits.count % 2 == 0 else { return nil }
        var result: [UInt8] = []
        result.reserveCapacity(digits.count / 2)
        var index = 0
        while index < digits.count {
            guard let high = nibble(digits[index]), let low = nibble(digits[index + 1]) else { return nil }
            result.append(high << 4 | low)
            index += 2
        }
        return result
    }

    private static func nibble(_ digit: UInt8) -> UInt8? {
        switch digit {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): digit - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): digit - UInt8(ascii: "a") + 10
        default: nil
        }
    }
}

extension ProdVisualClient {
    /// The signature the server puts on a body: lowercase hex HMAC-SHA256 keyed by the API key.
    public static func webhookSignature(payload: Data, apiKey: String) -> String {
        WebhookVerifier.signature(of: payload, apiKey: apiKey)
    }
}
