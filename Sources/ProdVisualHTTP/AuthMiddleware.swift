import Foundation
import HTTPTypes
import Hummingbird
import Logging
import ProdVisualDomain

extension HTTPField.Name {
    static let rateLimitLimit = Self("X-RateLimit-Limit")!
    static let rateLimitRemaining = Self("X-RateLimit-Remaining")!
    static let rateLimitReset = Self("X-RateLimit-Reset")!
    static let idempotencyKey = Self(IdempotencyService.header)!
    static let idempotentReplayed = Self("Idempotent-Replayed")!
    static let cutoutConfidence = Self("X-Cutout-Confidence")!
}

/// Authenticates the bearer key, counts the request against the key's limits, and puts the
/// rate-limit headers on every response that follows, errors included.
struct AuthMiddleware: RouterMiddleware {
    typealias Context = APIRequestContext

    let accounts: AccountService
    let rateLimiter: RateLimiter
    let clock: @Sendable () -> Date
    let logger: Logger

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let key = try await accounts.authenticate(bearer: Self.bearerToken(request))
        let decision = try await rateLimiter.consume(key: key.keyID, now: clock())
        var response: Response
        if decision.allowed {
            var context = context
            context.key = key
            do {
                response = try await next(request, context)
            } catch {
                response = try ErrorEnvelopeMiddleware<Context>.serviceError(for: error, request: request, logger: logger)
                    .response(from: request, context: context)
            }
        } else {
            let message = "Rate limit exceeded: \(decision.limit) requests per \(decision.window.rawValue) for this key. Retry after \(decision.retryAfter) seconds."
            response = try ServiceError(.rateLimited, message)
                .response(from: request, context: context)
            response.headers[.retryAfter] = String(decision.retryAfter)
        }
        response.headers[.rateLimitLimit] = String(decision.limit)
        response.headers[.rateLimitRemaining] = String(decision.remaining)
        response.headers[.rateLimitReset] = String(decision.reset)
        return response
    }

    static func bearerToken(_ request: Request) -> String? {
        guard let header = request.headers[.authorization] else { return nil }
        let parts = header.split(separator: " ", maxSplits: 1)
        guard parts.count == 2, parts[0].lowercased() == "bearer" else { return nil }
        return parts[1].trimmingCharacters(in: .whitespaces)
    }
}
