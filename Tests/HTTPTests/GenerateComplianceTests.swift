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

@Suite struct StyleRequestHTTPTests {
    func body(_ bytes: [UInt8], _ fields: [String: Any]) -> ByteBuffer {
        jsonBody(["image_base64": Data(bytes).base64EncodedString()].merging(fields) { $1 })
    }

    @Test func aBannerWithItsTextRendersAndIsJudgedAsAnAdditionalImage() async throws {
        let harness = try await Harness.make(credits: 10)
        let source = try Bench.bag()
        try await harness.test { client in
            let request = body(source, [
                "style": "hero_banner", "platform": "amazon", "format": "jpeg",
                "text": ["headline": "The new collection", "subheadline": "Free shipping this week"],
            ])
            let generated = try await client.execute(uri: "/v1/generate", method: .post, headers: bearer(harness.liveKey), body: request) { response in
                #expect(response.status == .ok)
                return try response.jsonObject()
            }
            #expect(generated["dimensions"] as? String == "2400x900")
            let compliance = try #require(generated["compliance"] as? [String: Any])
            #expect(compliance["intended_use"] as? String == "additional")
            #expect(compliance["verdict"] as? String == "pass", "\(compliance["summary"] ?? "")")
            let main = try #require(compliance["main_image"] as? [String: Any])
            #expect(main["verdict"] as? String == "fail")
            #expect((compliance["summary"] as? String ?? "").contains("not as a main image"))
        }
    }

    @Test func aMissingOrMisplacedFieldIsA400NamingItAndCostsNothing() async throws {
        let harness = try await Harness.make(credits: 10)
        let source = try Bench.bag()
        try await harness.test { client in
            for (fields, expected) in [
                (["style": "hero_banner"] as [String: Any], "'text.headline'"),
                (["style": "infographic", "text": ["features": "not a list"]], "text.features"),
                (["style": "lifestyle", "scene": "moon"], "Available scenes"),
                (["style": "color_variants", "colors": ["#ff0000"]], "2 to 6"),
            ] {
                try await client.execute(uri: "/v1/generate", method: .post, headers: bearer(harness.liveKey), body: body(source, fields)) { response in
                    #expect(response.status == .badRequest)
                    let error = try #require(try response.jsonObject()["error"] as? [String: Any])
                    #expect((error["message"] as? String ?? "").contains(expected), "\(error)")
                }
            }
            let credits = try await client.execute(uri: "/v1/account/credits", method: .get, headers: bearer(harness.liveKey)) { response in
                try response.jsonObject()
            }
            #expect(credits["credits_remaining"] as? Int == 10, "\(credits)")
        }
    }
}
