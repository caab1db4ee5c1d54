import Foundation
import Hummingbird
import HummingbirdTesting
import ProdVisualEngine
import Testing

@testable import ProdVisualDomain
@testable import ProdVisualHTTP

@Suite struct GenerateTests {
    static let engine = try! ImageEngine()

    func generateBody(_ bytes: [UInt8], _ extra: [String: Any] = [:]) -> ByteBuffer {
        jsonBody(["image_base64": Data(bytes).base64EncodedString(), "style": "white_bg"].merging(extra) { $1 })
    }

    @Test func whiteBackgroundEndToEnd() async throws {
        let harness = try await Harness.make(credits: 10)
        let source = try Bench.bag()
        try await harness.test { client in
            let body = generateBody(source, ["dimensions": "600x400", "format": "png", "platform": "amazon"])
            let generation = try await client.execute(uri: "/v1/generate", method: .post, headers: bearer(harness.liveKey), body: body) { response in
                #expect(response.status == .ok)
                #expect(response.headers[.rateLimitRemaining] != nil)
                // The cutout's confidence, as a header and in the body, the same number.
                let header = try #require(response.headers[.cutoutConfidence].flatMap(Double.init))
                #expect((0...1).contains(header))
                #expect(try response.decoded(WireGeneration.self).cutout_confidence == header)
                return try response.decoded(WireGeneration.self)
            }
            #expect(generation.id.hasPrefix("gen_"))
            #expect(generation.status == "completed")
            #expect(generation.style == "white_bg")
            #expect(generation.platform == "amazon")
            #expect(generation.dimensions == "600x400")
            #expect(generation.format == "png")
            #expect(generation.credits_used == 1)
            #expect(generation.credits_remaining == 9)
            #expect((generation.generation_time_ms ?? -1) >= 0)
            let created = try #require(ISO8601DateFormatter().date(from: generation.created_at))
            let expires = try #require(ISO8601DateFormatter().date(from: generation.expires_at))
            #expect(abs(expires.timeIntervalSince(created) - 7 * 86_400) < 2)
            let url = try #require(generation.output_url)
            #expect(url.hasPrefix("http://files.test/output/\(generation.id).png?"))

            let image = try await client.execute(uri: try outputPath(url), method: .get) { response in
                #expect(response.status == .ok)
                #expect(response.headers[.contentType] == "image/png")
                #expect(response.body.readableBytes == generation.file_size)
                return Array(response.body.readableBytesView)
            }
            let pixels = try Self.engine.decodePixels(image)
            #expect(pixels.width == 600 && pixels.height == 400)
            for (x, y) in [(0, 0), (599, 0), (0, 399), (599, 399), (5, 200), (594, 200)] {
                #expect(pixels.rgb(x: x, y: y) == [255, 255, 255], "corner (\(x),\(y)) is not pure white")
            }
            // The product is there: the centre is not background.
            #expect(pixels.rgb(x: 300, y: 200) != [255, 255, 255])

            try await client.execute(uri: "/v1/account/credits", method: .get, headers: bearer(harness.liveKey)) { response in
                let json = try response.jsonObject()
                #expect(json["credits_remaining"] as? Int == 9)
                #expect(json["credits_used_total"] as? Int == 1)
                #expect(json["credits_used_today"] as? Int == 1)
            }
            try await client.execute(uri: "/v1/generations/\(generation.id)", method: .get, headers: bearer(harness.liveKey)) { response in
                #expect(response.status == .ok)
                let status = try response.decoded(WireGeneration.self)
                #expect(status.id == generation.id)
                #expect(status.status == "completed")
                #expect(status.output_url != nil)
                #expect(status.credits_remaining == nil)
                #expect(status.cutout_confidence == generation.cutout_confidence && status.cutout_confidence != nil)
            }
        }
    }

    @Test func transparentHasAlphaInEachFormat() async throws {
        let harness = try await Harness.make(credits: 10)
        let source = try Bench.bag()
        try await harness.test { client in
            for format in ["png", "webp"] {
                let body = generateBody(source, ["style": "transparent", "format": format, "dimensions": "300x300"])
                let generation = try await client.execute(uri: "/v1/generate", method: .post, headers: bearer(harness.liveKey), body: body) { response in
                    #expect(response.status == .ok)
                    return try response.decoded(WireGeneration.self)
                }
                let image = try await client.execute(uri: try outputPath(try #require(generation.output_url)), method: .get) { response in
                    #expect(response.headers[.contentType] == "image/\(format)")
                    return Array(response.body.readableBytesView)
                }
                #expect(FormatSniffer.sniff(image)?.rawValue == format)
                let pixels = try Self.engine.decodePixels(image)
                #expect(pixels.bands == 4)
                #expect(pixels.alpha(x: 0, y: 0) == 0)
                #expect(pixels.alpha(x: 150, y: 150) == 255)
            }
        }
    }

    @Test func jpegAndWebPHonourFormatQualityAndSize() async throws {
        let harness = try await Harness.make(credits: 10)
        let source = try Bench.bag()
        try await harness.test { client in
            var sizes: [Int: Int] = [:]
            for quality in [20, 95] {
                let body = generateBody(source, ["format": "jpeg", "quality": quality, "dimensions": "800x800"])
                let generation = try await client.execute(uri: "/v1/generate", method: .post, headers: bearer(harness.liveKey), body: body) { response in
                    #expect(response.status == .ok)
                    return try response.decoded(WireGeneration.self)
                }
                #expect(generation.format == "jpeg")
                #expect(try #require(generation.output_url).contains(".jpg?"))
                let image = try await client.execute(uri: try outputPath(try #require(generation.output_url)), method: .get) { response in
                    Array(response.body.readableBytesView)
                }
                #expect(FormatSniffer.sniff(image) == .jpeg)
                let info = try Self.engine.imageInfo(source: image)
                #expect(info.width == 800 && info.height == 800)
                sizes[quality] = image.count
            }
            #expect(try #require(sizes[20]) < (try #require(sizes[95])))
        }
    }

    @Test func testKeysAreFreeAndWatermarked() async throws {
        let harness = try await Harness.make(credits: 0)
        let source = try Bench.bag()
        try await harness.test { client in
            let body = generateBody(source, ["dimensions": "400x400"])
            let generation = try await client.execute(uri: "/v1/generate", method: .post, headers: bearer(harness.testKey), body: body) { response in
                #expect(response.status == .ok)
                return try response.decoded(WireGeneration.self)
            }
            #expect(generation.credits_used == 0)
            #expect(generation.credits_remaining == 0)
            let sample = try await client.execute(uri: try outputPath(try #require(generation.output_url)), method: .get) { response in
                Array(response.body.readableBytesView)
            }
            // The same render without the watermark, straight from the engine, differs visibly.
            let plan = try GenerationPlan(validating: GenerationRequest(source: .bytes(source), style: "white_bg", dimensions: "400x400"))
            let clean = try Self.engine.render(source: source, spec: plan.renderSpec(watermark: nil)).bytes
            let a = try Self.engine.decodePixels(sample), b = try Self.engine.decodePixels(clean)
            var changed = 0
            for y in stride(from: 0, to: 400, by: 2) {
                for x in stride(from: 0, to: 400, by: 2) where a.rgb(x: x, y: y) != b.rgb(x: x, y: y) { changed += 1 }
            }
            #expect(changed > 400, "the SAMPLE watermark changed only \(changed) sampled pixels")
        }
    }

    @Test func parameterErrorsNameTheParameter() async throws {
        let harness = try await Harness.make(credits: 10)
        let source = try Bench.bag()
        let cases: [([String: Any], String)] = [
            (["image_url": "https://example.com/a.jpg"], "'style'"),
            (["image_url": "https://example.com/a.jpg", "style": "oil_painting"], "Unknown style 'oil_painting'"),
            (["image_url": "https://example.com/a.jpg", "style": "white_bg", "platform": "myspace"], "Unknown platform"),
            (["image_url": "https://example.com/a.jpg", "style": "white_bg", "dimensions": "big"], "'dimensions'"),
            (["image_url": "https://example.com/a.jpg", "style": "white_bg", "dimensions": "20x20"], "between 50 and 8000"),
            (["image_url": "https://example.com/a.jpg", "style": "white_bg", "dimensions": "8000x8000"], "megapixel"),
            (["image_url": "https://example.com/a.jpg", "style": "white_bg", "quality": 0], "'quality'"),
            (["image_url": "https://example.com/a.jpg", "style": "white_bg", "quality": "high"], "'quality' must be an integer"),
            (["image_url": "https://example.com/a.jpg", "style": "white_bg", "format": "gif"], "Unsupported format 'gif'"),
            (["image_url": "https://example.com/a.jpg", "style": "white_bg", "background": "blue-ish"], "'background'"),
            (["image_url": "https://example.com/a.jpg", "style": "transparent", "format": "jpeg"], "png or webp"),
            (["image_url": "https://example.com/a.jpg", "style": "white_bg", "background": "transparent", "format": "jpeg"], "png or webp"),
            (["image_url": "https://example.com/a.jpg", "image_base64": Data(source).base64EncodedString(), "style": "white_bg"], "exactly one"),
            (["style": "white_bg"], "image_url"),
            (["image_base64": "%%%not base64%%%", "style": "white_bg"], "'image_base64'"),
            (["image_url": "ftp://example.com/a.jpg", "style": "white_bg"], "image_url"),
        ]
        let requests = cases.map { (body: jsonBody($0.0), expected: $0.1, fields: $0.0.keys.sorted()) }
        try await harness.test { client in
            for request in requests {
                try await client.execute(uri: "/v1/generate", method: .post, headers: bearer(harness.liveKey), body: request.body) { response in
                    let message = try response.expectError("invalid_request", 400)
                    #expect(message.contains(request.expected), "\(request.fields): \(message)")
                }
            }
            try await client.execute(uri: "/v1/generate", method: .post, headers: bearer(harness.liveKey), body: ByteBuffer(string: "{not json")) { response in
                let message = try response.expectError("invalid_request", 400)
                #expect(message.contains("JSON"), "\(message)")
            }
            // No parameter error cost anything.
            try await client.execute(uri: "/v1/account/credits", method: .get, headers: bearer(harness.liveKey)) { response in
                let json = try response.jsonObject()
                #expect(json["credits_remaining"] as? Int == 10)
            }
        }
    }

    @Test func emptyBalanceIs402BeforeAnyWork() async throws {
        let harness = try await Harness.make(credits: 0)
        try await harness.test { client in
            // The URL would be refused if it were fetched; 402 comes first.
            let body = jsonBody(["image_url": "http://127.0.0.1:1/never-fetched.jpg", "style": "white_bg"])
            try await client.execute(uri: "/v1/generate", method: .post, headers: bearer(harness.liveKey), body: body) { response in
                let message = try response.expectError("insufficient_credits", 402)
                #expect(message.contains("0 credits remaining"), "\(message)")
            }
        }
    }

    @Test func badImagesAre422AndRefunded() async throws {
        let harness = try await Harness.make(credits: 3)
        let gif = Array("GIF89a".utf8) + [UInt8](repeating: 0, count: 64)
        let truncated = Array(try Bench.bag().prefix(2000))
        try await harness.test { client in
            for (bytes, expected) in [(gif, "not a JPEG, PNG or WebP"), (Array("hello world".utf8), "not a JPEG, PNG or WebP"), (truncated, "could not be decoded"), (PNGFixture.bomb(width: 30_000, height: 30_000), "limit is 40000000 pixels")] {
                try await client.execute(uri: "/v1/generate", method: .post, headers: bearer(harness.liveKey), body: generateBody(bytes)) { response in
                    let message = try response.expectError("invalid_image", 422)
                    #expect(message.contains(expected), "\(message)")
                }
            }
            try await client.execute(uri: "/v1/account/credits", method: .get, headers: bearer(harness.liveKey)) { response in
                let json = try response.jsonObject()
                #expect(json["credits_remaining"] as? Int == 3)
                #expect(json["credits_used_total"] as? Int == 0)
            }
        }
    }

    @Test func oversizedImagesAre413() async throws {
        let harness = try await Harness.make(credits: 3)
        let bag = try Bench.bag()
        let large = bag + [UInt8](repeating: 0, count: 10 * 1024 * 1024 + 1 - bag.count)
        try await harness.test { client in
            try await client.execute(uri: "/v1/generate", method: .post, headers: bearer(harness.liveKey), body: generateBody(large)) { response in
                let message = try response.expectError("file_too_large", 413)
                #expect(message.contains("10 MB"), "\(message)")
            }
            // A body past the transport limit is refused before it is read in full.
            let huge = ByteBuffer(repeating: UInt8(ascii: "A"), count: 16 * 1024 * 1024)
            try await client.execute(uri: "/v1/generate", method: .post, headers: bearer(harness.liveKey), body: huge) { response in
                _ = try response.expectError("file_too_large", 413)
            }
        }
    }

    @Test func multipartUploadsWork() async throws {
        let harness = try await Harness.make(credits: 3)
        let source = try Bench.bag()
        // A browser's boundary has capitals (FormData in Chromium): it must be matched as sent,
        // while the media type and the parameter's name match in any case.
        let boundary = "----WebKitFormBoundaryPv42XyZ"
        var body = ByteBuffer()
        for (name, value) in [("style", "white_bg"), ("dimensions", "320x240"), ("format", "webp"), ("quality", "80")] {
            body.writeString("--\(boundary)\r\nContent-Disposition: form-data; name=\"\(name)\"\r\n\r\n\(value)\r\n")
        }
        body.writeString("--\(boundary)\r\nContent-Disposition: form-data; name=\"image\"; filename=\"bag.jpg\"\r\nContent-Type: image/jpeg\r\n\r\n")
        body.writeBytes(source)
        body.writeString("\r\n--\(boundary)--\r\n")
        var multipartHeaders = bearer(harness.liveKey)
        multipartHeaders[.contentType] = "Multipart/Form-Data; Boundary=\(boundary)"
        let headers = multipartHeaders
        let multipartBody = body
        try await harness.test { client in
            try await client.execute(uri: "/v1/generate", method: .post, headers: headers, body: multipartBody) { response in
                #expect(response.status == .ok)
                let generation = try response.decoded(WireGeneration.self)
                #expect(generation.dimensions == "320x240")
                #expect(generation.format == "webp")
            }
        }
    }

    @Test func generationsArePrivateToTheirAccount() async throws {
        let harness = try await Harness.make(credits: 3)
        let other = try await harness.services.accounts.createAccount(name: "other", credits: 5)
        let otherKey = try await harness.services.accounts.issueKey(accountID: other.id, mode: .live, name: "k")
        try await harness.test { client in
            let generation = try await client.execute(uri: "/v1/generate", method: .post, headers: bearer(harness.liveKey), body: generateBody(try Bench.bag(), ["dimensions": "200x200"])) { response in
                try response.decoded(WireGeneration.self)
            }
            try await client.execute(uri: "/v1/generations/\(generation.id)", method: .get, headers: bearer(otherKey.secret)) { response in
                _ = try response.expectError("not_found", 404)
            }
            try await client.execute(uri: "/v1/generations/gen_doesnotexist", method: .get, headers: bearer(harness.liveKey)) { response in
                _ = try response.expectError("not_found", 404)
            }
        }
    }

    @Test func outputsExpireAndAreSwept() async throws {
        let harness = try await Harness.make(credits: 3)
        try await harness.test { client in
            let generation = try await client.execute(uri: "/v1/generate", method: .post, headers: bearer(harness.liveKey), body: generateBody(try Bench.bag(), ["dimensions": "200x200"])) { response in
                try response.decoded(WireGeneration.self)
            }
            let path = try outputPath(try #require(generation.output_url))
            // A tampered signature or a stretched expiry is a 404.
            try await client.execute(uri: path.replacingOccurrences(of: "signature=", with: "signature=0"), method: .get) { response in
                _ = try response.expectError("not_found", 404)
            }
            let stretched = path.replacingOccurrences(of: "expires=", with: "expires=9")
            try await client.execute(uri: stretched, method: .get) { response in
                _ = try response.expectError("not_found", 404)
            }
            let file = harness.configuration.storage.dataDirectory.appendingPathComponent("outputs/\(generation.id).png")
            #expect(FileManager.default.fileExists(atPath: file.path))

            harness.clock.advance(by: 7 * 86_400 + 1)
            try await client.execute(uri: path, method: .get) { response in
                _ = try response.expectError("not_found", 404)
            }
            #expect(try await harness.services.generations.sweepExpiredOutputs() == 1)
            #expect(!FileManager.default.fileExists(atPath: file.path))
            try await client.execute(uri: "/v1/generations/\(generation.id)", method: .get, headers: bearer(harness.liveKey)) { response in
                let status = try response.decoded(WireGeneration.self)
                #expect(status.status == "completed")
                #expect(status.output_url == nil)
            }
        }
    }

    @Test func storageFailureIs500AndRefunded() async throws {
        let harness = try await Harness.make(credits: 2)
        // Make the output directory unusable: the render succeeds, storing it cannot.
        let outputs = harness.configuration.storage.dataDirectory.appendingPathComponent("outputs")
        try FileManager.default.removeItem(at: outputs)
        try Data("not a directory".utf8).write(to: outputs)
        try await harness.test { client in
            try await client.execute(uri: "/v1/generate", method: .post, headers: bearer(harness.liveKey), body: generateBody(try Bench.bag(), ["dimensions": "200x200"])) { response in
                _ = try response.expectError("server_error", 500)
            }
            try await client.execute(uri: "/v1/account/credits", method: .get, headers: bearer(harness.liveKey)) { response in
                let json = try response.jsonObject()
                #expect(json["credits_remaining"] as? Int == 2)
            }
        }
    }

    @Test func concurrentCallsNeverOverspend() async throws {
        let harness = try await Harness.make(credits: 5)
        let body = generateBody(try Bench.bag(), ["dimensions": "120x120"])
        try await harness.test { client in
            let statuses = try await concurrentStatuses(20) {
                try await client.execute(uri: "/v1/generate", method: .post, headers: bearer(harness.liveKey), body: body) { $0.status.code }
            }
            #expect(statuses.filter { $0 == 200 }.count == 5)
            #expect(statuses.filter { $0 == 402 }.count == 15)
            try await client.execute(uri: "/v1/account/credits", method: .get, headers: bearer(harness.liveKey)) { response in
                let json = try response.jsonObject()
                #expect(json["credits_remaining"] as? Int == 0)
                #expect(json["credits_used_total"] as? Int == 5)
            }
        }
    }
}
