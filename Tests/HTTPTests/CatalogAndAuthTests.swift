import CompressNIO
import Foundation
import Hummingbird
import HummingbirdTesting
import Testing

@testable import ProdVisualHTTP

@Suite struct CatalogAndAuthTests {
    @Test func stylesNeedNoKeyAndListWhatRenders() async throws {
        let harness = try await Harness.make()
        try await harness.test { client in
            try await client.execute(uri: "/v1/styles", method: .get) { response in
                #expect(response.status == .ok)
                let json = try response.jsonObject()
                let styles = try #require(json["styles"] as? [[String: Any]])
                #expect(json["total"] as? Int == styles.count)
                let ids = styles.compactMap { $0["id"] as? String }
                #expect(ids.contains("white_bg"))
                #expect(ids.contains("transparent"))
                for style in styles {
                    #expect((style["name"] as? String)?.isEmpty == false)
                    #expect((style["description"] as? String)?.isEmpty == false)
                }
            }
        }
    }

    @Test func platformsListEveryPreset() async throws {
        let harness = try await Harness.make()
        try await harness.test { client in
            try await client.execute(uri: "/v1/platforms", method: .get) { response in
                #expect(response.status == .ok)
                let json = try response.jsonObject()
                let platforms = try #require(json["platforms"] as? [[String: Any]])
                let ids = Set(platforms.compactMap { $0["id"] as? String })
                #expect(ids.isSuperset(of: ["amazon", "ebay", "etsy", "shopify", "woocommerce", "mercadolibre", "generic"]))
                let amazon = try #require(platforms.first { $0["id"] as? String == "amazon" })
                #expect(amazon["default_dimensions"] as? String == "2000x2000")
                #expect(amazon["background"] as? String == "pure_white_required")
            }
        }
    }

    @Test func missingMalformedUnknownAndRevokedKeysAreUnauthorized() async throws {
        let harness = try await Harness.make()
        let revoked = try await harness.services.accounts.issueKey(accountID: harness.accountID, mode: .live, name: "old")
        try await harness.services.accounts.revokeKey(id: revoked.record.id)
        try await harness.test { client in
            try await client.execute(uri: "/v1/account/credits", method: .get) { response in
                let message = try response.expectError("unauthorized", 401)
                #expect(message.contains("Missing API key"))
                #expect(response.headers[.rateLimitLimit] == nil)
            }
            try await client.execute(uri: "/v1/account/credits", method: .get, headers: [.authorization: "Bearer sk_123"]) { response in
                let message = try response.expectError("unauthorized", 401)
                #expect(message.contains("pv_live_"), "\(message)")
            }
            try await client.execute(uri: "/v1/account/credits", method: .get, headers: bearer("pv_live_doesnotexist")) { response in
                _ = try response.expectError("unauthorized", 401)
            }
            try await client.execute(uri: "/v1/account/credits", method: .get, headers: bearer(revoked.secret)) { response in
                let message = try response.expectError("unauthorized", 401)
                #expect(message.contains("revoked"), "\(message)")
            }
        }
    }

    @Test func creditsReportTheLedger() async throws {
        let harness = try await Harness.make(credits: 100)
        _ = try await harness.services.accounts.addCredits(accountID: harness.accountID, amount: 25)
        try await harness.test { client in
            try await client.execute(uri: "/v1/account/credits", method: .get, headers: bearer(harness.liveKey)) { response in
                #expect(response.status == .ok)
                let json = try response.jsonObject()
                #expect(json["credits_remaining"] as? Int == 125)
                #expect(json["credits_used_total"] as? Int == 0)
                #expect(json["credits_used_today"] as? Int == 0)
                let purchase = try #require(json["last_purchase"] as? [String: Any])
                #expect(purchase["amount"] as? Int == 25)
                #expect((purchase["date"] as? String)?.hasSuffix("Z") == true)
                #expect(response.headers[.rateLimitLimit] == "60")
                #expect(response.headers[.rateLimitRemaining] == "59")
                let reset = try #require(response.headers[.rateLimitReset].flatMap(Int.init))
                #expect(reset > Int(harness.clock.now.timeIntervalSince1970))
            }
        }
    }

    @Test func rateLimitAnswers429WithRetryAfter() async throws {
        let harness = try await Harness.make(rateLimits: .init(perMinute: 3, perDay: 100))
        try await harness.test { client in
            for remaining in [2, 1, 0] {
                try await client.execute(uri: "/v1/account/credits", method: .get, headers: bearer(harness.liveKey)) { response in
                    #expect(response.status == .ok)
                    #expect(response.headers[.rateLimitRemaining] == String(remaining))
                }
            }
            try await client.execute(uri: "/v1/account/credits", method: .get, headers: bearer(harness.liveKey)) { response in
                let message = try response.expectError("rate_limited", 429)
                #expect(message.contains("3 requests per minute"), "\(message)")
                let retryAfter = try #require(response.headers[.retryAfter].flatMap(Int.init))
                #expect((1...60).contains(retryAfter))
                #expect(response.headers[.rateLimitRemaining] == "0")
            }
            // Limits are per key: the test key still has its own window.
            try await client.execute(uri: "/v1/account/credits", method: .get, headers: bearer(harness.testKey)) { response in
                #expect(response.status == .ok)
            }
            harness.clock.advance(by: 61)
            try await client.execute(uri: "/v1/account/credits", method: .get, headers: bearer(harness.liveKey)) { response in
                #expect(response.status == .ok)
            }
        }
    }

    @Test func unknownRoutesUseTheEnvelope() async throws {
        let harness = try await Harness.make()
        try await harness.test { client in
            try await client.execute(uri: "/v1/nothing-here", method: .get) { response in
                _ = try response.expectError("not_found", 404)
            }
        }
    }

    @Test func healthAnswers() async throws {
        let harness = try await Harness.make()
        try await harness.test { client in
            try await client.execute(uri: "/health", method: .get) { response in
                #expect(response.status == .ok)
                #expect(String(buffer: response.body).contains("ok"))
            }
        }
    }
}

/// The static answers: encoded once, revalidated by ETag, compressed when asked.
@Suite struct StaticAnswerTests {
    @Test(arguments: ["/v1/styles", "/v1/platforms", "/v1/openapi.json"])
    func staticAnswersCarryAnETagAnswer304AndGzip(path: String) async throws {
        let harness = try await Harness.make()
        try await harness.test { client in
            let (etag, plain) = try await client.execute(uri: path, method: .get) { response in
                #expect(response.status == .ok)
                #expect(response.headers[.contentEncoding] == nil)
                return (try #require(response.headers[.eTag]), response.body)
            }
            #expect(etag.hasPrefix("\"") && etag.count > 10)
            try await client.execute(uri: path, method: .get, headers: [.ifNoneMatch: "\"other\", \(etag)"]) { response in
                #expect(response.status == .notModified)
                #expect(response.body.readableBytes == 0)
                #expect(response.headers[.eTag] == etag)
            }
            try await client.execute(uri: path, method: .get, headers: [.ifNoneMatch: "\"stale\""]) { response in
                #expect(response.status == .ok)
            }
            try await client.execute(uri: path, method: .get, headers: [.acceptEncoding: "br;q=1, gzip;q=0.8"]) { response in
                #expect(response.status == .ok)
                #expect(response.headers[.contentEncoding] == "gzip")
                #expect(response.headers[.vary] == "Accept-Encoding")
                var body = response.body
                #expect(body.readableBytes < plain.readableBytes)
                let unzipped = try body.decompress(with: .gzip())
                #expect(unzipped == plain, "gzip of the same bytes")
            }
            try await client.execute(uri: path, method: .get, headers: [.acceptEncoding: "gzip;q=0"]) { response in
                #expect(response.headers[.contentEncoding] == nil)
            }
        }
    }
}
