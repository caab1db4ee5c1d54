import Foundation

/// Every error the client throws. For an error the API answered, `code`, `message` and `status`
/// are the fields of its `{"error": {"code", "message", "status"}}` envelope.
///
/// Match on `code` the way you would on a class per error:
///
///     do { ... } catch let error as ProdVisualError where error.code == .insufficientCredits { ... }
public struct ProdVisualError: Error, Sendable, Hashable, CustomStringConvertible {
    public struct Code: RawRepresentable, Sendable, Hashable, CustomStringConvertible {
        public let rawValue: String
        public init(rawValue: String) { self.rawValue = rawValue }

        /// 400: a parameter is missing or invalid.
        public static let invalidRequest = Code(rawValue: "invalid_request")
        /// 401: the API key is missing, malformed, unknown or revoked.
        public static let unauthorized = Code(rawValue: "unauthorized")
        /// 402: the balance cannot cover the request; nothing was charged.
        public static let insufficientCredits = Code(rawValue: "insufficient_credits")
        /// 404: no such generation or batch.
        public static let notFound = Code(rawValue: "not_found")
        /// 409: a request with the same Idempotency-Key is still being processed.
        public static let conflict = Code(rawValue: "conflict")
        /// 413: the source image exceeds 10 MB.
        public static let fileTooLarge = Code(rawValue: "file_too_large")
        /// 422: not a JPEG, PNG or WebP image, or too many pixels.
        public static let invalidImage = Code(rawValue: "invalid_image")
        /// 429: too many requests; see `retryAfter`.
        public static let rateLimited = Code(rawValue: "rate_limited")
        /// 500 (or another 5xx).
        public static let serverError = Code(rawValue: "server_error")
        /// The API could not be reached, or did not answer in time, after every retry.
        public static let connectionError = Code(rawValue: "connection_error")
        /// `waitForCompletion` gave up before the job finished.
        public static let timeout = Code(rawValue: "timeout")
        /// The answer was not the JSON expected.
        public static let invalidResponse = Code(rawValue: "invalid_response")
        /// A webhook's signature or timestamp did not verify.
        public static let invalidSignature = Code(rawValue: "invalid_signature")

        public var description: String { rawValue }
    }

    public let code: Code
    public let message: String
    /// The HTTP status, for errors the API answered.
    public let status: Int?
    /// Response headers, lower-case names.
    public let headers: [String: String]
    /// For `.timeout`: the status last read.
    public let lastStatus: GenerationStatus?

    public init(code: Code, message: String, status: Int? = nil, headers: [String: String] = [:], lastStatus: GenerationStatus? = nil) {
        self.code = code
        self.message = message
        self.status = status
        self.headers = headers
        self.lastStatus = lastStatus
    }

    /// Seconds the server asked to wait (`Retry-After`), on 429 and some 5xx.
    public var retryAfter: Double? { Self.parseRetryAfter(headers["retry-after"]) }
    /// `X-RateLimit-Limit`.
    public var rateLimitLimit: Int? { headers["x-ratelimit-limit"].flatMap { Int($0) } }
    /// `X-RateLimit-Remaining`.
    public var rateLimitRemaining: Int? { headers["x-ratelimit-remaining"].flatMap { Int($0) } }
    /// `X-RateLimit-Reset`: unix time the window resets.
    public var rateLimitReset: Int? { headers["x-ratelimit-reset"].flatMap { Int($0) } }

    public var description: String {
        status.map { "\(code) (\($0)): \(message)" } ?? "\(code): \(message)"
    }

    static let codesByStatus: [Int: Code] = [
        400: .invalidRequest, 401: .unauthorized, 402: .insufficientCredits, 404: .notFound, 409: .conflict,
        413: .fileTooLarge, 422: .invalidImage, 429: .rateLimited,
    ]

    /// The error for an answer of status 400 or more: its envelope's code, else by status.
    static func fromResponse(status: Int, headers: [String: String], body: Data) -> ProdVisualError {
        struct Envelope: Decodable {
            struct Body: Decodable {
                let code: String?
                let message: String?
            }
            let error: Body?
        }
        let envelope = try? JSONDecoder().decode(Envelope.self, from: body)
        let code = envelope?.error?.code.flatMap { $0.isEmpty ? nil : Code(rawValue: $0) }
            ?? codesByStatus[status] ?? (status >= 500 ? .serverError : Code(rawValue: "error"))
        let message = envelope?.error?.message.flatMap { $0.isEmpty ? nil : $0 } ?? "HTTP \(status)"
        return ProdVisualError(code: code, message: message, status: status, headers: headers)
    }

    static func parseRetryAfter(_ value: String?) -> Double? {
        guard let value = value?.trimmingCharacters(in: .whitespaces), !value.isEmpty else { return nil }
        if let seconds = Double(value) { return max(0, seconds) }
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "GMT")
        formatter.dateFormat = "EEE, dd MMM yyyy HH:mm:ss zzz"
        guard let date = formatter.date(from: value) else { return nil }
        return max(0, date.timeIntervalSinceNow)
    }
}
