import Foundation
import Hummingbird
import HummingbirdTesting
import Testing

@testable import ProdVisualHTTP

@Suite struct GenerateComplianceTests {
    func generateBody(_ bytes: [UInt8], _ extra: [String: Any]) -> ByteBuffer {
        jsonBody(["image_base64": Data(bytes).base64EncodedString(), "style": "white_bg"].merging(extra) { $1 })
    }

    @Test func generateAndLookUpCarryTheSameReport() async throws {
        let harness = try await Harness.make(credits: 10)
        let source = try Bench.bag()
        try await harness.test { client in
            let body = generateBody(source, ["platform": "amazon", "format": "jpeg", "dimensions": "1000x1000"])
            let generated = try await client.execute(uri: "/v1/generate", method: .post, headers: bearer(harness.liveKey), body: body) { response in
                #expect(response.status == .ok)
                return try response.jsonObject()
            }
            let compliance = try #require(generated["compliance"] as? [String: Any])
            #expect(compliance["platform"] as? String == "amazon")
            #expect(compliance["intended_use"] as? String == "main")
            // A clean cutout on white at Amazon's preset is a valid main image.
            #expect(compliance["verdict"] as? String == "pass", "\(compliance["summary"] ?? "")")
            #expect(compliance["summary"] as? String == "Passes as a main image on Amazon.")
            let rules = try #require(compliance["rules"] as? [[String: Any]])
            #expect(rules.compactMap { $0["rule"] as? String } == ["pixel_size", "format", "file_size", "product_fill", "background", "no_text"])
            let byID = Dictionary(uniqueKeysWithValues: rules.map { ($0["rule"] as? String ?? "", $0) })
            #expect(byID["pixel_size"]?["value"] as? Int == 1000)
            #expect(byID["format"]?["value"] as? String == "jpeg")
            #expect(byID["file_size"]?["value"] as? Int == generated["file_size"] as? Int)
            let fill = try #require(byID["product_fill"]?["value"] as? Double)
            #expect(abs(fill - 0.85) < 0.03, "product fill \(fill)")

            let id = try #require(generated["id"] as? String)
            let lookedUp = try await client.execute(uri: "/v1/generations/\(id)", method: .get, headers: bearer(harness.liveKey)) { response in
                #expect(response.status == .ok)
                return try response.jsonObject()
            }
            let persisted = try #require(lookedUp["compliance"] as? [String: Any])
            #expect(NSDictionary(dictionary: persisted).isEqual(to: compliance))
        }
    }

    @Test func sandboxOutputFailsMainImageOnItsWatermark() async throws {
        let harness = try await Harness.make(credits: 0)
        let source = try Bench.bag()
        try await harness.test { client in
            let body = generateBody(source, ["platform": "amazon", "format": "png", "dimensions": "1000x1000"])
            let generated = try await client.execute(uri: "/v1/generate", method: .post, headers: bearer(harness.testKey), body: body) { response in
                #expect(response.status == .ok)
                return try response.jsonObject()
            }
            let compliance = try #require(generated["compliance"] as? [String: Any])
            let main = try #require(compliance["main_image"] as? [String: Any])
            #expect(main["verdict"] as? String == "fail")
            #expect((main["failed_rules"] as? [String])?.contains("no_text") == true)
            let summary = try #require(compliance["summary"] as? String)
            #expect(summary.contains("a watermark is drawn on it"), "\(summary)")
        }
    }
}
