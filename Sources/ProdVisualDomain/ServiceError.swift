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
    /// The HTTP status: the kind's own, unless a documented code is answered with another
    /// status (see `forbidden`).
    public let statusCode: Int

    public init(_ kind: Kind, _ message: String, status: Int? = nil) {
        self.kind = kind
        self.message = message
        statusCode = status ?? kind.status
    }

    /// 403: a valid key that may not do this (a test key managing keys). The API document lists
    /// no code for 403, so the code is the nearest it has, `unauthorized`: clients that handle
    /// key problems by that code keep working, and the status tells the two apart.
    public static func forbidden(_ message: String) -> ServiceError { .init(.unauthorized, message, status: 403) }

    public static func invalid(_ message: String) -> ServiceError { .init(.invalidRequest, message) }
    public static func notFound(_ message: String) -> ServiceError { .init(.notFound, message) }
}
