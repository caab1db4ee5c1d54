import AsyncHTTPClient
import NIOCore
import NIOPosix

/// Limits applied to every outbound fetch of a user-supplied URL.
public struct FetchPolicy: Sendable, Equatable {
    /// Operator flag `--allow-private-sources`: when `true`, loopback, private,
    /// link-local, … addresses may be contacted. Never enable on a multi-tenant host.
    public var allowPrivateAddresses: Bool
    /// Largest body accepted, in bytes.
    public var maxBytes: Int
    /// Most redirects followed; each hop is re-validated.
    public var maxRedirects: Int
    /// Time allowed to establish one TCP (and TLS) connection. Enforced by the
    /// `HTTPClient`, so build it with ``SafeFetcher/makeHTTPClient(policy:eventLoopGroup:)``.
    public var connectTimeout: Duration
    /// Deadline for the whole fetch: DNS, every redirect hop and the full body.
    public var totalTimeout: Duration

    public init(
        allowPrivateAddresses: Bool = false,
        maxBytes: Int = 10 * 1024 * 1024,
        maxRedirects: Int = 3,
        connectTimeout: Duration = .seconds(5),
        totalTimeout: Duration = .seconds(20)
    ) {
        self.allowPrivateAddresses = allowPrivateAddresses
        self.maxBytes = maxBytes
        self.maxRedirects = maxRedirects
        self.connectTimeout = connectTimeout
        self.totalTimeout = totalTimeout
    }

    /// The `HTTPClient` configuration ``SafeFetcher`` relies on:
    /// redirects **not** followed (the fetcher follows and re-validates them itself),
    /// no proxy, no decompression, the policy's connect timeout, a read timeout no
    /// longer than the total deadline, and no silent connection retries.
    public func httpClientConfiguration() -> HTTPClient.Configuration {
        var configuration = HTTPClient.Configuration()
        configuration.redirectConfiguration = .disallow
        configuration.proxy = nil
        configuration.decompression = .disabled
        configuration.httpVersion = .automatic
        configuration.timeout = .init(
            connect: TimeAmount(connectTimeout),
            read: TimeAmount(totalTimeout),
            write: TimeAmount(totalTimeout)
        )
        // A refused connection should fail now, not be retried until the connect timeout.
        configuration.connectionPool.retryConnectionEstablishment = false
        return configuration
    }
}
