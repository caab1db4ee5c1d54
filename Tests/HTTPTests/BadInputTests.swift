import Foundation
import Hummingbird
import HummingbirdTesting
import NIOCore
import Testing

@testable import ProdVisualHTTP

/// Inputs an outside probe sent: each gets the envelope with a 4xx, charges nothing, and leaves
/// the server answering.
@Suite struct BadInputTests {
    /// A file the API must refuse, and what it must say.
    struct BadFile: Sendable, CustomTestStringConvertible {
        let name: String
        let bytes: [UInt8]
        /// Codes acceptable for it (the image may be refused as undecodable or as too small).
        let codes: Set<String>
        /// A real image of an unusable size: the message must name its pixels.
        var isShape = false
        var testDescription: String { name }
    }

    /// A packshot forced to `width`x`height` by vips, so the pixels are a real product's.
    static func packshot(_ width: Int, _ height: Int) throws -> [UInt8] {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("pv-bad-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let source = directory.appendingPathComponent("in.jpg"), output = directory.appendingPathComponent("out.png")
        try Data(try Bench.bag()).write(to: source)
        let vips = Process()
        vips.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        vips.arguments = ["vips", "thumbnail", source.path, output.path, String(width), "--height", String(height), "--size", "force"]
        try vips.run()
        vips.waitUntilExit()
        return Array(try Data(contentsOf: output))
    }

    static func corpus() throws -> [BadFile] {
        let shape: Set<String> = ["invalid_image"]
        var files = try [(1, 1), (4, 4), (10_000, 50), (50, 5_000), (8_000, 8), (15, 300)].map { width, height in
            BadFile(name: "\(width)x\(height)", bytes: try packshot(width, height), codes: shape, isShape: true)
        }
        let bag = try Bench.bag()
        files += [
            BadFile(name: "empty", bytes: [], codes: ["invalid_image", "invalid_request"]),
            BadFile(name: "text posing as a JPEG", bytes: Array("just some words, not a picture".utf8), codes: ["invalid_image"]),
            BadFile(name: "truncated JPEG", bytes: Array(bag.prefix(1500)), codes: ["invalid_image"]),
            BadFile(name: "GIF", bytes: Array("GIF89a".utf8) + [1, 0, 1, 0, 0, 0, 0, 0x3B], codes: ["invalid_image"]),
            BadFile(name: "PNG claiming 30000x30000", bytes: PNGFixture.bomb(width: 30_000, height: 30_000), codes: ["invalid_image"]),
        ]
        return files
    }

    enum Mode: String, CaseIterable, Sendable { case url, base64, multipart }

    @Test func everyBadFileInEveryUploadModeIsA4xxAndChargesNothing() async throws {
        let files = try Self.corpus()
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("pv-corpus-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        for (index, file) in files.enumerated() {
            try Data(file.bytes).write(to: folder.appendingPathComponent("\(index).jpg"))
        }
        let sources = Router()
        sources.add(middleware: FileMiddleware(folder.path, searchForIndexHtml: false))
        let sourceApp = Application(router: sources, configuration: .init(address: .hostname("127.0.0.1", port: 0)))
        let harness = try await Harness.make(credits: 5)
        try await sourceApp.test(.live) { sourceClient in
            let base = "http://127.0.0.1:\(try #require(sourceClient.port))"
            try await harness.test { client in
                for (index, file) in files.enumerated() {
                    for mode in Mode.allCases {
                        let (headers, body) = Self.request(mode, file: file, url: "\(base)/\(index).jpg", key: harness.liveKey)
                        try await client.execute(uri: "/v1/generate", method: .post, headers: headers, body: body) { response in
                            #expect((400..<500).contains(Int(response.status.code)), "\(file.name) by \(mode): \(response.status)")
                            let envelope = try response.decoded(WireError.self)
                            #expect(file.codes.contains(envelope.error.code), "\(file.name) by \(mode): \(envelope.error.code) \(envelope.error.message)")
                            if file.isShape {
                                #expect(envelope.error.message.contains("pixels"), "\(file.name): \(envelope.error.message)")
                            }
                        }
                    }
                }
                try await client.execute(uri: "/v1/account/credits", method: .get, headers: bearer(harness.liveKey)) { response in
                    let credits = try response.jsonObject()
                    #expect(credits["credits_remaining"] as? Int == 5 && credits["credits_used_total"] as? Int == 0, "\(credits)")
                }
                try await client.execute(uri: "/health", method: .get) { #expect($0.status == .ok) }
            }
        }
    }

    @Test func theSmallestAndLongestAcceptedShapesRender() async throws {
        let harness = try await Harness.make(credits: 5)
        let files = [try Self.packshot(16, 16), try Self.packshot(600, 30)]
        try await harness.test { client in
            for file in files {
                try await client.execute(
                    uri: "/v1/generate", method: .post, headers: bearer(harness.liveKey),
                    body: jsonBody(["image_base64": Data(file).base64EncodedString(), "style": "white_bg", "dimensions": "200x200"])
                ) { response in
                    #expect(response.status == .ok, "\(String(buffer: response.body))")
                }
            }
        }
    }

    static func request(_ mode: Mode, file: BadFile, url: String, key: String) -> (HTTPFields, ByteBuffer) {
        switch mode {
        case .url:
            return (bearer(key), jsonBody(["image_url": url, "style": "white_bg"]))
        case .base64:
            return (bearer(key), jsonBody(["image_base64": Data(file.bytes).base64EncodedString(), "style": "white_bg"]))
        case .multipart:
            let boundary = "pv-corpus"
            var body = ByteBuffer()
            body.writeString("--\(boundary)\r\nContent-Disposition: form-data; name=\"style\"\r\n\r\nwhite_bg\r\n")
            body.writeString("--\(boundary)\r\nContent-Disposition: form-data; name=\"image\"; filename=\"x.jpg\"\r\nContent-Type: image/jpeg\r\n\r\n")
            body.writeBytes(file.bytes)
            body.writeString("\r\n--\(boundary)--\r\n")
            var headers = bearer(key)
            headers[.contentType] = "multipart/form-data; boundary=\(boundary)"
            return (headers, body)
        }
    }

    @Test func theDataDirectoryIsPrivate() async throws {
        let harness = try await Harness.make()
        let attributes = try FileManager.default.attributesOfItem(atPath: harness.configuration.storage.dataDirectory.path)
        #expect((attributes[.posixPermissions] as? Int).map { $0 & 0o777 } == 0o700)
        try await harness.services.shutdown()
    }

    // MARK: Text, JSON and forms

    @Test(arguments: [
        (#"{"headline":"\u0000"}"#, "text.headline", "control character"),
        (#"{"headline":"Sale\u001b[31m"}"#, "text.headline", "control character"),
        (#"{"badge":"\u200b\u2060"}"#, "text.badge", "no visible characters"),
        (#"{"width_label":"\u0007"}"#, "text.width_label", "control character"),
        (#"{"features":["ok","\u0000"]}"#, "text.features[1]", "control character"),
    ])
    func invisibleOrControlTextIsA400NamingTheField(text: String, field: String, reason: String) async throws {
        let harness = try await Harness.make(credits: 2)
        let style = field == "text.badge" ? "sale_badge" : field == "text.width_label" ? "dimensions" : field.hasPrefix("text.features") ? "infographic" : "hero_banner"
        let body = #"{"image_base64":"\#(Data(try Bench.bag()).base64EncodedString())","style":"\#(style)","text":\#(text)}"#
        try await harness.test { client in
            try await client.execute(uri: "/v1/generate", method: .post, headers: bearer(harness.liveKey), body: ByteBuffer(string: body)) { response in
                let message = try response.expectError("invalid_request", 400)
                #expect(message.contains("'\(field)'") && message.contains(reason), "\(message)")
            }
        }
    }

    @Test func malformedBodiesAreNamed() async throws {
        let harness = try await Harness.make(credits: 2)
        let photo = Data(try Bench.bag()).base64EncodedString()
        try await harness.test { client in
            // The same key twice: the server would otherwise keep the last without a word.
            try await client.execute(
                uri: "/v1/generate", method: .post, headers: bearer(harness.liveKey),
                body: ByteBuffer(string: #"{"image_base64":"\#(photo)","style":"white_bg","style":"lifestyle"}"#)
            ) { response in
                let message = try response.expectError("invalid_request", 400)
                #expect(message.contains("'style' twice"), "\(message)")
            }
            var noType = bearer(harness.liveKey)
            noType[.contentType] = nil
            try await client.execute(
                uri: "/v1/generate", method: .post, headers: noType, body: jsonBody(["image_base64": photo, "style": "white_bg"])
            ) { response in
                let message = try response.expectError("invalid_request", 400)
                #expect(message.contains("Content-Type"), "\(message)")
            }
            try await client.execute(
                uri: "/v1/generate", method: .post, headers: bearer(harness.liveKey),
                body: ByteBuffer(string: #"{"image_base64":"\#(photo)","style":"white_bg","seed":18446744073709551616}"#)
            ) { response in
                let message = try response.expectError("invalid_request", 400)
                #expect(message.contains("'seed'"), "\(message)")
            }
            let boundary = "two-files"
            var form = ByteBuffer()
            form.writeString("--\(boundary)\r\nContent-Disposition: form-data; name=\"style\"\r\n\r\nwhite_bg\r\n")
            for _ in 0..<2 {
                form.writeString("--\(boundary)\r\nContent-Disposition: form-data; name=\"image\"; filename=\"x.jpg\"\r\nContent-Type: image/jpeg\r\n\r\n")
                form.writeBytes(try Bench.bag())
                form.writeString("\r\n")
            }
            form.writeString("--\(boundary)--\r\n")
            var formHeaders = bearer(harness.liveKey)
            formHeaders[.contentType] = "multipart/form-data; boundary=\(boundary)"
            try await client.execute(uri: "/v1/generate", method: .post, headers: formHeaders, body: form) { response in
                let message = try response.expectError("invalid_request", 400)
                #expect(message.contains("'image' twice"), "\(message)")
            }
            try await client.execute(uri: "/v1/account/credits", method: .get, headers: bearer(harness.liveKey)) { response in
                let credits = try response.jsonObject()
                #expect(credits["credits_remaining"] as? Int == 2)
            }
        }
    }

    @Test func duplicateKeysAreFoundAtAnyDepthAndOnlyAsKeys() {
        func duplicate(_ text: String) -> String? { JSONBody.firstDuplicateKey(in: Array(text.utf8)) }
        #expect(duplicate(#"{"a":1,"b":{"c":1,"c":2}}"#) == "c")
        #expect(duplicate(#"{"a":"a","b":["a","a"],"c":{"a":1}}"#) == nil, "equal values and equal keys in other objects are fine")
        #expect(duplicate(#"{"a\"b":1,"a\u0022b":2}"#) == "a\"b", "compared after escapes")
        #expect(duplicate(#"[{"x":1},{"x":2}]"#) == nil)
    }

    @Test func aBatchItemWithAnUnfetchableURLIsRefusedBeforeAnythingIsCharged() async throws {
        let harness = try await Harness.make(credits: 5, allowPrivate: false)
        let good = "https://example.com/product.jpg"
        try await harness.test { client in
            for bad in ["file:///etc/passwd", "javascript:alert(1)", "http://127.0.0.1/x.jpg", "http://[::1]/x.jpg", "http://10.0.0.7/x.jpg"] {
                let items = [["image_url": good, "style": "white_bg"], ["image_url": bad, "style": "white_bg"]]
                try await client.execute(uri: "/v1/generate/batch", method: .post, headers: bearer(harness.liveKey), body: jsonBody(["items": items])) { response in
                    let message = try response.expectError("invalid_request", 400)
                    #expect(message.hasPrefix("items[1].image_url"), "\(bad): \(message)")
                }
            }
            try await client.execute(uri: "/v1/account/credits", method: .get, headers: bearer(harness.liveKey)) { response in
                let credits = try response.jsonObject()
                #expect(credits["credits_remaining"] as? Int == 5)
            }
        }
    }
}
