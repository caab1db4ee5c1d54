import Foundation
import Hummingbird
import HummingbirdTesting
import Logging
import Synchronization
import Testing

@testable import ProdVisualDomain
@testable import ProdVisualHTTP

/// A clock the test moves by hand.
final class TestClock: Sendable {
    private let current: Mutex<Date>
    init(_ start: Date = Date()) { current = Mutex(start) }
    var now: Date { current.withLock { $0 } }
    func advance(by seconds: TimeInterval) { current.withLock { $0 = $0.addingTimeInterval(seconds) } }
}

/// Real bench data, read in place from the shared folder beside the checkout.
enum Bench {
    static let root = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("../shared/bench").standardizedFileURL

    static func packshot(_ product: String, _ file: String) throws -> [UInt8] {
        Array(try Data(contentsOf: root.appendingPathComponent("packshots/\(product)/\(file)")))
    }

    /// A duffel bag on white, 1024x1024.
    static func bag() throws -> [UInt8] { try packshot("B07GTFSCHB", "844a1cce.jpg") }
}

/// A server over a fresh data directory, with one account and a live and a test key.
struct Harness {
    let configuration: ServerConfiguration
    let services: AppServices
    let clock: TestClock
    let accountID: String
    let liveKey: String
    let testKey: String
    let logger = Logger(label: "test")

    static func make(credits: Int = 100, rateLimits: RateLimits = RateLimits(), allowPrivate: Bool = true) async throws -> Harness {
        var configuration = ServerConfiguration()
        configuration.storage.dataDirectory = FileManager.default.temporaryDirectory.appendingPathComponent("pv-http-\(UUID().uuidString)")
        configuration.publicURL = "http://files.test"
        configuration.rateLimits = rateLimits
        configuration.allowPrivateSources = allowPrivate
        configuration.workers = 2
        let clock = TestClock()
        let services = try await AppServices.open(configuration, logger: Logger(label: "test"), clock: { clock.now })
        let first = try #require(try await services.accounts.bootstrapIfEmpty(credits: credits))
        return Harness(
            configuration: configuration, services: services, clock: clock, accountID: first.account.id,
            liveKey: first.live.secret, testKey: first.test.secret)
    }

    /// Runs `body` against the router in process (no sockets), then releases the services.
    func test(_ body: @Sendable (any TestClientProtocol) async throws -> Void) async throws {
        let (router, _) = try buildRouter(services: services, logger: logger, clock: { clock.now })
        let app = Application(router: router, logger: logger)
        do {
            try await app.test(.router, body)
        } catch {
            try await services.shutdown()
            throw error
        }
        try await services.shutdown()
    }
}

struct WireError: Decodable {
    struct Body: Decodable {
        let code: String
        let message: String
        let status: Int
    }
    let error: Body
}

struct WireGeneration: Decodable {
    let id: String
    let status: String
    let output_url: String?
    let style: String
    let platform: String
    let dimensions: String
    let format: String
    let file_size: Int?
    let credits_used: Int
    let credits_remaining: Int?
    let cutout_confidence: Double?
    let generation_time_ms: Int?
    let created_at: String
    let expires_at: String
}

extension TestResponse {
    func decoded<T: Decodable>(_ type: T.Type) throws -> T {
        try JSONDecoder().decode(T.self, from: Data(body.readableBytesView))
    }

    func jsonObject(sourceLocation: SourceLocation = #_sourceLocation) throws -> [String: Any] {
        try #require(try JSONSerialization.jsonObject(with: Data(body.readableBytesView)) as? [String: Any], sourceLocation: sourceLocation)
    }

    /// Asserts the error envelope with its code and status, and returns the message.
    @discardableResult
    func expectError(_ code: String, _ status: Int, sourceLocation: SourceLocation = #_sourceLocation) throws -> String {
        #expect(self.status.code == status, "status", sourceLocation: sourceLocation)
        let envelope = try decoded(WireError.self)
        #expect(envelope.error.code == code, sourceLocation: sourceLocation)
        #expect(envelope.error.status == status, sourceLocation: sourceLocation)
        #expect(!envelope.error.message.isEmpty, sourceLocation: sourceLocation)
        return envelope.error.message
    }
}

func bearer(_ key: String) -> HTTPFields { [.authorization: "Bearer \(key)", .contentType: "application/json"] }

func jsonBody(_ object: [String: Any]) -> ByteBuffer {
    ByteBuffer(bytes: try! JSONSerialization.data(withJSONObject: object))
}

/// The path and query of an output URL, to fetch it through the router.
func outputPath(_ url: String) throws -> String {
    let components = try #require(URLComponents(string: url))
    return components.percentEncodedPath + "?" + (components.percentEncodedQuery ?? "")
}

/// Runs `call` `count` times at once and collects the HTTP status codes.
func concurrentStatuses(_ count: Int, _ call: @escaping @Sendable () async throws -> Int) async throws -> [Int] {
    try await withThrowingTaskGroup(of: Int.self) { group in
        for _ in 0..<count { group.addTask(operation: call) }
        var statuses: [Int] = []
        for try await status in group { statuses.append(status) }
        return statuses
    }
}
