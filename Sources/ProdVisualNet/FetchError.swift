/// Why a fetch (or a destination check) was refused or failed.
///
/// Every case carries enough to act on, and ``message`` turns it into one
/// sentence suitable for an API error body or a log line.
public enum FetchError: Error, Sendable, Equatable, CustomStringConvertible {
    /// Unparsable, relative, without a host, with `user:password@`, or with a
    /// malformed numeric host. Carries the offending URL text.
    case invalidURL(String)
    /// Anything but `http` or `https`. Carries the scheme as written (lower-cased).
    case unsupportedScheme(String)
    /// `host` resolved to `address`, which is not a globally routable unicast address.
    case forbiddenAddress(host: String, address: String)
    /// DNS returned no address for `host`.
    case unresolvable(host: String)
    /// The body exceeded `limit` bytes (declared by Content-Length, or counted while streaming).
    case tooLarge(limit: Int)
    /// More than `limit` redirects.
    case tooManyRedirects(limit: Int)
    /// The connect timeout or the total deadline (covering every hop and the body) passed.
    case timedOut
    /// The final response's status was not 2xx.
    case httpStatus(Int)
    /// The connection could not be made or broke (refused, reset, TLS failure, …).
    case connectionFailed(String)

    /// One clear sentence a developer can act on.
    public var message: String {
        switch self {
        case .invalidURL(let url):
            return "The URL \(Self.quoted(url)) is not usable: it must be an absolute http:// or https:// URL with a valid host name and no user:password@ part."
        case .unsupportedScheme(let scheme):
            return "The URL scheme '\(scheme)' is not supported: only http:// and https:// URLs can be fetched."
        case .forbiddenAddress(let host, let address):
            let why = AddressClassifier.nonPublicReason(address).map { " (\($0))" } ?? ""
            return "The host '\(host)' resolves to \(address)\(why), which is not a public internet address, so it will not be contacted; use a publicly reachable URL (operators can allow private sources with --allow-private-sources)."
        case .unresolvable(let host):
            return "The host '\(host)' could not be resolved to any address; check the host name and that it has public DNS records."
        case .tooLarge(let limit):
            return "The response body is larger than the \(limit)-byte (\(Self.humanBytes(limit))) limit; use a smaller image."
        case .tooManyRedirects(let limit):
            return "The URL redirected more than \(limit) time\(limit == 1 ? "" : "s"); link directly to the final image URL."
        case .timedOut:
            return "The remote server did not connect or deliver the complete response within the time limit; try again or use a faster host."
        case .httpStatus(let status):
            return "The remote server answered with HTTP status \(status) instead of a 2xx success; check that the URL points at a publicly accessible image."
        case .connectionFailed(let reason):
            return "Could not connect to the remote server or the connection broke (\(reason)); check that the host is up and reachable."
        }
    }

    public var description: String { message }

    private static func quoted(_ s: String) -> String {
        let limited = s.count > 200 ? String(s.prefix(200)) + "…" : s
        return "'\(limited)'"
    }

    private static func humanBytes(_ n: Int) -> String {
        if n >= 1024 * 1024, n % (1024 * 1024) == 0 { return "\(n / (1024 * 1024)) MB" }
        if n >= 1024, n % 1024 == 0 { return "\(n / 1024) KB" }
        return "\(n) bytes"
    }
}
