import AsyncHTTPClient
import NIOCore
import NIOPosix

#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// A fetched body with where it finally came from.
public struct FetchedResource: Sendable {
    public let bytes: [UInt8]
    /// The URL of the last hop, after redirects (normalized: no fragment, canonical host).
    public let finalURL: String
    public let contentType: String?

    public init(bytes: [UInt8], finalURL: String, contentType: String?) {
        self.bytes = bytes
        self.finalURL = finalURL
        self.contentType = contentType
    }
}

/// Fetches user-supplied URLs without letting them reach the host's own network
/// (SSRF protection).
///
/// For every hop (the first request and each redirect) the fetcher parses the
/// URL strictly, allows only `http`/`https` without user-info, resolves the host
/// itself and requires **every** resolved address to be public (unless
/// ``FetchPolicy/allowPrivateAddresses``). It follows redirects itself, at most
/// ``FetchPolicy/maxRedirects``, enforces ``FetchPolicy/maxBytes`` while streaming,
/// and bounds the whole operation by ``FetchPolicy/totalTimeout``.
///
/// ## DNS rebinding
/// - `http`: the request is sent to the validated IP address itself (the URL's host
///   is replaced by the address, the original name goes in the `Host` header), so a
///   second DNS answer can never be used.
/// - `https`: the host name is kept so that TLS verifies the certificate for that
///   name, and the name is resolved and checked immediately before the request.
///   **Residual risk:** `HTTPClient` resolves the name once more to connect, so a
///   DNS server answering with a very short TTL could hand a public address to the
///   check and a private one to the connection. The attacker then still has to
///   complete a TLS handshake with a certificate valid for their host name on the
///   private service, which ordinary internal services cannot present, so the
///   practical exposure is limited to internal TLS services that accept any SNI
///   with such a certificate — but it is not zero. Closing it completely needs
///   connecting by IP while verifying the certificate for the name, which
///   `HTTPClient` offers only per client (`dnsOverride`), not per request.
///
/// ## The HTTPClient
/// The client **must** be configured with ``FetchPolicy/httpClientConfiguration()``
/// (or built with ``makeHTTPClient(policy:eventLoopGroup:)``): with AsyncHTTPClient's
/// own redirect following switched on, redirects would not be re-validated. As a
/// backstop the fetcher refuses any response that the client obtained by following
/// a redirect itself, but by then that request has been sent.
public struct SafeFetcher: Sendable {
    public static let userAgent = "ProdVisual/1.0 (+image fetch)"
    public static let accept = "image/jpeg,image/png,image/webp"

    public let httpClient: HTTPClient
    public let policy: FetchPolicy
    let destinationGuard: DestinationGuard

    public init(httpClient: HTTPClient, policy: FetchPolicy) {
        self.init(httpClient: httpClient, policy: policy, addressFilter: nil)
    }

    /// Test seam: `addressFilter` replaces the public/private decision.
    init(
        httpClient: HTTPClient,
        policy: FetchPolicy,
        addressFilter: (@Sendable (_ host: String, _ address: String) -> Bool)?
    ) {
        self.httpClient = httpClient
        self.policy = policy
        self.destinationGuard = DestinationGuard(policy: policy, addressFilter: addressFilter)
    }

    /// An `HTTPClient` configured as the fetcher needs (see ``FetchPolicy/httpClientConfiguration()``).
    /// The caller owns it and must `try await client.shutdown()` when done.
    public static func makeHTTPClient(
        policy: FetchPolicy,
        eventLoopGroup: any EventLoopGroup = HTTPClient.defaultEventLoopGroup
    ) -> HTTPClient {
        HTTPClient(eventLoopGroup: eventLoopGroup, configuration: policy.httpClientConfiguration())
    }

    /// Validates a destination's scheme, form and resolved addresses with this
    /// fetcher's policy, without sending anything. For senders of other requests
    /// (webhooks): connect using ``ValidatedDestination/requestURL(connectingTo:)``
    /// and ``ValidatedDestination/hostHeader``, and do not let the client follow redirects.
    public func checkDestination(_ url: URL) async throws(FetchError) -> ValidatedDestination {
        try await destinationGuard.check(url)
    }

    /// Whether `urlString` could be fetched, as far as its text tells: scheme, form, and an
    /// address written as the host. Resolving and the fetch itself come later.
    public func checkWithoutResolving(_ urlString: String) throws(FetchError) {
        try destinationGuard.checkWithoutResolving(urlString)
    }

    /// Fetches `urlString` under the policy. Throws only ``FetchError``.
    public func fetch(_ urlString: String) async throws(FetchError) -> FetchedResource {
        let deadline = ContinuousClock.now.advanced(by: policy.totalTimeout)
        let outcome = await withTaskGroup(of: Result<FetchedResource, FetchError>?.self) { group in
            group.addTask {
                do throws(FetchError) {
                    return .success(try await self.fetchFollowingRedirects(urlString, deadline: deadline))
                } catch {
                    return .failure(error)
                }
            }
            group.addTask {
                do {
                    try await Task.sleep(until: deadline, clock: .continuous)
                } catch {
                    return nil  // cancelled: the fetch finished first
                }
                return .failure(.timedOut)
            }
            var first: Result<FetchedResource, FetchError>? = nil
            while first == nil, let next = await group.next() {
                first = next
            }
            group.cancelAll()
            return first ?? .failure(.timedOut)
        }
        return try outcome.get()
    }

    /// POSTs `body` to `urlString` under the same destination rules as fetches (webhooks) and
    /// returns the response's status. Redirects are not followed: a 3xx is the receiver's answer.
    public func post(
        _ urlString: String, body: [UInt8], headers: [(name: String, value: String)], timeout: Duration
    ) async throws(FetchError) -> Int {
        let deadline = ContinuousClock.now.advanced(by: timeout)
        let destination = try await destinationGuard.check(try DestinationGuard.parse(urlString))
        let response = try await send(to: destination, deadline: deadline) { request in
            request.method = .POST
            for header in headers { request.headers.add(name: header.name, value: header.value) }
            request.headers.replaceOrAdd(name: "User-Agent", value: Self.webhookUserAgent)
            request.headers.replaceOrAdd(name: "Accept", value: "*/*")
            request.body = .bytes(body)
        }
        // Drain what the receiver says, up to a little: its body is of no use to us.
        do {
            _ = try await response.body.collect(upTo: 64 * 1024)
        } catch {}
        return Int(response.status.code)
    }

    public static let webhookUserAgent = "ProdVisual-Webhooks/1.0"

    // MARK: - Internals

    private func fetchFollowingRedirects(
        _ urlString: String,
        deadline: ContinuousClock.Instant
    ) async throws(FetchError) -> FetchedResource {
        var target = try DestinationGuard.parse(urlString)
        var redirectsFollowed = 0
        while true {
            let destination = try await destinationGuard.check(target)
            let response = try await send(to: destination, deadline: deadline)
            let status = Int(response.status.code)

            if Self.redirectStatuses.contains(status) {
                guard let location = response.headers.first(name: "location"), !location.isEmpty else {
                    throw .httpStatus(status)
                }
                guard redirectsFollowed < policy.maxRedirects else {
                    throw .tooManyRedirects(limit: policy.maxRedirects)
                }
                redirectsFollowed += 1
                guard let next = URL(string: location, relativeTo: destination.url)?.absoluteURL else {
                    throw .invalidURL(location)
                }
                target = try DestinationGuard.parse(next.absoluteString)
                continue
            }
            guard (200..<300).contains(status) else { throw .httpStatus(status) }

            let bytes = try await readBody(response)
            return FetchedResource(
                bytes: bytes,
                finalURL: destination.url.absoluteString,
                contentType: response.headers.first(name: "content-type")
            )
        }
    }

    private static let redirectStatuses: Set<Int> = [301, 302, 303, 307, 308]

    /// Sends the GET (or what `prepare` makes of it). For `http` it tries each validated address in turn while the
    /// connection itself fails; for `https` it makes one attempt by host name.
    private func send(
        to destination: ValidatedDestination,
        deadline: ContinuousClock.Instant,
        prepare: (inout HTTPClientRequest) -> Void = { _ in }
    ) async throws(FetchError) -> HTTPClientResponse {
        let pinned = destination.scheme == "http" && !destination.hostIsIPLiteral
        let candidates: [String?] = pinned ? destination.addresses.map { Optional($0) } : [nil]
        var lastError = FetchError.connectionFailed("no address to connect to")
        for candidate in candidates {
            var request = HTTPClientRequest(url: destination.requestURL(connectingTo: candidate))
            request.method = .GET
            request.headers.add(name: "Host", value: destination.hostHeader)
            request.headers.add(name: "User-Agent", value: Self.userAgent)
            request.headers.add(name: "Accept", value: Self.accept)
            prepare(&request)

            let remaining = ContinuousClock.now.duration(to: deadline)
            guard remaining > .zero else { throw .timedOut }
            do {
                let response = try await httpClient.execute(request, deadline: .now() + TimeAmount(remaining))
                guard response.history.count <= 1 else {
                    throw FetchError.connectionFailed(
                        "the HTTPClient followed a redirect by itself; create it with SafeFetcher.makeHTTPClient(policy:) so every hop is validated"
                    )
                }
                return response
            } catch {
                let mapped = Self.map(error)
                guard case .connectionFailed = mapped else { throw mapped }
                lastError = mapped
            }
        }
        throw lastError
    }

    private func readBody(_ response: HTTPClientResponse) async throws(FetchError) -> [UInt8] {
        let limit = policy.maxBytes
        let declared = response.headers.first(name: "content-length").flatMap {
            Int($0.filter { $0 != " " && $0 != "\t" })
        }
        if let declared, declared > limit { throw .tooLarge(limit: limit) }

        var bytes: [UInt8] = []
        bytes.reserveCapacity(min(declared ?? 64 * 1024, limit))
        do {
            for try await chunk in response.body {
                guard chunk.readableBytes <= limit - bytes.count else {
                    throw FetchError.tooLarge(limit: limit)
                }
                bytes.append(contentsOf: chunk.readableBytesView)
            }
        } catch {
            throw Self.map(error)
        }
        return bytes
    }

    static func map(_ error: any Error) -> FetchError {
        if let error = error as? FetchError { return error }
        if let error = error as? HTTPClientError {
            switch error {
            case .connectTimeout, .deadlineExceeded, .readTimeout, .writeTimeout, .tlsHandshakeTimeout,
                .getConnectionFromPoolTimeout, .socksHandshakeTimeout, .httpProxyHandshakeTimeout:
                return .timedOut
            case .cancelled:
                return .connectionFailed("the request was cancelled")
            case .remoteConnectionClosed:
                return .connectionFailed("the server closed the connection")
            default:
                return .connectionFailed(String(describing: error))
            }
        }
        if let error = error as? ChannelError, case .connectTimeout = error { return .timedOut }
        if error is CancellationError { return .connectionFailed("the request was cancelled") }
        return .connectionFailed(String(describing: error))
    }
}
