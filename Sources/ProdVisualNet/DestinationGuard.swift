#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// A URL that passed every check of a ``FetchPolicy``: scheme, form, and every
/// address its host resolved to *just now*.
///
/// Use ``requestURL(connectingTo:)`` and ``hostHeader`` to build the request, so
/// that the connection goes to an address that was validated (see ``SafeFetcher``).
public struct ValidatedDestination: Sendable, Equatable {
    /// The normalized URL (canonical host, no fragment, no user-info).
    public let url: URL
    /// `http` or `https`.
    public let scheme: String
    /// Host as validated: lower-cased DNS name or canonical IP literal (IPv6 without brackets).
    public let host: String
    /// Explicit port, or 80/443.
    public let port: Int
    /// Every address the host resolved to, in resolver order; all passed the policy.
    public let addresses: [String]
    /// Value for the `Host` header: the original host, with the port when not the default.
    public let hostHeader: String
    /// Whether the host was an IP literal (no DNS involved).
    public let hostIsIPLiteral: Bool

    let pathAndQuery: String
    let resolved: [IPAddress]

    /// The URL to put on the wire.
    ///
    /// - For `http`, the host is replaced by `address` (one of ``addresses``;
    ///   the first when `nil`), so the socket connects to exactly the address that
    ///   was validated: DNS cannot be re-asked, so it cannot rebind. Send
    ///   ``hostHeader`` as the `Host` header.
    /// - For `https`, the host name is kept so that TLS checks the certificate for
    ///   it; the client resolves the name again. See ``SafeFetcher`` for the
    ///   residual rebinding risk this leaves.
    ///
    /// An `address` that is not one of ``addresses`` is ignored (the first validated
    /// address is used), so this can never produce an unvalidated target.
    public func requestURL(connectingTo address: String? = nil) -> String {
        guard scheme == "http", !hostIsIPLiteral else { return url.absoluteString }
        let chosen = address.flatMap { IPAddress($0) }.flatMap { resolved.contains($0) ? $0 : nil } ?? resolved[0]
        return "http://\(chosen.urlHost):\(port)\(pathAndQuery)"
    }
}

/// Validates outbound destinations against a ``FetchPolicy``: only `http`/`https`,
/// no user-info, a well-formed host, and every resolved address public (unless
/// the policy allows private addresses). Reusable by anything that sends requests
/// to user-supplied URLs, such as webhooks.
public struct DestinationGuard: Sendable {
    public let policy: FetchPolicy
    /// Test seam: replaces the address decision when set.
    let addressFilter: (@Sendable (_ host: String, _ address: String) -> Bool)?

    public init(policy: FetchPolicy) {
        self.init(policy: policy, addressFilter: nil)
    }

    init(policy: FetchPolicy, addressFilter: (@Sendable (_ host: String, _ address: String) -> Bool)?) {
        self.policy = policy
        self.addressFilter = addressFilter
    }

    /// Checks the URL's form, resolves its host and checks every address.
    public func check(_ url: URL) async throws(FetchError) -> ValidatedDestination {
        try await check(Self.parse(url.absoluteString))
    }

    /// Checks the URL's form, resolves its host and checks every address.
    public func check(_ urlString: String) async throws(FetchError) -> ValidatedDestination {
        try await check(Self.parse(urlString))
    }

    /// The URL's form and, when its host is written as an address, that address; no DNS. For
    /// checks before anything is charged, when the fetch itself comes later.
    public func checkWithoutResolving(_ urlString: String) throws(FetchError) {
        let target = try Self.parse(urlString)
        if let literal = target.literal, !isAllowed(host: target.host, address: literal) {
            throw .forbiddenAddress(host: target.hostAsWritten, address: literal.description)
        }
    }

    func check(_ target: ParsedTarget) async throws(FetchError) -> ValidatedDestination {
        let addresses: [IPAddress]
        if let literal = target.literal {
            addresses = [literal]
        } else {
            addresses = try await HostResolver.resolveAddresses(host: target.host, port: target.port)
        }
        for address in addresses where !isAllowed(host: target.host, address: address) {
            throw .forbiddenAddress(host: target.hostAsWritten, address: address.description)
        }
        return ValidatedDestination(
            url: target.url,
            scheme: target.scheme,
            host: target.host,
            port: target.port,
            addresses: addresses.map(\.description),
            hostHeader: target.hostHeader,
            hostIsIPLiteral: target.literal != nil,
            pathAndQuery: target.pathAndQuery,
            resolved: addresses
        )
    }

    private func isAllowed(host: String, address: IPAddress) -> Bool {
        if let addressFilter { return addressFilter(host, address.description) }
        return policy.allowPrivateAddresses || AddressClassifier.isPublic(address)
    }

    // MARK: - Parsing

    struct ParsedTarget: Sendable {
        var url: URL
        var scheme: String
        var host: String
        /// The host as it appeared in the URL (lower-cased, without brackets), for error messages.
        var hostAsWritten: String
        var literal: IPAddress?
        var port: Int
        var hostHeader: String
        var pathAndQuery: String
    }

    /// Checks form only (no DNS): scheme, user-info, host syntax, numeric hosts.
    /// Returns the normalized URL that the fetcher will use.
    public static func normalize(_ urlString: String) throws(FetchError) -> URL {
        try parse(urlString).url
    }

    static func parse(_ urlString: String) throws(FetchError) -> ParsedTarget {
        guard urlString.utf8.count <= 8192,
            !urlString.unicodeScalars.contains(where: { $0.properties.isWhitespace || $0.value < 0x20 || $0.value == 0x7f }),
            let url = URL(string: urlString)
        else { throw .invalidURL(urlString) }

        guard let rawScheme = url.scheme, !rawScheme.isEmpty else { throw .invalidURL(urlString) }
        let scheme = rawScheme.lowercased()
        guard scheme == "http" || scheme == "https" else { throw .unsupportedScheme(scheme) }

        // The authority as written: between "//" and the first "/", "?" or "#".
        guard let schemeEnd = urlString.firstRange(of: "://") else { throw .invalidURL(urlString) }
        let afterScheme = urlString[schemeEnd.upperBound...]
        let authority = afterScheme.prefix { $0 != "/" && $0 != "?" && $0 != "#" }
        // No user-info, not even an empty one ("http://@host"), and no backslashes.
        guard !authority.contains("@"), !authority.contains("\\"), url.user == nil, url.password == nil else {
            throw .invalidURL(urlString)
        }

        guard var host = url.host(percentEncoded: true)?.lowercased(), !host.isEmpty else {
            throw .invalidURL(urlString)
        }
        if host.hasPrefix("["), host.hasSuffix("]") { host = String(host.dropFirst().dropLast()) }
        let hostAsWritten = host

        let literal: IPAddress?
        if host.contains(":") {
            // IPv6 literal; zones (fe80::1%25eth0) are refused.
            guard !host.contains("%"), case .v6? = IPAddress(host) else { throw .invalidURL(urlString) }
            literal = IPAddress(host)
        } else {
            if host.hasSuffix(".") { host.removeLast() }
            guard !host.isEmpty, host.utf8.count <= 253 else { throw .invalidURL(urlString) }
            if IPAddress.looksNumeric(host) {
                // Numeric hosts are IPv4 to the C library in every inet_aton form.
                guard let v4 = IPAddress.parseIPv4Numeric(host) else { throw .invalidURL(urlString) }
                literal = .v4(v4)
            } else {
                let labels = host.split(separator: ".", omittingEmptySubsequences: false)
                let validLabel: (Substring) -> Bool = { label in
                    !label.isEmpty && label.utf8.count <= 63
                        && label.utf8.allSatisfy { b in
                            (b >= 0x61 && b <= 0x7a) || (b >= 0x30 && b <= 0x39) || b == 0x2d || b == 0x5f
                        }
                }
                guard labels.allSatisfy(validLabel) else { throw .invalidURL(urlString) }
                literal = nil
            }
        }

        let defaultPort = scheme == "https" ? 443 : 80
        let port = url.port ?? defaultPort
        guard (1...65535).contains(port) else { throw .invalidURL(urlString) }

        let urlHost = literal?.urlHost ?? host
        let validatedHost = literal?.description ?? host
        let hostHeader = port == defaultPort ? urlHost : "\(urlHost):\(port)"

        var path = url.path(percentEncoded: true)
        if path.isEmpty { path = "/" }
        guard path.hasPrefix("/") else { throw .invalidURL(urlString) }
        let query = url.query(percentEncoded: true).map { "?\($0)" } ?? ""
        let pathAndQuery = path + query

        let normalizedString = "\(scheme)://\(hostHeader)\(pathAndQuery)"
        guard let normalized = URL(string: normalizedString) else { throw .invalidURL(urlString) }
        return ParsedTarget(
            url: normalized,
            scheme: scheme,
            host: validatedHost,
            hostAsWritten: hostAsWritten,
            literal: literal,
            port: port,
            hostHeader: hostHeader,
            pathAndQuery: pathAndQuery
        )
    }
}
