import Testing
import Hummingbird
import Logging
import Synchronization

@testable import ProdVisualNet

/// Counts requests per path, so tests can prove a request was (not) sent.
final class HitCounter: Sendable {
    private let hits = Mutex<[String: Int]>([:])

    func record(_ path: String) {
        hits.withLock { $0[path, default: 0] += 1 }
    }

    subscript(path: String) -> Int {
        hits.withLock { $0[path] ?? 0 }
    }

    var total: Int { hits.withLock { $0.values.reduce(0, +) } }
}

/// 1000 bytes that start like a PNG.
let imageBytes: [UInt8] = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A] + (0..<992).map { UInt8($0 % 251) }

/// Starts a real Hummingbird server on 127.0.0.1 with an ephemeral port, runs
/// `body` with that port, then stops the server.
@discardableResult
func withTestServer<T: Sendable>(
    _ body: @Sendable (_ port: Int, _ hits: HitCounter) async throws -> T
) async throws -> T {
    let hits = HitCounter()
    let router = Router()
    router.middlewares.add(CountingMiddleware(hits: hits))

    router.get("image") { _, _ in
        Response(
            status: .ok,
            headers: [.contentType: "image/png"],
            body: .init(byteBuffer: ByteBuffer(bytes: imageBytes))
        )
    }
    router.get("echo-headers") { request, _ -> String in
        let host = request.head.authority ?? "-"
        let agent = request.headers[.userAgent] ?? "-"
        let accept = request.headers[.accept] ?? "-"
        return "\(host)|\(agent)|\(accept)"
    }
    // /redirect/N redirects N times before serving the image; odd hops use a
    // relative Location, even hops an absolute one.
    router.get("redirect/:n") { request, context -> Response in
        let n = try context.parameters.require("n", as: Int.self)
        if n == 0 {
            return Response(status: .ok, headers: [.contentType: "image/png"], body: .init(byteBuffer: ByteBuffer(bytes: imageBytes)))
        }
        let location = n % 2 == 1 ? "\(n - 1)" : "http://\(request.head.authority ?? "")/redirect/\(n - 1)"
        return Response(status: .found, headers: [.location: location])
    }
    router.get("redirect-to-loopback-ip") { request, _ -> Response in
        let port = (request.head.authority ?? "").split(separator: ":").last.map(String.init) ?? ""
        return Response(status: .temporaryRedirect, headers: [.location: "http://127.0.0.1:\(port)/image"])
    }
    router.get("redirect-to-ftp") { _, _ in
        Response(status: .movedPermanently, headers: [.location: "ftp://127.0.0.1/image.png"])
    }
    router.get("redirect-without-location") { _, _ in
        Response(status: .found)
    }
    // 64 KiB every 10 ms for 5 s, behind a redirect or an error status.
    let endlessBody = ResponseBody { writer in
        let chunk = ByteBuffer(repeating: 3, count: 64 * 1024)
        for _ in 0..<500 {
            try await writer.write(chunk)
            try await Task.sleep(for: .milliseconds(10))
        }
        try await writer.finish(nil)
    }
    router.get("redirect-with-endless-body") { _, _ in
        Response(status: .found, headers: [.location: "/image"], body: endlessBody)
    }
    router.get("error-with-endless-body") { _, _ in
        Response(status: .serviceUnavailable, body: endlessBody)
    }
    router.get("server-error") { _, _ in
        Response(status: .internalServerError)
    }
    // Chunked (no Content-Length): 64 chunks of 16 KiB = 1 MiB.
    router.get("chunked-big") { _, _ in
        Response(
            status: .ok,
            headers: [.contentType: "image/png"],
            body: ResponseBody { writer in
                let chunk = ByteBuffer(repeating: 0xAB, count: 16 * 1024)
                for _ in 0..<64 { try await writer.write(chunk) }
                try await writer.finish(nil)
            }
        )
    }
    // Content-Length says 100 MB; then 10 bytes and a long stall.
    router.get("declared-huge") { _, _ in
        Response(
            status: .ok,
            headers: [.contentType: "image/png", .contentLength: "100000000"],
            body: ResponseBody { writer in
                try await writer.write(ByteBuffer(repeating: 1, count: 10))
                try await Task.sleep(for: .seconds(10))
                try await writer.finish(nil)
            }
        )
    }
    // Content-Length claims 100 bytes but 256 KiB follow: HTTP/1.1 framing ends the body at 100.
    router.get("lying-small") { _, _ in
        Response(
            status: .ok,
            headers: [.contentType: "image/png", .contentLength: "100"],
            body: ResponseBody { writer in
                try await writer.write(ByteBuffer(repeating: 7, count: 256 * 1024))
                try await writer.finish(nil)
            }
        )
    }
    router.get("slow-head") { _, _ -> Response in
        try await Task.sleep(for: .seconds(20))
        return Response(status: .ok, body: .init(byteBuffer: ByteBuffer(bytes: imageBytes)))
    }
    // Headers at once, then 10 bytes every 100 ms for 20 s.
    router.get("slow-body") { _, _ in
        Response(
            status: .ok,
            body: ResponseBody { writer in
                for _ in 0..<200 {
                    try await writer.write(ByteBuffer(repeating: 2, count: 10))
                    try await Task.sleep(for: .milliseconds(100))
                }
                try await writer.finish(nil)
            }
        )
    }
    // Each hop takes 500 ms; /slow-redirect/N redirects N times.
    router.get("slow-redirect/:n") { _, context -> Response in
        let n = try context.parameters.require("n", as: Int.self)
        try await Task.sleep(for: .milliseconds(500))
        if n == 0 { return Response(status: .ok, body: .init(byteBuffer: ByteBuffer(bytes: imageBytes))) }
        return Response(status: .found, headers: [.location: "/slow-redirect/\(n - 1)"])
    }

    let (ports, portContinuation) = AsyncStream.makeStream(of: Int.self)
    let app = Application(
        router: router,
        configuration: .init(address: .hostname("127.0.0.1", port: 0)),
        onServerRunning: { channel in
            portContinuation.yield(channel.localAddress?.port ?? 0)
            portContinuation.finish()
        },
        // Stopping the server by cancellation makes Hummingbird log errors; keep test output readable.
        logger: Logger(label: "NetTests.server", factory: { _ in SwiftLogNoOpLogHandler() })
    )
    return try await withThrowingTaskGroup(of: T?.self) { group in
        group.addTask {
            try await app.runService(gracefulShutdownSignals: [])
            return nil
        }
        var iterator = ports.makeAsyncIterator()
        guard let port = await iterator.next(), port > 0 else {
            group.cancelAll()
            throw TestServerError.noPort
        }
        let result = try await body(port, hits)
        group.cancelAll()
        return result
    }
}

enum TestServerError: Error { case noPort }

struct CountingMiddleware<Context: RequestContext>: RouterMiddleware {
    let hits: HitCounter

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        hits.record(request.uri.path)
        return try await next(request, context)
    }
}

/// A fetcher with its own correctly configured client, shut down afterwards.
@discardableResult
func withFetcher<T: Sendable>(
    _ policy: FetchPolicy,
    addressFilter: (@Sendable (String, String) -> Bool)? = nil,
    _ body: @Sendable (SafeFetcher) async throws -> T
) async throws -> T {
    let client = SafeFetcher.makeHTTPClient(policy: policy)
    let fetcher = SafeFetcher(httpClient: client, policy: policy, addressFilter: addressFilter)
    do {
        let result = try await body(fetcher)
        try await client.shutdown()
        return result
    } catch {
        try? await client.shutdown()
        throw error
    }
}

/// Runs `operation`, expecting it to throw exactly `expected`; returns the elapsed time.
@discardableResult
func expectFetchError(
    _ expected: FetchError,
    sourceLocation: SourceLocation = #_sourceLocation,
    _ operation: () async throws -> FetchedResource
) async -> Duration {
    let start = ContinuousClock.now
    do {
        let resource = try await operation()
        Issue.record("expected \(expected), got \(resource.bytes.count) bytes from \(resource.finalURL)", sourceLocation: sourceLocation)
    } catch {
        #expect(error as? FetchError == expected, sourceLocation: sourceLocation)
    }
    return ContinuousClock.now - start
}
