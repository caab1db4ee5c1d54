import Foundation
import Hummingbird
import Logging
import NIOCore
import ProdVisualDomain

/// `{"error":{"code","message","status"}}` — the only shape an error ever takes on /v1.
struct ErrorEnvelope: Codable, Equatable {
    struct Body: Codable, Equatable {
        let code: String
        let message: String
        let status: Int
    }
    let error: Body

    init(_ error: ServiceError) {
        self.error = Body(code: error.kind.rawValue, message: error.message, status: error.statusCode)
    }

    func encoded() throws -> Data {
        try JSONEncoder().encode(self)
    }
}

/// `{"success": false, "error": {"code", "message"}}` — the EcomViz surface's error shape, with
/// the same statuses and codes as /v1.
struct EcomVizErrorEnvelope: Encodable {
    struct Body: Encodable {
        let code: String
        let message: String
    }
    let success = false
    let error: Body

    init(_ error: ServiceError) {
        self.error = Body(code: error.kind.rawValue, message: error.message)
    }
}

extension ServiceError: HTTPResponseError {
    public var status: HTTPResponse.Status { .init(code: statusCode) }

    /// Each surface's own envelope: the EcomViz one under /api/, /v1's everywhere else.
    public func response(from request: Request, context: some RequestContext) throws -> Response {
        let data = request.uri.path.hasPrefix("/api/")
            ? (try? JSONEncoder().encode(EcomVizErrorEnvelope(self))) ?? Data()
            : (try? ErrorEnvelope(self).encoded()) ?? Data()
        return Response(
            status: status,
            headers: [.contentType: "application/json; charset=utf-8"],
            body: .init(byteBuffer: ByteBuffer(bytes: data)))
    }
}

/// Turns every error, ours or the framework's, into the envelope: a client never sees another shape.
struct ErrorEnvelopeMiddleware<Context: RequestContext>: RouterMiddleware {
    let logger: Logger

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        do {
            return try await next(request, context)
        } catch {
            return try Self.serviceError(for: error, request: request, logger: logger).response(from: request, context: context)
        }
    }

    static func serviceError(for error: any Error, request: Request, logger: Logger) -> ServiceError {
        switch error {
        case let error as ServiceError:
            return error
        case let error as HTTPError:
            return translate(error, request: request)
        case is NIOTooManyBytesError:
            return ServiceError(.fileTooLarge, "The request body is too large; images may be at most 10 MB.")
        default:
            logger.error("unhandled error on \(request.method) \(request.uri.path): \(error)")
            return ServiceError(.serverError, "An internal error occurred. Please retry; if it persists, contact support.")
        }
    }

    static func translate(_ error: HTTPError, request: Request) -> ServiceError {
        switch error.status {
        case .notFound:
            return .notFound("No route \(request.method) \(request.uri.path). See GET /v1/openapi.json.")
        case .contentTooLarge:
            return ServiceError(.fileTooLarge, "The request body is too large; images may be at most 10 MB.")
        case .methodNotAllowed:
            return .invalid("\(request.method) is not allowed on \(request.uri.path).")
        case .badRequest, .unsupportedMediaType:
            return .invalid(error.body ?? "The request could not be read.")
        default:
            return ServiceError(.serverError, error.body ?? "An internal error occurred.")
        }
    }
}
