import Crypto
import Foundation
import ProdVisualEngine
import ProdVisualStore
import Testing

@testable import ProdVisualDomain

@Suite struct GenerationPlanTests {
    func plan(_ style: String = "white_bg", platform: String? = nil, dimensions: String? = nil, format: String? = nil, background: String? = nil) throws -> GenerationPlan {
        try GenerationPlan(validating: GenerationRequest(
            source: .url("https://example.com/a.jpg"), style: style, platform: platform, dimensions: dimensions,
            background: background, format: format))
    }

    @Test func platformPresetsSupplyDefaults() throws {
        let amazon = try plan(platform: "amazon")
        #expect(amazon.dimensions == "2000x2000")
        #expect(amazon.platform.productFill == 0.85)
        #expect(amazon.format == .png)
        #expect(amazon.quality == 90)
        #expect(amazon.background == .color(.white))
        let generic = try plan()
        #expect(generic.dimensions == "1500x1500")
        // Zalando takes JPEG only, so its preset defaults to it.
        #expect(try plan(platform: "zalando").format == .jpeg)
        // ...but a transparent cutout cannot be JPEG: the default falls back to PNG.
        #expect(try plan("transparent", platform: "zalando").format == .png)
    }

    @Test func explicitParametersOverridePresets() throws {
        let custom = try plan(platform: "amazon", dimensions: "1200X800", format: "JPG", background: "#F0F0F0")
        #expect(custom.width == 1200 && custom.height == 800)
        #expect(custom.format == .jpeg)
        #expect(custom.background == .color(RGBColor(r: 0xF0, g: 0xF0, b: 0xF0)))
    }

    @Test func transparentBackgroundSelectsTheTransparentComposition() throws {
        let spec = try plan(background: "transparent").renderSpec(watermark: nil)
        #expect(spec.composition == .transparent)
        #expect(try plan().renderSpec(watermark: "SAMPLE").watermark == "SAMPLE")
    }

    @Test func dimensionBounds() throws {
        #expect(throws: ServiceError.self) { try plan(dimensions: "49x100") }
        #expect(throws: ServiceError.self) { try plan(dimensions: "100x8001") }
        #expect(throws: ServiceError.self) { try plan(dimensions: "7000x7000") }
        #expect(throws: ServiceError.self) { try plan(dimensions: "100x") }
        #expect(throws: ServiceError.self) { try plan(dimensions: "-100x100") }
        #expect(try plan(dimensions: "50x8000").height == 8000)
    }
}

@Suite struct RateLimiterTests {
    @Test func minuteWindowResetsOnTheMinute() async throws {
        let limiter = RateLimiter(limits: RateLimits(perMinute: 2, perDay: 100))
        let start = Date(timeIntervalSince1970: 1_800_000_030)  // 30 s into a minute
        #expect(try await limiter.consume(key: "k", now: start).remaining == 1)
        #expect(try await limiter.consume(key: "k", now: start).remaining == 0)
        let refused = try await limiter.consume(key: "k", now: start)
        #expect(!refused.allowed)
        #expect(refused.reset == 1_800_000_040 + 20)
        #expect(refused.retryAfter == 30)
        #expect(try await limiter.consume(key: "other", now: start).allowed)
        #expect(try await limiter.consume(key: "k", now: start.addingTimeInterval(30)).allowed)
    }

    @Test func dailyWindowBindsWhenTighter() async throws {
        let limiter = RateLimiter(limits: RateLimits(perMinute: 60, perDay: 3))
        let start = Date(timeIntervalSince1970: 1_800_000_000)
        for minute in 0..<3 {
            #expect(try await limiter.consume(key: "k", now: start.addingTimeInterval(Double(minute) * 60)).allowed)
        }
        let refused = try await limiter.consume(key: "k", now: start.addingTimeInterval(300))
        #expect(!refused.allowed)
        #expect(refused.window == .day)
        #expect(refused.limit == 3)
        #expect(refused.reset % 86_400 == 0)
    }
}

@Suite struct OutputStorageTests {
    let storage: OutputStorage
    let now = Date(timeIntervalSince1970: 1_800_000_000)

    init() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("pv-out-\(UUID().uuidString)")
        storage = OutputStorage(
            objects: try LocalFolderObjectStore(root: directory), publicURL: "https://cdn.example/", secret: SymmetricKey(size: .bits256))
    }

    func query(_ url: String) throws -> (expires: String?, signature: String?) {
        let items = try #require(URLComponents(string: url)?.queryItems)
        return (items.first { $0.name == "expires" }?.value, items.first { $0.name == "signature" }?.value)
    }

    @Test func signedURLsResolveUntilExpiry() async throws {
        _ = try await storage.write([1, 2, 3], as: "gen_abc.png")
        let url = storage.url(for: "gen_abc.png", expiresAt: now.addingTimeInterval(60))
        #expect(url.hasPrefix("https://cdn.example/output/gen_abc.png?expires="))
        let (expires, signature) = try query(url)
        #expect(try await storage.read(fileName: "gen_abc.png", expires: expires, signature: signature, now: now) == [1, 2, 3])
        #expect(try await storage.read(fileName: "gen_abc.png", expires: expires, signature: signature, now: now.addingTimeInterval(61)) == nil)
        #expect(try await storage.read(fileName: "gen_abd.png", expires: expires, signature: signature, now: now) == nil)
        #expect(try await storage.read(fileName: "gen_abc.png", expires: expires.map { $0 + "0" }, signature: signature, now: now) == nil)
        #expect(try await storage.read(fileName: "gen_abc.png", expires: expires, signature: nil, now: now) == nil)
        try await storage.delete("gen_abc.png")
        #expect(try await storage.read(fileName: "gen_abc.png", expires: expires, signature: signature, now: now) == nil)
    }

    @Test func fileNamesCannotEscapeTheDirectory() {
        #expect(OutputStorage.isSafeFileName("gen_abc.png"))
        #expect(!OutputStorage.isSafeFileName("../server.key"))
        #expect(!OutputStorage.isSafeFileName(".hidden"))
        #expect(!OutputStorage.isSafeFileName("a/b.png"))
        #expect(!OutputStorage.isSafeFileName(""))
    }
}

@Suite struct AccountServiceTests {
    let accounts: AccountService
    let store: SQLiteStore

    init() throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("pv-acct-\(UUID().uuidString).sqlite").path
        store = try SQLiteStore(path: path)
        accounts = AccountService(store: store, sealer: KeySealer(serverSecret: SymmetricKey(size: .bits256)))
    }

    @Test func keysAreStoredOnlyAsHashes() async throws {
        let first = try #require(try await accounts.bootstrapIfEmpty(credits: 100))
        #expect(first.live.secret.hasPrefix("pv_live_"))
        #expect(first.test.secret.hasPrefix("pv_test_"))
        #expect(first.live.secret.count == "pv_live_".count + 32)
        let stored = try await store.keys(accountID: first.account.id)
        #expect(stored.count == 2)
        for key in stored {
            #expect(key.secretHash != first.live.secret && key.secretHash != first.test.secret)
            #expect(!key.secretHash.contains("pv_"))
        }
        #expect(try await accounts.authenticate(bearer: first.live.secret).mode == .live)
        #expect(try await accounts.authenticate(bearer: first.test.secret).mode == .test)
        // A second start finds the account and creates nothing.
        #expect(try await accounts.bootstrapIfEmpty(credits: 100) == nil)
    }

    @Test func signingSecretsAreSealedNotStoredPlain() async throws {
        let first = try #require(try await accounts.bootstrapIfEmpty(credits: 1))
        let stored = try #require(try await store.key(id: first.live.record.id))
        let sealed = try #require(stored.sealedSecret)
        #expect(!sealed.contains(first.live.secret) && !sealed.contains(String(first.live.secret.dropFirst(8))))
        #expect(try await accounts.signingSecret(keyID: first.live.record.id) == first.live.secret)
        // Another server's secret cannot open it.
        let stranger = AccountService(store: store, sealer: KeySealer(serverSecret: SymmetricKey(size: .bits256)))
        #expect(try await stranger.signingSecret(keyID: first.live.record.id) == nil)
    }

    @Test func keysFromBeforeSealingLearnTheirSecretAtFirstUse() async throws {
        let account = try await accounts.createAccount(name: "old", credits: 0)
        let secret = "pv_live_" + Identifiers.randomBase62(32)
        try await store.insertKey(APIKeyRecord(
            id: "key_old", accountID: account.id, mode: .live, secretHash: Identifiers.sha256Hex(secret), hint: "abcd",
            name: "old", createdAt: Date()))
        #expect(try await accounts.signingSecret(keyID: "key_old") == nil)
        _ = try await accounts.authenticate(bearer: secret)
        #expect(try await accounts.signingSecret(keyID: "key_old") == secret)
    }

    @Test func secretsAreUnique() {
        let secrets = Set((0..<1000).map { _ in Identifiers.randomBase62(32) })
        #expect(secrets.count == 1000)
    }
}
