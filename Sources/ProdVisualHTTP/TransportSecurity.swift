import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdCore
import HummingbirdTLS
import NIOCore
import NIOSSL
import ProdVisualDomain

/// Refuses API calls that came over plain HTTP, as the API document promises ("served over HTTPS
/// only"). Behind a TLS-terminating proxy the request arrives over HTTP from the proxy: it counts
/// as HTTPS when the proxy is one the operator trusts and says `X-Forwarded-Proto: https`.
/// `/health` stays reachable over HTTP for load balancers' checks.
struct HTTPSOnlyMiddleware: RouterMiddleware {
    typealias Context = APIRequestContext

    let trustedProxies: Set<String>

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        guard request.uri.path == "/health" || arrivedOverHTTPS(request, context: context) else {
            let host = request.head.authority ?? "this server"
            throw ServiceError.invalid("This API is served over HTTPS only: send the request to https://\(host)\(request.uri.path).")
        }
        return try await next(request, context)
    }

    private func arrivedOverHTTPS(_ request: Request, context: Context) -> Bool {
        guard let proxy = context.remoteAddress?.ipAddress, trustedProxies.contains(proxy),
              let forwarded = request.headers[HTTPField.Name("X-Forwarded-Proto")!]
        else { return false }
        // A chain of proxies appends: the first value is what the client used.
        return forwarded.split(separator: ",").first?.trimmingCharacters(in: .whitespaces).lowercased() == "https"
    }
}

extension ServerConfiguration {
    /// HTTP/1.1 with the idle and slow-header time-out and enveloped parser errors, inside TLS
    /// when certificate and key are given.
    func serverBuilder() throws -> HTTPServerBuilder {
        let http1 = HTTPServerBuilder.http1(configuration: .init(
            additionalChannelHandlers: [ParserErrorEnvelopeHandler()],
            idleTimeout: .nanoseconds(Int64(idleTimeout / .nanoseconds(1)))))
        guard let certificatePath = tlsCertificatePath, let keyPath = tlsKeyPath else { return http1 }
        do {
            let chain = try NIOSSLCertificate.fromPEMFile(certificatePath).map { NIOSSLCertificateSource.certificate($0) }
            let key = try NIOSSLPrivateKey(file: keyPath, format: .pem)
            return try .tls(http1, tlsConfiguration: .makeServerConfiguration(certificateChain: chain, privateKey: .privateKey(key)))
        } catch {
            throw ServiceError(.serverError, "Cannot use the TLS certificate \(certificatePath) and key \(keyPath): \(error)")
        }
    }
}
