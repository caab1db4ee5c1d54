import NIOPosix
import Synchronization

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// Resolves host names with the system resolver (`getaddrinfo`), off the event
/// loop on `NIOThreadPool.singleton`.
///
/// The call is cancellation-aware: a cancelled caller (for example because the
/// fetch deadline passed) is released at once, while the blocking `getaddrinfo`
/// finishes on its pool thread and its answer is discarded.
public enum HostResolver {
    /// Every distinct address (canonical text, IPv4 and IPv6) `host` resolves to.
    ///
    /// IP literals, including `inet_aton` numeric forms such as `0x7f.1`, are
    /// returned in canonical form without a DNS query.
    /// - Throws: ``FetchError/unresolvable(host:)`` when the resolver finds nothing,
    ///   ``FetchError/timedOut`` when the calling task is cancelled first.
    public static func resolve(host: String, port: Int) async throws(FetchError) -> [String] {
        try await resolveAddresses(host: host, port: port).map(\.description)
    }

    static func resolveAddresses(host: String, port: Int) async throws(FetchError) -> [IPAddress] {
        var bare = host
        if bare.hasPrefix("["), bare.hasSuffix("]") { bare = String(bare.dropFirst().dropLast()) }
        if let literal = IPAddress(bare) { return [literal] }
        if IPAddress.looksNumeric(bare) {
            guard let v4 = IPAddress.parseIPv4Numeric(bare) else { throw .unresolvable(host: host) }
            return [.v4(v4)]
        }
        guard !bare.isEmpty, !bare.utf8.contains(0) else { throw .unresolvable(host: host) }

        let name = bare
        let result: Result<[IPAddress], FetchError> = await runBlocking {
            getaddrinfoAddresses(host: name, port: port)
        } ?? .failure(.timedOut)
        let addresses = try result.get()
        guard !addresses.isEmpty else { throw .unresolvable(host: host) }
        return addresses
    }

    private static func getaddrinfoAddresses(host: String, port: Int) -> Result<[IPAddress], FetchError> {
        var hints = addrinfo()
        hints.ai_family = AF_UNSPEC
        #if canImport(Glibc)
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        #else
        hints.ai_socktype = SOCK_STREAM
        #endif
        hints.ai_protocol = Int32(IPPROTO_TCP)
        var list: UnsafeMutablePointer<addrinfo>? = nil
        let status = getaddrinfo(host, String(port), &hints, &list)
        guard status == 0 else { return .failure(.unresolvable(host: host)) }
        defer { freeaddrinfo(list) }

        var seen = Set<IPAddress>()
        var ordered: [IPAddress] = []
        var cursor = list
        while let info = cursor {
            defer { cursor = info.pointee.ai_next }
            guard let sa = info.pointee.ai_addr else { continue }
            var address: IPAddress?
            switch Int32(sa.pointee.sa_family) {
            case AF_INET:
                address = sa.withMemoryRebound(to: sockaddr_in.self, capacity: 1) { sin in
                    withUnsafeBytes(of: sin.pointee.sin_addr) { IPAddress(bytes: $0) }
                }
            case AF_INET6:
                address = sa.withMemoryRebound(to: sockaddr_in6.self, capacity: 1) { sin6 in
                    withUnsafeBytes(of: sin6.pointee.sin6_addr) { IPAddress(bytes: $0) }
                }
            default:
                address = nil
            }
            if let address, seen.insert(address).inserted { ordered.append(address) }
        }
        return .success(ordered)
    }

    /// Runs blocking `work` on the NIO thread pool; returns `nil` if the calling
    /// task is cancelled (or the pool is shut down) before the work completes.
    private static func runBlocking<T: Sendable>(_ work: @escaping @Sendable () -> T) async -> T? {
        let box = OneShot<T>()
        return await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: CheckedContinuation<T?, Never>) in
                guard box.install(continuation) else {
                    continuation.resume(returning: nil)
                    return
                }
                NIOThreadPool.singleton.submit { workState in
                    let value: T? = workState == .active ? work() : nil
                    box.finish(value)
                }
            }
        } onCancel: {
            box.finish(nil, cancelling: true)
        }
    }
}

/// A continuation resumed exactly once, by whichever comes first: the result or cancellation.
private final class OneShot<T: Sendable>: Sendable {
    private enum State {
        case idle
        case waiting(CheckedContinuation<T?, Never>)
        case cancelled
        case done
    }

    private let state = Mutex<State>(.idle)

    /// Stores the continuation; `false` if cancellation already happened.
    func install(_ continuation: CheckedContinuation<T?, Never>) -> Bool {
        state.withLock { current in
            if case .cancelled = current { return false }
            current = .waiting(continuation)
            return true
        }
    }

    func finish(_ value: T?, cancelling: Bool = false) {
        let continuation = state.withLock { current -> CheckedContinuation<T?, Never>? in
            switch current {
            case .waiting(let c):
                current = .done
                return c
            case .idle:
                current = cancelling ? .cancelled : .done
                return nil
            case .cancelled, .done:
                return nil
            }
        }
        continuation?.resume(returning: value)
    }
}
