import Foundation
import Hummingbird
import HummingbirdTesting
import Logging
import NIOCore
import ProdVisualEngine
import Testing

@testable import ProdVisualHTTP

/// The real server on a loopback socket, fetching real photos from a second loopback server.
@Suite struct LiveServerTests {
    /// Serves ../shared/bench/packshots as static files, the way a shop's CDN would.
    func withPackshotServer(_ body: @Sendable (_ baseURL: String) async throws -> Void) async throws {
        let router = Router()
        router.add(middleware: FileMiddleware(Bench.root.appendingPathComponent("packshots").path, searchForIndexHtml: false))
        let app = Application(router: router, configuration: .init(address: .hostname("127.0.0.1", port: 0)))
        try await app.test(.live) { client in
            try await body("http://127.0.0.1:\(try #require(client.port))")
        }
    }

    func live(_ harness: Harness, _ body: @Sendable (any TestClientProtocol) async throws -> Void) async throws {
        let (router, _) = try buildRouter(services: harness.services, logger: harness.logger)
        let app = Application(router: router, configuration: .init(address: .hostname("127.0.0.1", port: 0)), logger: harness.logger)
        do {
            try await app.test(.live, body)
        } catch {
            try await harness.services.shutdown()
            throw error
        }
        try await harness.services.shutdown()
    }

    @Test func fetchesEveryPackshotAndRendersIt() async throws {
        let harness = try await Harness.make(credits: 50)
        let engine = try ImageEngine()
        let photos = try FileManager.default.subpathsOfDirectory(atPath: Bench.root.appendingPathComponent("packshots").path)
            .filter { $0.hasSuffix(".jpg") }.sorted()
        #expect(photos.count >= 10)
        try await withPackshotServer { base in
            try await live(harness) { client in
                for photo in photos {
                    let body = jsonBody(["image_url": "\(base)/\(photo)", "style": "white_bg", "dimensions": "500x500", "format": "jpeg"])
                    let generation = try await client.execute(uri: "/v1/generate", method: .post, headers: bearer(harness.liveKey), body: body) { response in
                        #expect(response.status == .ok, "\(photo): \(String(buffer: response.body))")
                        return try response.decoded(WireGeneration.self)
                    }
                    let image = try await client.execute(uri: try outputPath(try #require(generation.output_url)), method: .get) { response in
                        #expect(response.status == .ok)
                        return Array(response.body.readableBytesView)
                    }
                    let pixels = try engine.decodePixels(image)
                    #expect(pixels.width == 500 && pixels.height == 500)
                    // JPEG keeps flat white exactly white at quality 90.
                    #expect(pixels.rgb(x: 0, y: 0) == [255, 255, 255], "\(photo) corner")
                    #expect(pixels.rgb(x: 499, y: 499) == [255, 255, 255], "\(photo) corner")
                }
            }
        }
    }

    @Test func privateSourcesAreRefusedByDefault() async throws {
        let harness = try await Harness.make(credits: 5, allowPrivate: false)
        try await withPackshotServer { base in
            try await live(harness) { client in
                let body = jsonBody(["image_url": "\(base)/B07GTFSCHB/844a1cce.jpg", "style": "white_bg"])
                try await client.execute(uri: "/v1/generate", method: .post, headers: bearer(harness.liveKey), body: body) { response in
                    let message = try response.expectError("invalid_request", 400)
                    #expect(message.contains("127.0.0.1"), "\(message)")
                }
                // Nothing was charged for the refusal.
                try await client.execute(uri: "/v1/account/credits", method: .get, headers: bearer(harness.liveKey)) { response in
                    let json = try response.jsonObject()
                    #expect(json["credits_remaining"] as? Int == 5)
                }
            }
        }
    }

    @Test func missingSourceIsAClearError() async throws {
        let harness = try await Harness.make(credits: 5)
        try await withPackshotServer { base in
            try await live(harness) { client in
                let body = jsonBody(["image_url": "\(base)/nope.jpg", "style": "white_bg"])
                try await client.execute(uri: "/v1/generate", method: .post, headers: bearer(harness.liveKey), body: body) { response in
                    let message = try response.expectError("invalid_request", 400)
                    #expect(message.contains("404"), "\(message)")
                }
            }
        }
    }

    @Test func twentyConcurrentCallsOnFiveCredits() async throws {
        let harness = try await Harness.make(credits: 5)
        try await withPackshotServer { base in
            try await live(harness) { client in
                let body = jsonBody(["image_url": "\(base)/B074M5HPBD/9ea6992d.jpg", "style": "white_bg", "dimensions": "200x200"])
                // One connection each, so the server really sees twenty requests at once (one
                // connection would pipeline them one after another); the read timeout is generous
                // because five renders on a loaded machine may take a while.
                let port = try #require(client.port)
                let statuses = try await concurrentStatuses(20) {
                    let connection = TestClient(host: "127.0.0.1", port: port, configuration: .init(timeout: .seconds(120)))
                    connection.connect()
                    do {
                        let status = try await connection.execute(.init("/v1/generate", method: .post, headers: bearer(harness.liveKey), body: body)).head.status.code
                        try await connection.shutdown()
                        return status
                    } catch {
                        try? await connection.shutdown()
                        throw error
                    }
                }
                #expect(statuses.filter { $0 == 200 }.count == 5)
                #expect(statuses.filter { $0 == 402 }.count == 15)
                let summary = try await harness.services.accounts.credits(accountID: harness.accountID)
                #expect(summary.balance == 0)
                #expect(summary.usedTotal == 5)
            }
        }
    }
}
