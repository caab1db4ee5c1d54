import AsyncHTTPClient
import Foundation
import Testing

@testable import ProdVisualNet

// A generous deadline: other suites' CPU-bound image tests can occupy every cooperative thread
// for seconds, and a test about refusals or redirects must not turn into a timeout.
// The timeout tests set their own short deadlines.
private let privateOK = FetchPolicy(allowPrivateAddresses: true, totalTimeout: .seconds(30))
private let strict = FetchPolicy(totalTimeout: .seconds(30))

@Suite("SafeFetcher against a live server")
struct SafeFetcherLiveTests {
    @Test("fetches from loopback when private sources are allowed")
    func successWhenAllowed() async throws {
        try await withTestServer { port, hits in
            try await withFetcher(privateOK) { fetcher in
                let resource = try await fetcher.fetch("http://127.0.0.1:\(port)/image#fragment")
                #expect(resource.bytes == imageBytes)
                #expect(resource.contentType == "image/png")
                #expect(resource.finalURL == "http://127.0.0.1:\(port)/image")
                #expect(hits["/image"] == 1)
            }
        }
    }

    @Test("the same loopback URL is refused by default, before any request is sent")
    func refusedByDefault() async throws {
        try await withTestServer { port, hits in
            try await withFetcher(strict) { fetcher in
                await expectFetchError(.forbiddenAddress(host: "127.0.0.1", address: "127.0.0.1")) {
                    try await fetcher.fetch("http://127.0.0.1:\(port)/image")
                }
                await expectFetchError(.forbiddenAddress(host: "localhost", address: "127.0.0.1")) {
                    try await fetcher.fetch("http://localhost:\(port)/image")
                }
                await expectFetchError(.forbiddenAddress(host: "::1", address: "::1")) {
                    try await fetcher.fetch("http://[::1]:\(port)/image")
                }
                #expect(hits.total == 0)
            }
        }
    }

    @Test("numeric host forms are resolved like inet_aton and refused")
    func numericHosts() async throws {
        try await withFetcher(strict) { fetcher in
            let loopbackForms = ["2130706433", "0x7f000001", "0x7f.1", "017700000001", "0177.0.0.01", "127.1", "127.0.0.1."]
            for form in loopbackForms {
                await expectFetchError(.forbiddenAddress(host: form, address: "127.0.0.1")) {
                    try await fetcher.fetch("http://\(form)/x")
                }
            }
            await expectFetchError(.forbiddenAddress(host: "0", address: "0.0.0.0")) {
                try await fetcher.fetch("http://0/")
            }
            await expectFetchError(.forbiddenAddress(host: "0xa9fea9fe", address: "169.254.169.254")) {
                try await fetcher.fetch("http://0xA9FEA9FE/latest/meta-data/")
            }
            await expectFetchError(.forbiddenAddress(host: "::ffff:127.0.0.1", address: "::ffff:127.0.0.1")) {
                try await fetcher.fetch("http://[::ffff:127.0.0.1]/")
            }
            await expectFetchError(.forbiddenAddress(host: "::ffff:a9fe:a9fe", address: "::ffff:169.254.169.254")) {
                try await fetcher.fetch("http://[::ffff:a9fe:a9fe]/")
            }
            await expectFetchError(.forbiddenAddress(host: "fd00:ec2::254", address: "fd00:ec2::254")) {
                try await fetcher.fetch("http://[fd00:ec2::254]/latest/meta-data/")
            }
            for malformed in ["http://256.1.1.1/", "http://1.2.3.4.5/", "http://08.0.0.1/", "http://4294967296/", "http://example.123/"] {
                await expectFetchError(.invalidURL(malformed)) { try await fetcher.fetch(malformed) }
            }
        }
    }

    @Test("numeric forms reach the real address when allowed")
    func numericHostAllowed() async throws {
        try await withTestServer { port, _ in
            try await withFetcher(privateOK) { fetcher in
                let resource = try await fetcher.fetch("http://0x7f.1:\(port)/image")
                #expect(resource.bytes == imageBytes)
                #expect(resource.finalURL == "http://127.0.0.1:\(port)/image")
            }
        }
    }

    @Test("http goes to the validated IP with the original Host header, User-Agent and Accept")
    func headers() async throws {
        try await withTestServer { port, _ in
            try await withFetcher(privateOK) { fetcher in
                let resource = try await fetcher.fetch("http://LocalHost:\(port)/echo-headers")
                let text = String(decoding: resource.bytes, as: UTF8.self)
                #expect(text == "localhost:\(port)|ProdVisual/1.0 (+image fetch)|image/jpeg,image/png,image/webp")
                #expect(resource.finalURL == "http://localhost:\(port)/echo-headers")
            }
        }
    }

    @Test("a chain of maxRedirects redirects is followed, one more is refused")
    func redirects() async throws {
        try await withTestServer { port, hits in
            try await withFetcher(privateOK) { fetcher in
                let resource = try await fetcher.fetch("http://127.0.0.1:\(port)/redirect/3")
                #expect(resource.bytes == imageBytes)
                #expect(resource.finalURL == "http://127.0.0.1:\(port)/redirect/0")
                #expect(hits["/redirect/0"] == 1)

                await expectFetchError(.tooManyRedirects(limit: 3)) {
                    try await fetcher.fetch("http://127.0.0.1:\(port)/redirect/4")
                }
                // /4 → /3 → /2 → /1 were fetched; the fourth redirect (to /0) was not followed.
                #expect(hits["/redirect/4"] == 1)
                #expect(hits["/redirect/0"] == 1)
            }
            var noRedirects = privateOK
            noRedirects.maxRedirects = 0
            try await withFetcher(noRedirects) { fetcher in
                await expectFetchError(.tooManyRedirects(limit: 0)) {
                    try await fetcher.fetch("http://127.0.0.1:\(port)/redirect/1")
                }
            }
        }
    }

    @Test("every redirect hop is re-validated: a redirect to 127.0.0.1 is refused")
    func redirectToLoopbackRefused() async throws {
        try await withTestServer { port, hits in
            // Only the first hop's host ("localhost") is let through; the policy decides the rest.
            try await withFetcher(strict, addressFilter: { host, _ in host == "localhost" }) { fetcher in
                await expectFetchError(.forbiddenAddress(host: "127.0.0.1", address: "127.0.0.1")) {
                    try await fetcher.fetch("http://localhost:\(port)/redirect-to-loopback-ip")
                }
                #expect(hits["/redirect-to-loopback-ip"] == 1)
                #expect(hits["/image"] == 0)
            }
            try await withFetcher(privateOK) { fetcher in
                await expectFetchError(.unsupportedScheme("ftp")) {
                    try await fetcher.fetch("http://127.0.0.1:\(port)/redirect-to-ftp")
                }
                await expectFetchError(.httpStatus(302)) {
                    try await fetcher.fetch("http://127.0.0.1:\(port)/redirect-without-location")
                }
            }
        }
    }

    @Test("redirect and error bodies are not read: an endless one does not stall the fetch")
    func unreadBodies() async throws {
        try await withTestServer { port, hits in
            try await withFetcher(privateOK) { fetcher in
                let resource = try await fetcher.fetch("http://127.0.0.1:\(port)/redirect-with-endless-body")
                #expect(resource.bytes == imageBytes)
                await expectFetchError(.httpStatus(503)) {
                    try await fetcher.fetch("http://127.0.0.1:\(port)/error-with-endless-body")
                }
                // Reading an endless body would end in the 30 s timeout, not in these results.
                #expect(hits["/image"] == 1)
            }
        }
    }

    @Test("a client that follows redirects by itself is caught")
    func misconfiguredClient() async throws {
        try await withTestServer { port, _ in
            let client = HTTPClient(eventLoopGroup: HTTPClient.defaultEventLoopGroup)  // follows redirects
            let fetcher = SafeFetcher(httpClient: client, policy: privateOK)
            do throws(FetchError) {
                _ = try await fetcher.fetch("http://127.0.0.1:\(port)/redirect/1")
                Issue.record("expected the fetch to be refused")
            } catch {
                guard case .connectionFailed(let reason) = error else {
                    Issue.record("unexpected \(error)")
                    return
                }
                #expect(reason.contains("makeHTTPClient"))
            }
            try await client.shutdown()
        }
    }

    @Test("non-2xx final status is reported")
    func statuses() async throws {
        try await withTestServer { port, _ in
            try await withFetcher(privateOK) { fetcher in
                await expectFetchError(.httpStatus(404)) { try await fetcher.fetch("http://127.0.0.1:\(port)/missing") }
                await expectFetchError(.httpStatus(500)) { try await fetcher.fetch("http://127.0.0.1:\(port)/server-error") }
            }
        }
    }

    @Test("a chunked body over the cap is cut off while streaming")
    func chunkedTooLarge() async throws {
        try await withTestServer { port, _ in
            var policy = privateOK
            policy.maxBytes = 256 * 1024
            try await withFetcher(policy) { fetcher in
                await expectFetchError(.tooLarge(limit: 256 * 1024)) {
                    try await fetcher.fetch("http://127.0.0.1:\(port)/chunked-big")
                }
            }
            // The same body fits under a larger cap, so the limit is what failed above.
            policy.maxBytes = 1024 * 1024
            try await withFetcher(policy) { fetcher in
                let resource = try await fetcher.fetch("http://127.0.0.1:\(port)/chunked-big")
                #expect(resource.bytes.count == 1024 * 1024)
            }
        }
    }

    @Test("a declared Content-Length over the cap fails at once, without waiting for the body")
    func declaredTooLarge() async throws {
        try await withTestServer { port, _ in
            try await withFetcher(privateOK) { fetcher in
                // Only the header can say so: the server sends 10 bytes and ends the body short.
                await expectFetchError(.tooLarge(limit: 10 * 1024 * 1024)) {
                    try await fetcher.fetch("http://127.0.0.1:\(port)/declared-huge")
                }
            }
        }
    }

    @Test("a lying small Content-Length cannot smuggle extra bytes")
    func lyingContentLength() async throws {
        try await withTestServer { port, _ in
            var policy = privateOK
            policy.maxBytes = 1000
            try await withFetcher(policy) { fetcher in
                let resource = try await fetcher.fetch("http://127.0.0.1:\(port)/lying-small")
                #expect(resource.bytes == [UInt8](repeating: 7, count: 100))
            }
        }
    }

    @Test("slow headers, a slow body and slow redirect chains all hit the total deadline")
    func timeouts() async throws {
        try await withTestServer { port, _ in
            var policy = privateOK
            // Margins are wide on purpose: the machine may be busy. The server would take 20 s
            // (head, body) or 2 s (four hops); the deadline is 1.2 s.
            policy.totalTimeout = .milliseconds(1200)
            try await withFetcher(policy) { fetcher in
                for path in ["slow-head", "slow-body", "slow-redirect/3"] {
                    let elapsed = await expectFetchError(.timedOut) {
                        try await fetcher.fetch("http://127.0.0.1:\(port)/\(path)")
                    }
                    #expect(elapsed >= .milliseconds(1150), "\(path) took \(elapsed)")
                    if path != "slow-redirect/3" { #expect(elapsed < .seconds(15), "\(path) took \(elapsed)") }
                }
                // One slow hop alone fits in the deadline: it is the sum over the redirects that fails.
                let resource = try await fetcher.fetch("http://127.0.0.1:\(port)/slow-redirect/0")
                #expect(resource.bytes == imageBytes)
            }
        }
    }

    @Test("connection refused is reported as connectionFailed")
    func connectionRefused() async throws {
        // A deadline no starved event loop can reach, so only the refusal can end the fetch.
        var patient = privateOK
        patient.totalTimeout = .seconds(600)
        try await withFetcher(patient) { fetcher in
            do throws(FetchError) {
                _ = try await fetcher.fetch("http://127.0.0.1:1/")
                Issue.record("expected a connection failure")
            } catch {
                guard case .connectionFailed = error else {
                    Issue.record("unexpected \(error)")
                    return
                }
            }
        }
    }
}

@Suite("URL and destination checks")
struct DestinationTests {
    @Test("only http and https", arguments: [
        ("ftp://example.com/a.png", "ftp"), ("file:///etc/passwd", "file"), ("gopher://example.com/", "gopher"),
        ("javascript:alert(1)", "javascript"), ("data:image/png;base64,AAAA", "data"), ("FILE:///etc/passwd", "file"),
        ("dict://127.0.0.1:11211/", "dict"),
    ])
    func schemes(url: String, scheme: String) async throws {
        try await withFetcher(privateOK) { fetcher in
            await expectFetchError(.unsupportedScheme(scheme)) { try await fetcher.fetch(url) }
        }
    }

    @Test("user-info and malformed URLs are invalid", arguments: [
        "http://user:pass@example.com/a.png", "http://user@example.com/", "http://@example.com/",
        "https://example.com@127.0.0.1/", "http://example.com:80@evil.example/", "not a url", "/relative/path",
        "http:///no-host", "http://", "example.com/a.png", "http://exa mple.com/", "http://ex%61mple.com/",
        "http://[fe80::1%25eth0]/", "http://example.com:0/", "http://under_score..example/",
    ])
    func invalid(url: String) async throws {
        try await withFetcher(privateOK) { fetcher in
            await expectFetchError(.invalidURL(url)) { try await fetcher.fetch(url) }
        }
    }

    @Test("checkDestination pins http to the validated address and keeps the name for https")
    func checkDestination() async throws {
        let guardPrivate = DestinationGuard(policy: privateOK)
        let http = try await guardPrivate.check("http://localhost:8080/a/b.png?size=1#frag")
        #expect(http.addresses.contains("127.0.0.1"))
        #expect(http.hostHeader == "localhost:8080")
        #expect(http.requestURL(connectingTo: "127.0.0.1") == "http://127.0.0.1:8080/a/b.png?size=1")
        // An address that was not validated is never used.
        #expect(http.requestURL(connectingTo: "10.0.0.1").hasPrefix("http://127.0.0.1:8080/"))
        #expect(http.url.absoluteString == "http://localhost:8080/a/b.png?size=1")

        let https = try await guardPrivate.check("https://localhost/x.png")
        #expect(https.requestURL() == "https://localhost/x.png")
        #expect(https.port == 443)
        #expect(https.hostHeader == "localhost")

        let v6 = try await guardPrivate.check("http://[::1]:81/")
        #expect(v6.requestURL() == "http://[::1]:81/")
        #expect(v6.hostHeader == "[::1]:81")

        let client = SafeFetcher.makeHTTPClient(policy: strict)
        let fetcher = SafeFetcher(httpClient: client, policy: strict)
        do throws(FetchError) {
            _ = try await fetcher.checkDestination(URL(string: "https://localhost/hook")!)
            Issue.record("expected forbiddenAddress")
        } catch {
            #expect(error == .forbiddenAddress(host: "localhost", address: "127.0.0.1"))
        }
        do throws(FetchError) {
            _ = try await fetcher.checkDestination(URL(string: "ftp://example.com/hook")!)
            Issue.record("expected unsupportedScheme")
        } catch {
            #expect(error == .unsupportedScheme("ftp"))
        }
        try await client.shutdown()
    }

    @Test("HostResolver resolves names and literals, and reports unknown names")
    func resolver() async throws {
        let local = try await HostResolver.resolve(host: "localhost", port: 80)
        #expect(local.contains("127.0.0.1"))
        #expect(try await HostResolver.resolve(host: "0x7f.1", port: 80) == ["127.0.0.1"])
        #expect(try await HostResolver.resolve(host: "[::1]", port: 80) == ["::1"])
        do throws(FetchError) {
            _ = try await HostResolver.resolve(host: "no-such-host.invalid", port: 80)
            Issue.record("expected unresolvable")
        } catch {
            #expect(error == .unresolvable(host: "no-such-host.invalid"))
        }
    }

    @Test("error messages name the limit or host")
    func messages() {
        #expect(FetchError.tooLarge(limit: 10 * 1024 * 1024).message.contains("10485760-byte (10 MB)"))
        #expect(FetchError.tooManyRedirects(limit: 3).message.contains("more than 3 times"))
        let forbidden = FetchError.forbiddenAddress(host: "internal.example", address: "10.0.0.5").message
        #expect(forbidden.contains("internal.example") && forbidden.contains("10.0.0.5") && forbidden.contains("10.0.0.0/8"))
        #expect(forbidden.contains("--allow-private-sources"))
        #expect(FetchError.httpStatus(404).message.contains("404"))
        #expect(FetchError.unsupportedScheme("ftp").message.contains("'ftp'"))
        #expect(FetchError.unresolvable(host: "nope.invalid").message.contains("nope.invalid"))
    }

    @Test("policy defaults and client configuration")
    func policyDefaults() {
        let policy = FetchPolicy()
        #expect(policy == FetchPolicy(allowPrivateAddresses: false, maxBytes: 10_485_760, maxRedirects: 3, connectTimeout: .seconds(5), totalTimeout: .seconds(20)))
        let configuration = policy.httpClientConfiguration()
        #expect(configuration.timeout.connect == .seconds(5))
        #expect(configuration.proxy == nil)
    }
}
