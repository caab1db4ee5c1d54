import Hummingbird
import NIOCore
import ProdVisualDomain

/// The request context of every API route: the authenticated key, once the auth middleware ran.
public struct APIRequestContext: RequestContext {
    public var coreContext: CoreRequestContextStorage
    public var key: AuthenticatedKey?
    /// The peer: a client, or the proxy in front (see `HTTPSOnlyMiddleware`).
    public let remoteAddress: SocketAddress?

    public init(source: ApplicationRequestContextSource) {
        coreContext = .init(source: source)
        remoteAddress = source.channel.remoteAddress
    }

    /// Bodies are read explicitly with their own limits (see `RequestBodyReader`); this is the
    /// outer bound: an inline 10 MB image as base64 in JSON, with room for the other fields.
    public var maxUploadSize: Int { 15 * 1024 * 1024 }

    func requireKey() throws -> AuthenticatedKey {
        guard let key else { throw ServiceError(.unauthorized, "Missing API key.") }
        return key
    }
}
