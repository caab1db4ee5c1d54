import Foundation
import Hummingbird
import HummingbirdTesting
import Logging
import NIOCore
import Synchronization
import Testing

@testable import ProdVisualDomain
@testable import ProdVisualEngine
@testable import ProdVisualHTTP

/// Records POSTs to /hook on a loopback server.
final class HookInbox: Sendable {
    private let bodies = Mutex<[Data]>([])

    func record(_ data: Data) {
        bodies.withLock { $0.append(data) }
    }

    var received: [[String: Any]] {
        bodies.withLock { $0 }.compactMap { try? JSONSerialization.jsonObject(with: $0) as? [String: Any] }
    }
}

/// The EcomViz surface end to end: photos served from ../shared/bench/packshots on loopback,
/// the real router on a socket, job workers and webhook deliveries running in process.
@Suite(.serialized) struct EcomVizTests {
    static let engine = try! ImageEngine()
    static let bag = "B07GTFSCHB/844a1cce.jpg"

    /// Serves the packshots (or `folder`) and a webhook inbox; runs `body` with their base URL.
    func withLoopback(folder: String? = nil, _ body: @Sendable (_ base: String, _ inbox: HookInbox) async throws -> Void) async throws {
        let inbox = HookInbox()
        let router = Router()
        router.add(middleware: FileMiddleware(folder ?? Bench.root.appendingPathComponent("packshots").path, searchForIndexHtml: false))
        router.post("hook") { request, _ -> HTTPResponse.Status in
            inbox.record(Data(try await request.body.collect(upTo: 1 << 20).readableBytesView))
            return .ok
        }
        let app = Application(router: router, configuration: .init(address: .hostname("127.0.0.1", port: 0)))
        try await app.test(.live) { client in
            try await body("http://127.0.0.1:\(try #require(client.port))", inbox)
        }
    }

    /// The API on a socket with workers and webhook deliveries running.
    func live(_ harness: Harness, _ body: @Sendable (any TestClientProtocol) async throws -> Void) async throws {
        let (router, _) = try buildRouter(services: harness.services, logger: harness.logger)
        let app = Application(router: router, configuration: .init(address: .hostname("127.0.0.1", port: 0)), logger: harness.logger)
        let workers = Task { await harness.services.jobs.run() }
        let webhooks = Task { await harness.services.webhooks.run() }
        defer {
            workers.cancel()
            webhooks.cancel()
        }
        do {
            try await app.test(.live, body)
        } catch {
            await harness.services.jobs.shutdown()
            try await harness.services.shutdown()
            throw error
        }
        await harness.services.jobs.shutdown()
        try await harness.services.shutdown()
    }

    func post(_ client: some TestClientProtocol, _ path: String, _ harness: Harness, _ body: [String: Any]) async throws -> (Int, [String: Any]) {
        try await client.execute(uri: path, method: .post, headers: bearer(harness.liveKey), body: jsonBody(body)) { response in
            (Int(response.status.code), try response.jsonObject())
        }
    }

    func get(_ client: some TestClientProtocol, _ path: String, _ harness: Harness) async throws -> (Int, [String: Any]) {
        try await client.execute(uri: path, method: .get, headers: bearer(harness.liveKey)) { response in
            (Int(response.status.code), try response.jsonObject())
        }
    }

    @Test func createAnalyseGenerateAndList() async throws {
        let harness = try await Harness.make(credits: 20)
        let photo = try Bench.packshot("B07GTFSCHB", "844a1cce.jpg")
        try await withLoopback { base, inbox in
            try await live(harness) { client in
                let (status, created) = try await post(client, "/api/products/url", harness, [
                    "imageUrls": ["\(base)/\(Self.bag)", "\(base)/B07GTFSCHB/31afd5f5.jpg"],
                ])
                #expect(status == 200, "\(created)")
                #expect(created["success"] as? Bool == true)
                let product = try #require(created["data"] as? [String: Any])
                let id = try #require(product["_id"] as? String)
                #expect(id.count == 24 && id.allSatisfy(\.isHexDigit))
                #expect(product["productName"] as? String == "844a1cce", "named after the first URL's file")
                #expect(product["createdAt"] as? String != nil)
                let analysis = try #require(product["aiAnalysis"] as? [String: Any])
                #expect(analysis["nameSource"] as? String == "url")
                #expect((analysis["images"] as? [Any])?.count == 2)

                // Fill and box against the cutout, colours against the photo's own pixels.
                let cutout = try Self.engine.decodePixels(try Self.engine.cutout(source: photo).png)
                var inside = 0, near = 0
                let colors = try #require(analysis["dominantColors"] as? [[String: Any]])
                let topHex = try #require(colors.first?["hex"] as? String)
                let top = try #require(RGBColor(hex: topHex))
                for y in 0..<cutout.height { for x in 0..<cutout.width where cutout.alpha(x: x, y: y) >= 128 {
                    inside += 1
                    let pixel = cutout.rgb(x: x, y: y)
                    let dr = Double(Int(pixel[0]) - Int(top.r)), dg = Double(Int(pixel[1]) - Int(top.g)), db = Double(Int(pixel[2]) - Int(top.b))
                    if (dr * dr + dg * dg + db * db).squareRoot() < 48 { near += 1 }
                } }
                let maskShare = Double(inside) / Double(cutout.width * cutout.height)
                let fill = try #require(analysis["fill"] as? [String: Any])
                #expect(abs((fill["mask"] as? Double ?? -1) - maskShare) < 0.05, "fill \(fill) vs cutout \(maskShare)")
                let topShare = try #require(colors.first?["share"] as? Double)
                #expect(Double(near) / Double(inside) >= topShare * 0.5, "top colour \(top.hex) covers \(near)/\(inside) of the product")
                let names = try #require(product["colors"] as? [String])
                #expect(names.first == colors.first?["name"] as? String)
                #expect(!names.contains("white") || (colors.first { $0["name"] as? String == "white" }?["share"] as? Double ?? 0) > 0.03)

                let (accepted, task) = try await post(client, "/api/products/\(id)/generate", harness, [
                    "imageType": [["main": 3, "aspectRatio": "1:1"], ["detail": 2, "aspectRatio": "4:3"], ["facebook": 1, "aspectRatio": "4:3"]],
                    "platform": "general", "region": "global", "language": "org_text",
                    "webhook": ["url": "\(base)/hook", "token": "tok-123"],
                ])
                #expect(accepted == 200, "\(task)")
                #expect(task["message"] as? String == "Image generation task started")
                #expect(task["productId"] as? String == id)
                #expect(task["images"] as? Int == 6)
                #expect(task["creditsRemaining"] as? Int == 14)

                let deadline = ContinuousClock.now.advanced(by: .seconds(240))
                while inbox.received.isEmpty, ContinuousClock.now < deadline { try await Task.sleep(for: .milliseconds(200)) }
                let hook = try #require(inbox.received.first)
                #expect(hook["productId"] as? String == id)
                #expect(hook["token"] as? String == "tok-123")
                #expect(hook["status"] as? String == "completed")
                #expect((hook["generatedImages"] as? [Any])?.count == 6, "\(hook["failedImages"] ?? "")")

                let (found, shown) = try await get(client, "/api/products/\(id)", harness)
                #expect(found == 200)
                let images = try #require((shown["data"] as? [String: Any])?["generatedImages"] as? [[String: Any]])
                #expect(images.count == 6)
                var seen: [String: Int] = [:]
                for image in images {
                    let params = try #require(image["generationParams"] as? [String: Any])
                    let kind = try #require(params["imageType"] as? String)
                    seen[kind, default: 0] += 1
                    #expect(params["platform"] as? String == "general" && params["region"] as? String == "global")
                    let ratio = try #require(params["aspectRatio"] as? String)
                    #expect(ratio == (kind == "main" ? "1:1" : "4:3"))
                    let url = try #require(image["filePath"] as? String)
                    let bytes = try await client.execute(uri: try outputPath(url), method: .get) { Array($0.body.readableBytesView) }
                    let pixels = try Self.engine.decodePixels(bytes)
                    let expected = ratio == "1:1" ? 1.0 : 4.0 / 3.0
                    #expect(abs(Double(pixels.width) / Double(pixels.height) - expected) < 0.01, "\(kind) \(pixels.width)x\(pixels.height)")
                }
                #expect(seen == ["main": 3, "detail": 2, "facebook": 1])
                #expect(try await harness.services.accounts.credits(accountID: harness.accountID).balance == 14)
            }
        }
    }

    @Test func badRequestsGetClearErrorsInTheEcomVizEnvelope() async throws {
        let harness = try await Harness.make(credits: 5)
        try await withLoopback { base, _ in
            try await live(harness) { client in
                let (_, created) = try await post(client, "/api/products/url", harness, ["imageUrls": ["\(base)/\(Self.bag)"]])
                let id = try #require((created["data"] as? [String: Any])?["_id"] as? String)
                func refusal(_ body: [String: Any], path: String? = nil, status: Int = 400) async throws -> String {
                    let (code, json) = try await post(client, path ?? "/api/products/\(id)/generate", harness, body)
                    #expect(code == status, "\(json)")
                    #expect(json["success"] as? Bool == false)
                    let error = try #require(json["error"] as? [String: Any])
                    return "\(error["code"] ?? "") \(error["message"] ?? "")"
                }
                let ratio = try await refusal(["imageType": [["main": 1, "aspectRatio": "5:4"]]])
                #expect(ratio.hasPrefix("invalid_request") && ratio.contains("5:4") && ratio.contains("16:9"), "\(ratio)")
                let unknown = try await refusal(["imageType": [["banner": 1]]])
                #expect(unknown.contains("banner") && unknown.contains("main, detail, facebook"), "\(unknown)")
                let vto = try await refusal(["imageType": [["vto": ["red"]]]])
                #expect(vto.contains("person") && vto.contains("default-person"), "\(vto)")
                let tooMany = try await refusal(["imageType": [["main": 11]]])
                #expect(tooMany.contains("1 to 10"), "\(tooMany)")
                let missing = try await refusal(["imageType": [["main": 1]]], path: "/api/products/ffffffffffffffffffffffff/generate", status: 404)
                #expect(missing.hasPrefix("not_found"), "\(missing)")
                let (code, json) = try await get(client, "/api/products/ffffffffffffffffffffffff", harness)
                #expect(code == 404 && json["success"] as? Bool == false)
                let noURLs = try await refusal(["imageUrls": [] as [Any]], path: "/api/products/url")
                #expect(noURLs.contains("imageUrls"), "\(noURLs)")
                let unreachable = try await refusal(["imageUrls": ["\(base)/nope.jpg"]], path: "/api/products/url")
                #expect(unreachable.contains("imageUrls[0]") && unreachable.contains("404"), "\(unreachable)")
                #expect(try await harness.services.accounts.credits(accountID: harness.accountID).balance == 5, "errors cost nothing")
            }
        }
        // An unauthenticated call gets the envelope too.
        let other = try await Harness.make()
        try await other.test { client in
            try await client.execute(uri: "/api/products/abc", method: .get) { response in
                #expect(response.status == .unauthorized)
                let json = try response.jsonObject()
                #expect(json["success"] as? Bool == false)
                #expect((json["error"] as? [String: Any])?["code"] as? String == "unauthorized")
            }
        }
    }

    /// A blue case on white with a white logo (a disc and "ACME") printed on its side.
    static func printedProduct(logo: Bool) throws -> [UInt8] {
        var stage = Stage(width: 1000, height: 800)
        try stage.draw(.roundedRect, from: (150, 150), to: (850, 650), size: 40, colour: RGBColor(r: 46, g: 92, b: 150))
        if logo {
            try stage.draw(.ellipse, from: (330, 330), to: (410, 410), colour: RGBColor(r: 250, g: 250, b: 250))
            try stage.text("ACME", in: PixelRect(x: 425, y: 330, width: 220, height: 80), font: .heavy, colour: RGBColor(r: 250, g: 250, b: 250))
        }
        return try Vips.encode(stage.canvas, as: .jpeg, quality: 95)
    }

    /// Light pixels inside the middle of the product: the printed logo, if any.
    static func lightPixelsInside(_ image: PixelImage) -> Int {
        var minX = Int.max, maxX = 0, minY = Int.max, maxY = 0
        for y in 0..<image.height { for x in 0..<image.width where image.rgb(x: x, y: y)[2] < 200 && image.rgb(x: x, y: y)[0] < 120 {
            minX = min(minX, x); maxX = max(maxX, x); minY = min(minY, y); maxY = max(maxY, y)
        } }
        guard maxX > minX, maxY > minY else { return -1 }
        // The inner 70% of the product's box: away from its rounded, anti-aliased outline.
        let insetX = (maxX - minX) * 15 / 100, insetY = (maxY - minY) * 15 / 100
        var light = 0
        for y in (minY + insetY)..<(maxY - insetY) { for x in (minX + insetX)..<(maxX - insetX) where image.rgb(x: x, y: y).allSatisfy({ $0 > 180 }) {
            light += 1
        } }
        return light
    }

    @Test func aPrintedLogoIsRemovedOnRequest() async throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("pv-logo-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        try Data(try Self.printedProduct(logo: true)).write(to: folder.appendingPathComponent("acme-case.jpg"))
        // The same case without the logo, to check the measure itself.
        let plain = try Self.engine.decodePixels(try Self.printedProduct(logo: false))
        #expect(Self.lightPixelsInside(plain) == 0)

        let harness = try await Harness.make(credits: 5)
        try await withLoopback(folder: folder.path) { base, _ in
            try await live(harness) { client in
                let (_, created) = try await post(client, "/api/products/url", harness, ["imageUrls": ["\(base)/acme-case.jpg"]])
                let id = try #require((created["data"] as? [String: Any])?["_id"] as? String)
                #expect((created["data"] as? [String: Any])?["productName"] as? String == "Acme Case")
                var light: [Bool: Int] = [:]
                for remove in [false, true] {
                    let (status, task) = try await post(client, "/api/products/\(id)/generate", harness, [
                        "imageType": [["main": 1]], "removeBrandLogo": remove,
                    ])
                    #expect(status == 200, "\(task)")
                    let taskID = try #require(task["taskId"] as? String)
                    let deadline = ContinuousClock.now.advanced(by: .seconds(120))
                    var image: [String: Any]?
                    while image == nil, ContinuousClock.now < deadline {
                        try await Task.sleep(for: .milliseconds(200))
                        let batch = try await harness.services.generations.batch(id: taskID, for: try await harness.services.accounts.authenticate(bearer: harness.liveKey))
                        if batch.batch.completedAt != nil {
                            let (_, shown) = try await get(client, "/api/products/\(id)", harness)
                            let images = (shown["data"] as? [String: Any])?["generatedImages"] as? [[String: Any]] ?? []
                            image = images.first { ($0["generationParams"] as? [String: Any])?["removeBrandLogo"] as? Bool == remove }
                        }
                    }
                    let url = try #require(image?["filePath"] as? String)
                    let bytes = try await client.execute(uri: try outputPath(url), method: .get) { Array($0.body.readableBytesView) }
                    light[remove] = Self.lightPixelsInside(try Self.engine.decodePixels(bytes))
                }
                let kept = try #require(light[false]), removed = try #require(light[true])
                #expect(kept > 2000, "the logo shows without removal: \(kept) light pixels")
                #expect(removed < kept / 20, "removed: \(removed) light pixels left of \(kept)")
            }
        }
    }
}

/// Virtual try-on through /api/vto, with photos from ../shared/bench/vto served on loopback.
@Suite(.serialized) struct TryOnAPITests {
    let shared = EcomVizTests()

    func vtoFolder() -> String { Bench.root.appendingPathComponent("vto").path }

    func waitForTask(_ client: some TestClientProtocol, _ id: String, _ harness: Harness) async throws -> [String: Any] {
        let deadline = ContinuousClock.now.advanced(by: .seconds(180))
        while true {
            let (_, json) = try await shared.get(client, "/api/vto/\(id)", harness)
            let data = json["data"] as? [String: Any] ?? [:]
            let status = data["status"] as? String
            if status == "completed" || status == "failed" || ContinuousClock.now > deadline { return data }
            try await Task.sleep(for: .milliseconds(250))
        }
    }

    @Test func aGarmentIsTriedOnAPersonAndBadRequestsAreNamed() async throws {
        let harness = try await Harness.make(credits: 10)
        let persons = try FileManager.default.contentsOfDirectory(atPath: vtoFolder() + "/persons").filter { $0.hasSuffix(".jpg") }.sorted()
        let garments = try FileManager.default.contentsOfDirectory(atPath: vtoFolder() + "/garments").filter { $0.hasSuffix(".jpg") }.sorted()
        let person = try #require(persons.first), garment = try #require(garments.first)
        try await shared.withLoopback(folder: Bench.root.path) { base, inbox in
            try await shared.live(harness) { client in
                let (status, accepted) = try await shared.post(client, "/api/vto/generate-url", harness, [
                    "personImageUrl": "\(base)/vto/persons/\(person)",
                    "clothingImageUrls": [["url": "\(base)/vto/garments/\(garment)", "info": "price US9.9"]],
                    "height": 170, "weight": 60, "webhook": ["url": "\(base)/hook", "token": "vto-token"],
                ])
                #expect(status == 200, "\(accepted)")
                #expect(accepted["message"] as? String == "VTO try-on image generation task has been submitted")
                let id = try #require(accepted["vtoId"] as? String)
                #expect(accepted["personImage"] as? String == "\(base)/vto/persons/\(person)")
                #expect(accepted["clothingImages"] as? [String] == ["\(base)/vto/garments/\(garment)"])

                let task = try await waitForTask(client, id, harness)
                #expect(task["status"] as? String == "completed", "\(task)")
                let images = try #require(task["generatedImages"] as? [[String: Any]])
                #expect(images.count == 1)
                let url = try #require(images.first?["filePath"] as? String)
                let bytes = try await client.execute(uri: try outputPath(url), method: .get) { Array($0.body.readableBytesView) }
                let image = try EcomVizTests.engine.decodePixels(bytes)
                #expect(abs(Double(image.width) / Double(image.height) - 2.0 / 3.0) < 0.01, "default 2:3: \(image.width)x\(image.height)")
                let deadline = ContinuousClock.now.advanced(by: .seconds(30))
                while inbox.received.isEmpty, ContinuousClock.now < deadline { try await Task.sleep(for: .milliseconds(100)) }
                let hook = try #require(inbox.received.first)
                #expect(hook["vtoId"] as? String == id && hook["token"] as? String == "vto-token" && hook["status"] as? String == "completed")
                #expect(try await harness.services.accounts.credits(accountID: harness.accountID).balance == 9)

                func refusal(_ body: [String: Any], status: Int = 400) async throws -> String {
                    let (code, json) = try await shared.post(client, "/api/vto/generate-url", harness, body)
                    #expect(code == status, "\(json)")
                    let error = json["error"] as? [String: Any] ?? [:]
                    return "\(error["code"] ?? "") \(error["message"] ?? "")"
                }
                let valid: [String: Any] = ["personImageUrl": "\(base)/vto/persons/\(person)", "clothingImageUrls": [["url": "\(base)/vto/garments/\(garment)"]]]
                let tall = try await refusal(valid.merging(["height": 300]) { $1 })
                #expect(tall.contains("height") && tall.contains("250"), "\(tall)")
                let heavy = try await refusal(valid.merging(["weight": 5]) { $1 })
                #expect(heavy.contains("weight"), "\(heavy)")
                let ratio = try await refusal(valid.merging(["aspectRatio": "4:5"]) { $1 })
                #expect(ratio.contains("4:5") && ratio.contains("9:21"), "\(ratio)")
                let noPerson = try await refusal(valid.merging(["personImageUrl": "\(base)/packshots/B074M5HPBD/dcace9b5.jpg"]) { $1 }, status: 422)
                #expect(noPerson.hasPrefix("invalid_image") && noPerson.contains("personImageUrl"), "\(noPerson)")
                let unreadable = try await refusal(valid.merging(["clothingImageUrls": [["url": "\(base)/vto/garments/nope.jpg"]]]) { $1 })
                #expect(unreadable.contains("clothingImageUrls[0]"), "\(unreadable)")
                #expect(try await harness.services.accounts.credits(accountID: harness.accountID).balance == 9, "refusals cost nothing")
            }
        }
    }

    @Test func aProductsGarmentIsTriedOnTheDefaultPersonInEachColour() async throws {
        let harness = try await Harness.make(credits: 10)
        let person = try #require(try FileManager.default.contentsOfDirectory(atPath: vtoFolder() + "/persons").filter { $0.hasSuffix(".jpg") }.sorted().first)
        let garment = try #require(try FileManager.default.contentsOfDirectory(atPath: vtoFolder() + "/garments").filter { $0.hasSuffix(".jpg") }.sorted().first)
        try await shared.withLoopback(folder: Bench.root.path) { base, _ in
            try await shared.live(harness) { client in
                let (_, created) = try await shared.post(client, "/api/products/url", harness, ["imageUrls": ["\(base)/vto/garments/\(garment)"]])
                let id = try #require((created["data"] as? [String: Any])?["_id"] as? String)
                // No person yet: a clear 400.
                let (missing, refused) = try await shared.post(client, "/api/products/\(id)/generate", harness, ["imageType": [["vto": ["red"]]]])
                #expect(missing == 400, "\(refused)")
                let (set, answer) = try await client.execute(
                    uri: "/api/vto/default-person", method: .put, headers: bearer(harness.liveKey),
                    body: jsonBody(["personImageUrl": "\(base)/vto/persons/\(person)"])
                ) { (Int($0.status.code), try $0.jsonObject()) }
                #expect(set == 200 && answer["success"] as? Bool == true, "\(answer)")
                let (badColour, colourError) = try await shared.post(client, "/api/products/\(id)/generate", harness, ["imageType": [["vto": ["plaid"]]]])
                #expect(badColour == 400 && "\(colourError)".contains("plaid"))

                let (status, task) = try await shared.post(client, "/api/products/\(id)/generate", harness, [
                    "imageType": [["vto": ["red", "navy"], "aspectRatio": "3:4"]],
                ])
                #expect(status == 200 && task["images"] as? Int == 2, "\(task)")
                let deadline = ContinuousClock.now.advanced(by: .seconds(180))
                var images: [[String: Any]] = []
                while images.count < 2, ContinuousClock.now < deadline {
                    try await Task.sleep(for: .milliseconds(300))
                    let (_, shown) = try await shared.get(client, "/api/products/\(id)", harness)
                    images = (shown["data"] as? [String: Any])?["generatedImages"] as? [[String: Any]] ?? []
                }
                #expect(images.count == 2)
                let colours = images.compactMap { ($0["generationParams"] as? [String: Any])?["color"] as? String }.sorted()
                #expect(colours == ["navy", "red"])
                var redPixels: [String: Int] = [:]
                for image in images {
                    let url = try #require(image["filePath"] as? String)
                    let pixels = try EcomVizTests.engine.decodePixels(try await client.execute(uri: try outputPath(url), method: .get) { Array($0.body.readableBytesView) })
                    #expect(abs(Double(pixels.width) / Double(pixels.height) - 0.75) < 0.01)
                    // Share of strongly red pixels: the red garment has many, the navy one few.
                    var red = 0
                    for y in stride(from: 0, to: pixels.height, by: 2) { for x in stride(from: 0, to: pixels.width, by: 2) {
                        let p = pixels.rgb(x: x, y: y)
                        if Int(p[0]) > 120 && Int(p[0]) > Int(p[1]) + 60 && Int(p[0]) > Int(p[2]) + 60 { red += 1 }
                    } }
                    redPixels[(image["generationParams"] as? [String: Any])?["color"] as? String ?? ""] = red
                }
                let redImage = try #require(redPixels["red"]), navyImage = try #require(redPixels["navy"])
                #expect(redImage > navyImage * 3 + 500, "red pixels: red garment \(redImage), navy garment \(navyImage)")
                #expect(try await harness.services.accounts.credits(accountID: harness.accountID).balance == 8)
            }
        }
    }
}
