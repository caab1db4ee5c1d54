import Foundation
import ProdVisualClient
import Testing
@testable import ServerHarness

/// The examples of sdks/swift/README.md, run against the real server. Each one's code is
/// below between `README example` markers, the same text but for its placeholders, which are
/// variables here (the key, the server's address, loopback photos); a test holds the two equal.
@Suite(.serialized, .timeLimit(.minutes(5)))
struct ReadmeExampleTests {
    static let readme = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("sdks/swift/README.md")

    @Test func theExamplesAreTheREADMEsText() throws {
        let readme = try String(contentsOf: Self.readme, encoding: .utf8)
        let blocks = readme.components(separatedBy: "```swift\n").dropFirst().map { $0.components(separatedBy: "```")[0] }
            .filter { $0.contains("import ProdVisualClient") }
        let source = try String(contentsOf: URL(fileURLWithPath: #filePath), encoding: .utf8)
        let regions = source.components(separatedBy: "// README example begin\n").dropFirst().map {
            $0.components(separatedBy: "// README example end")[0]
        }
        #expect(blocks.count == 3 && regions.count == 3)
        let placeholders = [
            "\"pv_live_a1b2c3d4...\"": "apiKey", "\"http://127.0.0.1:8080\"": "baseURL",
            "\"https://example.com/product.jpg\"": "productURL", "\"https://example.com/product1.jpg\"": "product1URL",
            "\"https://example.com/product2.jpg\"": "product2URL", "\"https://example.com/product3.jpg\"": "product3URL",
        ]
        func normalised(_ code: String, substituting: Bool) -> [String] {
            var code = code
            if substituting { for (literal, variable) in placeholders { code = code.replacingOccurrences(of: literal, with: variable) } }
            return code.split(separator: "\n").map { $0.trimmingCharacters(in: .whitespaces) }
                .filter { !$0.isEmpty && !$0.hasPrefix("import ") }
        }
        let ran = regions.map { normalised($0, substituting: false) }
        for block in blocks {
            let expected = normalised(block, substituting: true)
            #expect(ran.contains(expected), "this README example is not run by a test:\n\(expected.joined(separator: "\n"))")
        }
    }

    @Test func theExamplesRun() async throws {
        try await withSourceServer { sources in
            try await withWebhookReceiver { receiver in
                try await withServerProcess { server in
                    let apiKey = try server.keys.live
                    let baseURL = server.baseURL
                    let productURL = sources.url(0)
                    let (product1URL, product2URL, product3URL) = (sources.url(1), sources.url(2), sources.url(3))

                    // README example begin
                    let client = ProdVisualClient(apiKey: apiKey, baseURL: baseURL)

                    let result = try await client.generate(GenerateRequest(
                        imageURL: productURL,
                        style: "lifestyle",
                        platform: "amazon"
                    ))

                    print(result.outputURL ?? "")  // http://127.0.0.1:8080/output/...
                    print(result.creditsRemaining ?? 0)  // 49
                    // README example end
                    #expect(result.outputURL?.hasPrefix(baseURL + "/output/gen_") == true)
                    #expect(result.creditsRemaining == 99)

                    try await batchExample(apiKey: apiKey, baseURL: baseURL, productURL: productURL, product1URL, product2URL, product3URL)

                    // README example begin
                    func handleWebhook(body: Data, headers: [String: String]) throws -> WebhookEvent {
                        // Verifies X-ProdVisual-Signature (constant time) and X-ProdVisual-Timestamp (within 300 s).
                        try ProdVisualClient.parseWebhook(payload: body, headers: headers, apiKey: apiKey)
                    }
                    // README example end
                    let pending = try await client.generate(sources.item(0, webhookURL: receiver.url))
                    let delivery = try await receiver.waitFor("generation.completed", id: pending.id)
                    let event = try handleWebhook(body: delivery.body, headers: delivery.headers)
                    #expect(event.event == "generation.completed" && event.generation?.id == pending.id)
                    #expect(throws: ProdVisualError.self) { try handleWebhook(body: delivery.body + Data(" ".utf8), headers: delivery.headers) }
                }
            }
        }
    }

    private func batchExample(
        apiKey: String, baseURL: String, productURL: String, _ product1URL: String, _ product2URL: String, _ product3URL: String
    ) async throws {
        // README example begin
        let client = ProdVisualClient(apiKey: apiKey, baseURL: baseURL)

        let batch = try await client.generateBatch([
            GenerateRequest(imageURL: product1URL, style: "lifestyle"),
            GenerateRequest(imageURL: product2URL, style: "white_bg"),
            GenerateRequest(imageURL: product3URL, style: "mockup"),
        ])
        let done = try await client.waitForCompletion(batch, timeout: .seconds(300), pollInterval: .seconds(1))
        for item in done.items {
            print(item.id, item.status, item.outputURL ?? item.error?.message ?? "")
        }

        do {
            _ = try await client.generate(GenerateRequest(imageURL: productURL, style: "no_such_style"))
        } catch let error as ProdVisualError where error.code == .invalidRequest {
            print(error.code, error.status ?? 0, error.message)
        }
        // README example end
        #expect(done.status == .completed && done.items.count == 3)
        #expect(done.items.allSatisfy { $0.status == .completed && $0.outputURL?.hasPrefix(baseURL + "/output/") == true })
    }
}
