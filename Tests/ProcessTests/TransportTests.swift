import Foundation
import Testing
@testable import ServerHarness

#if canImport(Glibc)
import Glibc
#endif

/// Connections, as a socket sees them: silent and half-sent ones are closed, a flood cannot
/// take the server down, HTTPS is served, and plain HTTP refused when asked.
extension ServerProcessTests {
    @Suite struct TransportTests {
        /// A raw loopback TCP connection to `port`.
        final class RawConnection {
            let descriptor: Int32

            init(port: Int) throws {
                descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
                var address = sockaddr_in()
                address.sin_family = sa_family_t(AF_INET)
                address.sin_port = in_port_t(UInt16(port).bigEndian)
                address.sin_addr.s_addr = inet_addr("127.0.0.1")
                let connected = withUnsafePointer(to: &address) {
                    $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(descriptor, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
                }
                guard connected == 0 else {
                    close(descriptor)
                    throw ServerProcessError(description: "connect failed: errno \(errno)")
                }
            }

            deinit { close(descriptor) }

            func send(_ text: String) {
                _ = text.withCString { Glibc.send(descriptor, $0, strlen($0), Int32(MSG_NOSIGNAL)) }
            }

            /// Everything the server sends until it closes the connection (or `timeout` passes).
            func readAll(timeout: Duration) async throws -> String {
                var received: [UInt8] = []
                let deadline = ContinuousClock.now + timeout
                var buffer = [UInt8](repeating: 0, count: 65_536)
                while ContinuousClock.now < deadline {
                    let count = recv(descriptor, &buffer, buffer.count, Int32(MSG_DONTWAIT))
                    if count > 0 {
                        received += buffer[0..<count]
                    } else if count == 0 {
                        break
                    } else {
                        try await Task.sleep(for: .milliseconds(20))
                    }
                }
                return String(decoding: received, as: UTF8.self)
            }

            /// Whether the server has closed the connection (a read returns end of file or an error).
            var isClosedByServer: Bool {
                var pollDescriptor = pollfd(fd: descriptor, events: Int16(POLLIN), revents: 0)
                guard poll(&pollDescriptor, 1, 0) > 0 else { return false }
                var byte: UInt8 = 0
                return recv(descriptor, &byte, 1, Int32(MSG_PEEK | MSG_DONTWAIT)) <= 0
            }
        }

        @Test func silentAndHalfSentConnectionsAreClosedAndHealthAnswersThroughAFlood() async throws {
            try await withServerProcess(environment: ["PRODVISUAL_IDLE_TIMEOUT_SECONDS": "2", "PRODVISUAL_MAX_CONNECTIONS": "100"]) { server in
                let silent = try RawConnection(port: server.port)
                let halfHeader = try RawConnection(port: server.port)
                halfHeader.send("GET /health HTTP/1.1\r\nHost: x\r\nX-Slow: ")
                // More connections than the cap, all silent: accepting pauses at 100 and resumes
                // as the time-out closes them.
                let flood = try (0..<150).map { _ in try RawConnection(port: server.port) }
                let started = ContinuousClock.now
                let health = try await server.api.get("/health", timeout: 20)
                let waited = ContinuousClock.now - started
                #expect(health.status == 200)
                #expect(waited < .seconds(10), "health answered after \(waited)")
                try await Task.sleep(for: .seconds(3))
                #expect(silent.isClosedByServer, "a silent connection outlived the 2 s time-out")
                #expect(halfHeader.isClosedByServer, "a half-sent header outlived the 2 s time-out")
                #expect(flood.filter(\.isClosedByServer).count >= 100)
                #expect(server.isRunning)
            }
        }

        @Test func aRequestTheParserRefusesGetsTheEnvelope() async throws {
            try await withServerProcess { server in
                let connection = try RawConnection(port: server.port)
                connection.send("GET /health HTTP/1.1\r\nHost: x\r\nX-Big: " + String(repeating: "a", count: 1 << 20) + "\r\n\r\n")
                let answer = try await connection.readAll(timeout: .seconds(10))
                #expect(answer.hasPrefix("HTTP/1.1 400"), "\(answer.prefix(200))")
                #expect(answer.contains("application/json"))
                #expect(answer.contains(#""code":"invalid_request""#) && answer.contains("headers are too large"), "\(answer.prefix(400))")
                #expect(try await server.api.get("/health").status == 200)
            }
        }

        @Test func httpsIsServedWithTheGivenCertificate() async throws {
            let folder = FileManager.default.temporaryDirectory.appendingPathComponent("pv-tls-\(UUID().uuidString)")
            try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
            defer { try? FileManager.default.removeItem(at: folder) }
            let certificate = folder.appendingPathComponent("cert.pem").path, key = folder.appendingPathComponent("key.pem").path
            try run("openssl", ["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=127.0.0.1",
                                "-addext", "subjectAltName=IP:127.0.0.1", "-keyout", key, "-out", certificate])
            try await withServerProcess(environment: ["PRODVISUAL_TLS_CERT": certificate, "PRODVISUAL_TLS_KEY": key], scheme: "https") { server in
                let credits = try run("curl", ["-s", "--cacert", certificate, "-H", "Authorization: Bearer \(try server.keys.live)",
                                               "https://127.0.0.1:\(server.port)/v1/account/credits"])
                #expect(credits.contains("\"credits_remaining\":100"), "\(credits)")
                // Plain HTTP on the TLS port gets no API answer.
                let plain = try? run("curl", ["-s", "-m", "5", "http://127.0.0.1:\(server.port)/health"])
                #expect(plain?.contains("\"ok\"") != true)
            }
        }

        @Test func withRequireHTTPSPlainCallsAreRefusedUnlessATrustedProxySaysHTTPS() async throws {
            try await withServerProcess(environment: ["PRODVISUAL_REQUIRE_HTTPS": "true", "PRODVISUAL_TRUSTED_PROXIES": "127.0.0.1"]) { server in
                let key = try server.keys.live
                let plain = try await server.api.get("/v1/account/credits", key: key)
                #expect(plain.status == 400)
                let message = try plain.expectError("invalid_request", 400)
                #expect(message.contains("HTTPS only") && message.contains("https://"), "\(message)")
                let proxied = try await server.api.send(
                    "GET", "/v1/account/credits", key: key, body: nil, headers: ["X-Forwarded-Proto": "https"], timeout: 30)
                #expect(proxied.status == 200)
                let downgraded = try await server.api.send(
                    "GET", "/v1/account/credits", key: key, body: nil, headers: ["X-Forwarded-Proto": "http"], timeout: 30)
                #expect(downgraded.status == 400)
                #expect(try await server.api.get("/health").status == 200, "load balancers check over HTTP")
            }
            // A proxy that is not trusted cannot vouch for HTTPS.
            try await withServerProcess(environment: ["PRODVISUAL_REQUIRE_HTTPS": "true", "PRODVISUAL_TRUSTED_PROXIES": "10.1.2.3"]) { server in
                let spoofed = try await server.api.send(
                    "GET", "/v1/account/credits", key: try server.keys.live, body: nil, headers: ["X-Forwarded-Proto": "https"], timeout: 30)
                #expect(spoofed.status == 400)
            }
        }

        @discardableResult
        private func run(_ tool: String, _ arguments: [String]) throws -> String {
            let process = Process()
            process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
            process.arguments = [tool] + arguments
            let output = Pipe()
            process.standardOutput = output
            process.standardError = FileHandle.nullDevice
            try process.run()
            let data = output.fileHandleForReading.readDataToEndOfFile()
            process.waitUntilExit()
            guard process.terminationStatus == 0 else { throw ServerProcessError(description: "\(tool) exited \(process.terminationStatus)") }
            return String(decoding: data, as: UTF8.self)
        }
    }
}
