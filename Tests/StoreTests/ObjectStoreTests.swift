import AsyncHTTPClient
import Foundation
import NIOCore
import NIOPosix
import Testing

@testable import ProdVisualStore

/// What the environment says about the S3 server to test against.
enum S3TestEnvironment {
    static let variables = [
        "PRODVISUAL_TEST_OBJECT_STORE_URL", "PRODVISUAL_TEST_S3_ENDPOINT", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY",
    ]
    static let environment = ProcessInfo.processInfo.environment

    static var missing: [String] { variables.filter { environment[$0]?.isEmpty ?? true } }
    /// Set where a missing service is a failure, not a reason to skip (CI).
    static var servicesRequired: Bool { environment["PRODVISUAL_REQUIRE_SERVICES"] == "1" }
    static var shouldRun: Bool { missing.isEmpty || servicesRequired }

    struct NotConfigured: Error, CustomStringConvertible {
        var description: String {
            "PRODVISUAL_REQUIRE_SERVICES=1 but the S3 test settings are missing: \(missing.joined(separator: ", "))"
        }
    }

    /// The configured location (`s3://BUCKET[/PREFIX]`), with `folder` appended when given.
    static func store(folder: String? = nil, secretAccessKey: String? = nil) throws -> S3ObjectStore {
        guard missing.isEmpty else { throw NotConfigured() }
        var url = environment["PRODVISUAL_TEST_OBJECT_STORE_URL"]!
        if url.hasSuffix("/") { url.removeLast() }
        var store = try S3ObjectStore(
            url: folder.map { "\(url)/\($0)" } ?? url, endpoint: environment["PRODVISUAL_TEST_S3_ENDPOINT"],
            region: environment["AWS_REGION"] ?? "us-east-1", accessKeyID: environment["AWS_ACCESS_KEY_ID"]!,
            secretAccessKey: secretAccessKey ?? environment["AWS_SECRET_ACCESS_KEY"]!, httpClient: .shared)
        // Two keys a page, so that deleteAll walks continuation tokens in every test.
        store.listPageSize = 2
        return store
    }
}

/// An implementation under test, and a store of it that no other test or run sees.
enum Backend: String, Sendable, CustomTestStringConvertible {
    case localFolder, s3

    /// The local folder always; S3 when the environment names a server, or when services are
    /// required, so that a missing server fails every S3 case.
    static var underTest: [Backend] { S3TestEnvironment.shouldRun ? [.localFolder, .s3] : [.localFolder] }

    var testDescription: String { rawValue }

    struct Fixture: Sendable {
        let store: any ObjectStore
        let cleanUp: @Sendable () async throws -> Void
    }

    /// A store of its own: a new folder, or a new prefix under the configured bucket location.
    func makeFixture() throws -> Fixture {
        let run = "run-\(UUID().uuidString.lowercased())"
        switch self {
        case .localFolder:
            let root = FileManager.default.temporaryDirectory.appendingPathComponent("pv-objects-\(run)")
            return Fixture(store: try LocalFolderObjectStore(root: root)) {
                try FileManager.default.removeItem(at: root)
            }
        case .s3:
            let parent = try S3TestEnvironment.store()
            return Fixture(store: try S3TestEnvironment.store(folder: run)) { try await parent.deleteAll(under: run) }
        }
    }
}

@Suite struct ObjectStoreTests {
    @Test(arguments: Backend.underTest)
    func putThenGetRoundTripsBytes(_ backend: Backend) async throws {
        let fixture = try backend.makeFixture()
        let everyByte = (0...255).map(UInt8.init) + [0, 0, 255]
        try await fixture.store.put(everyByte, key: "renders/gen_1/out.png", contentType: "image/png")
        #expect(try await fixture.store.get(key: "renders/gen_1/out.png") == everyByte)

        // A second put replaces the object whole.
        try await fixture.store.put([1, 2, 3], key: "renders/gen_1/out.png", contentType: "image/png")
        #expect(try await fixture.store.get(key: "renders/gen_1/out.png") == [1, 2, 3])

        try await fixture.store.put([], key: "empty", contentType: "application/octet-stream")
        #expect(try await fixture.store.get(key: "empty") == [])
        try await fixture.cleanUp()
    }

    @Test(arguments: Backend.underTest)
    func aMegabyteRoundTrips(_ backend: Backend) async throws {
        let fixture = try backend.makeFixture()
        var generator = SystemRandomNumberGenerator()
        let bytes = (0..<1_048_576).map { _ in UInt8.random(in: 0...255, using: &generator) }
        try await fixture.store.put(bytes, key: "photos/big.jpg", contentType: "image/jpeg")
        #expect(try await fixture.store.get(key: "photos/big.jpg") == bytes)
        try await fixture.cleanUp()
    }

    @Test(arguments: Backend.underTest)
    func aMissingKeyIsNil(_ backend: Backend) async throws {
        let fixture = try backend.makeFixture()
        #expect(try await fixture.store.get(key: "renders/none/out.png") == nil)
        try await fixture.cleanUp()
    }

    @Test(arguments: Backend.underTest)
    func deleteRemovesAndDeletingTwiceIsFine(_ backend: Backend) async throws {
        let fixture = try backend.makeFixture()
        try await fixture.store.put([7], key: "a/x.bin", contentType: "application/octet-stream")
        try await fixture.store.put([8], key: "a/y.bin", contentType: "application/octet-stream")
        try await fixture.store.delete(key: "a/x.bin")
        #expect(try await fixture.store.get(key: "a/x.bin") == nil)
        try await fixture.store.delete(key: "a/x.bin")
        try await fixture.store.delete(key: "never/was.bin")
        #expect(try await fixture.store.get(key: "a/y.bin") == [8])
        try await fixture.cleanUp()
    }

    @Test(arguments: Backend.underTest)
    func deleteAllRemovesExactlyThatPrefix(_ backend: Backend) async throws {
        let fixture = try backend.makeFixture()
        let doomed = ["a/b/1", "a/b/2", "a/b/3", "a/b/c/4", "a/b/c/5"]
        let kept = ["a/bc/1", "a/b.png", "a/1", "b/a/b/1"]
        for key in doomed + kept {
            try await fixture.store.put(Array(key.utf8), key: key, contentType: "text/plain")
        }
        try await fixture.store.deleteAll(under: "a/b")
        for key in doomed {
            #expect(try await fixture.store.get(key: key) == nil, "\(key) should be gone")
        }
        for key in kept {
            #expect(try await fixture.store.get(key: key) == Array(key.utf8), "\(key) should be kept")
        }
        // Nothing left under it, or never anything: not an error.
        try await fixture.store.deleteAll(under: "a/b")
        try await fixture.store.deleteAll(under: "nothing")
        try await fixture.cleanUp()
    }

    /// Every implementation, each set up so that any use of its backend would show: S3 pointed
    /// at a closed port (a request would fail as `.backend`), the folder checked untouched.
    @Test(arguments: ["../x", "a//b", ".hidden", "", "a/../../x", "/abs", "a/b/c/d/e", "sp ace"])
    func invalidKeysAreRefusedWithoutTouchingTheBackend(_ key: String) async throws {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("pv-objects-\(UUID().uuidString)/root")
        let folder = try LocalFolderObjectStore(root: root)
        let unreachable = try S3ObjectStore(
            url: "s3://bucket/prefix", endpoint: "http://127.0.0.1:1", region: "us-east-1", accessKeyID: "a",
            secretAccessKey: "s", httpClient: .shared)
        for store in [folder, unreachable] as [any ObjectStore] {
            await #expect(throws: ObjectStoreError.invalidKey(key)) {
                try await store.put([1], key: key, contentType: "text/plain")
            }
            await #expect(throws: ObjectStoreError.invalidKey(key)) { _ = try await store.get(key: key) }
            await #expect(throws: ObjectStoreError.invalidKey(key)) { try await store.delete(key: key) }
            await #expect(throws: ObjectStoreError.invalidKey(key)) { try await store.deleteAll(under: key) }
        }
        #expect(try FileManager.default.contentsOfDirectory(atPath: root.path).isEmpty)
        #expect(try FileManager.default.contentsOfDirectory(atPath: root.deletingLastPathComponent().path) == ["root"])
        try FileManager.default.removeItem(at: root.deletingLastPathComponent())
    }

    @Test(arguments: Backend.underTest)
    func concurrentPutsAreAllReadable(_ backend: Backend) async throws {
        let fixture = try backend.makeFixture()
        let store = fixture.store
        try await withThrowingTaskGroup(of: Void.self) { group in
            for index in 0..<20 {
                group.addTask {
                    try await store.put(Array("object \(index)".utf8), key: "many/\(index).txt", contentType: "text/plain")
                }
            }
            try await group.waitForAll()
        }
        for index in 0..<20 {
            #expect(try await store.get(key: "many/\(index).txt") == Array("object \(index)".utf8))
        }
        try await fixture.cleanUp()
    }

    @Test(.enabled(if: S3TestEnvironment.shouldRun))
    func s3RefusesAWrongSecretWith403() async throws {
        let store = try S3TestEnvironment.store(folder: "run-\(UUID().uuidString.lowercased())", secretAccessKey: "wrong-secret")
        do {
            try await store.put([1], key: "refused.bin", contentType: "application/octet-stream")
            Issue.record("a put signed with a wrong secret was accepted")
        } catch ObjectStoreError.backend(let message) {
            #expect(message.hasPrefix("PUT refused.bin: 403"), "\(message)")
        }
    }
}

/// The S3 store's parts that need no S3 server: settings, timeouts, reading S3's XML.
@Suite struct S3ObjectStoreOfflineTests {
    @Test func locationURLs() throws {
        #expect(try S3ObjectStore.Location.parse("s3://prodvisual") == .init(bucket: "prodvisual", prefix: nil))
        #expect(try S3ObjectStore.Location.parse("s3://prodvisual/") == .init(bucket: "prodvisual", prefix: nil))
        #expect(try S3ObjectStore.Location.parse("s3://my.bucket-1/env/prod/") == .init(bucket: "my.bucket-1", prefix: "env/prod"))
        for refused in [
            "prodvisual", "https://prodvisual", "s3://", "s3://ab", "s3://Upper", "s3://-bucket", "s3://bucket/../x",
            "s3://bucket//x", "s3://bucket/a/b/c/d/e", "s3://bucket?x=1", "s3://user@bucket",
        ] {
            #expect(throws: S3ConfigurationError.self, "\(refused)") { try S3ObjectStore.Location.parse(refused) }
        }
    }

    @Test func endpoints() throws {
        func store(_ endpoint: String?, region: String = "eu-west-1") throws -> S3ObjectStore {
            try S3ObjectStore(
                url: "s3://bucket", endpoint: endpoint, region: region, accessKeyID: "a", secretAccessKey: "s",
                httpClient: .shared)
        }
        #expect(try store(nil).endpoint == "https://s3.eu-west-1.amazonaws.com")
        #expect(try store("http://127.0.0.1:8333/").endpoint == "http://127.0.0.1:8333")
        for refused in ["127.0.0.1:8333", "ftp://host", "http://host/base", "http://host?x", "http://u:p@host"] {
            #expect(throws: S3ConfigurationError.self, "\(refused)") { try store(refused) }
        }
    }

    enum Stall: String, CaseIterable, Sendable {
        /// Connected (the kernel accepts it) but never read or answered.
        case beforeTheHead
        /// A head promising 100 bytes, then 7 of them: AsyncHTTPClient's own deadline is over.
        case inTheBody
    }

    @Test(arguments: Stall.allCases)
    func aStalledServerTimesOut(_ stall: Stall) async throws {
        let server = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    if stall == .inTheBody { try channel.pipeline.syncOperations.addHandler(HeadThenSilence()) }
                }
            }
            .bind(host: "127.0.0.1", port: 0).get()
        var store = try S3ObjectStore(
            url: "s3://bucket", endpoint: "http://127.0.0.1:\(try #require(server.localAddress?.port))",
            region: "us-east-1", accessKeyID: "a", secretAccessKey: "s", httpClient: .shared)
        store.requestTimeout = .milliseconds(500)

        let started = ContinuousClock.now
        await #expect {
            _ = try await store.get(key: "slow.bin")
        } throws: { error in
            guard case ObjectStoreError.backend(let message) = error else { return false }
            return message.hasPrefix("GET slow.bin:")
        }
        #expect(ContinuousClock.now - started < .seconds(5))
        try await server.close()
    }

    @Test func xmlTexts() {
        let page = """
            <ListBucketResult><IsTruncated>true</IsTruncated><Contents><Key>p/a&amp;b&#x27;&#39;&lt;</Key></Contents>\
            <Contents><Key>p/c</Key></Contents><NextContinuationToken>t/+=</NextContinuationToken></ListBucketResult>
            """
        #expect(S3XML.texts(of: "Key", in: page) == ["p/a&b''<", "p/c"])
        #expect(S3XML.text(of: "NextContinuationToken", in: page) == "t/+=")
        #expect(S3XML.text(of: "Code", in: page) == nil)
        #expect(S3XML.texts(of: "Key", in: "<Key>a &unknown; & b</Key>") == ["a &unknown; & b"])
    }
}

/// Answers the first bytes of a request with a head that promises a body it never finishes.
private final class HeadThenSilence: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer
    private var answered = false

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard !answered else { return }
        answered = true
        let head = "HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\npartial"
        context.writeAndFlush(wrapOutboundOut(ByteBuffer(string: head)), promise: nil)
    }
}
