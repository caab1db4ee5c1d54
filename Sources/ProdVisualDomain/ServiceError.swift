/// A failure the caller can act on. Each kind is one of the API's documented error codes;
/// the message says what to fix (which parameter, which limit).
public struct ServiceError: Error, Sendable, Equatable {
    public enum Kind: String, Sendable {
        case invalidRequest = "invalid_request"
        case unauthorized
        case insufficientCredits = "insufficient_credits"
        case notFound = "not_found"
        case fileTooLarge = "file_too_large"
        case invalidImage = "invalid_image"
        /// An Idempotency-Key whose first request is still running.
        case conflict
        case rateLimited = "rate_limited"
        case serverError = "server_error"
        /// A path the API has, with a method it does not take there (the `Allow` header lists them).
        case methodNotAllowed = "method_not_allowed"

        public var status: Int {
            switch self {
            case .invalidRequest: 400
            case .unauthorized: 401
            case .insufficientCredits: 402
            case .notFound: 404
            case .fileTooLarge: 413
            case .invalidImage: 422
            case .conflict: 409
            case .rateLimited: 429
            case .serverError: 500
            case .methodNotAllowed: 405
            }
        }
    }

    public let kind: Kind
    public let message: String

    public init(_ kind: Kind, _ message: String) {
        self.kind = kind
        self.message = message
    }

    public static func invalid(_ message: String) -> ServiceError { .init(.invalidRequest, message) }
    public static func notFound(_ message: String) -> ServiceError { .init(.notFound, message) }
}
