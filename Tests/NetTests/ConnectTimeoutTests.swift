import Testing

@testable import ProdVisualNet

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A loopback listener that never accepts, with its backlog filled, so that
/// further connection attempts hang in the handshake instead of being refused.
private final class BlackholeListener {
    let port: Int
    private var fds: [Int32] = []

    init() throws {
        #if canImport(Glibc)
        let stream = Int32(SOCK_STREAM.rawValue)
        #else
        let stream = SOCK_STREAM
        #endif
        let listener = socket(AF_INET, stream, 0)
        guard listener >= 0 else { throw BlackholeError.socket }
        fds.append(listener)
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = UInt32(0x7f00_0001).bigEndian
        address.sin_port = 0
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(listener, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard bound == 0, listen(listener, 0) == 0 else { throw BlackholeError.socket }
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(listener, $0, &length) }
        }
        port = Int(UInt16(bigEndian: address.sin_port))
        // Fill the accept queue with non-blocking connections that are never accepted.
        for _ in 0..<8 {
            let filler = socket(AF_INET, stream, 0)
            guard filler >= 0 else { continue }
            fds.append(filler)
            _ = fcntl(filler, F_SETFL, fcntl(filler, F_GETFL) | O_NONBLOCK)
            _ = withUnsafePointer(to: &address) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(filler, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
            }
        }
    }

    deinit {
        for fd in fds { close(fd) }
    }
}

private enum BlackholeError: Error { case socket }

@Suite("Connect timeout")
struct ConnectTimeoutTests {
    @Test("a connection that never completes fails after connectTimeout, well before the total deadline")
    func connectTimeout() async throws {
        let listener = try BlackholeListener()
        // A wide gap between the two, so a busy machine cannot blur which one fired.
        // (A loaded CI machine has starved event loops for over a minute.)
        let policy = FetchPolicy(allowPrivateAddresses: true, connectTimeout: .milliseconds(300), totalTimeout: .seconds(600))
        let port = listener.port
        let elapsed = try await withFetcher(policy) { fetcher in
            await expectFetchError(.timedOut) { try await fetcher.fetch("http://127.0.0.1:\(port)/image") }
        }
        #expect(elapsed >= .milliseconds(250))
        #expect(elapsed < .seconds(300), "took \(elapsed)")
        withExtendedLifetime(listener) {}
    }
}
