import Foundation
import Hummingbird
import HummingbirdTesting
import Logging
import Testing

@testable import ProdVisualHTTP

@Suite struct OpenAPITests {
    /// Every route the router serves is described in /v1/openapi.json, and nothing else is.
    @Test func documentCoversEveryRoute() async throws {
        let harness = try await Harness.make()
        let (_, routes) = try buildRouter(services: harness.services, logger: harness.logger)
        let served = Set(routes.entries.map { entry in
            // Hummingbird's ":id" is OpenAPI's "{id}".
            let path = entry.path.split(separator: "/").map { $0.hasPrefix(":") ? "{\($0.dropFirst())}" : String($0) }
            return "\(entry.method.rawValue.lowercased()) /" + path.joined(separator: "/")
        })
        #expect(served.count == routes.entries.count, "a route is registered twice")

        try await harness.test { client in
            try await client.execute(uri: "/v1/openapi.json", method: .get) { response in
                #expect(response.status == .ok)
                let document = try response.jsonObject()
                #expect(document["openapi"] as? String == "3.1.0")
                let paths = try #require(document["paths"] as? [String: [String: Any]])
                let described = Set(paths.flatMap { path, operations in operations.keys.map { "\($0) \(path)" } })
                #expect(served.subtracting(described).isEmpty, "served but undocumented: \(served.subtracting(described))")
                #expect(described.subtracting(served).isEmpty, "documented but not served: \(described.subtracting(served))")
            }
        }
    }
}

/// What the document promises and what the server does agree at their edges.
@Suite struct DocumentEdgeTests {
    @Test(arguments: [
        ("TRACE", "/health", "GET"), ("DELETE", "/v1/generate", "POST"), ("PUT", "/v1/generations/gen_x", "GET"),
        ("POST", "/v1/styles", "GET"), ("GET", "/api/vto/default-person", "PUT"), ("QUERY", "/v1/styles", "GET"),
    ])
    func anUndeclaredMethodOnAKnownPathIs405WithAllow(method: String, path: String, allow: String) async throws {
        let harness = try await Harness.make()
        try await harness.test { client in
            try await client.execute(uri: path, method: HTTPRequest.Method(method)!, headers: bearer(harness.liveKey)) { response in
                #expect(response.status.code == 405)
                #expect(response.headers[.allow] == allow)
                // The /api surface keeps the EcomViz envelope; /v1 and the rest, ours.
                if !path.hasPrefix("/api/") {
                    let message = try response.expectError("method_not_allowed", 405)
                    #expect(message.contains(method))
                }
            }
            try await client.execute(uri: "/v1/nothing-here", method: HTTPRequest.Method(method)!) { response in
                _ = try response.expectError("not_found", 404)
            }
        }
    }

    @Test func theDocumentRefusesWhatTheServerRefuses() throws {
        let url = try #require(Bundle.module.url(forResource: "openapi", withExtension: "json", subdirectory: nil)
            ?? URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
                .appendingPathComponent("Sources/ProdVisualHTTP/openapi.json"))
        let document = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: url)) as? [String: Any])
        func object(_ value: Any?, _ key: String) -> [String: Any]? { (value as? [String: Any])?[key] as? [String: Any] }
        let schemas = object(document["components"], "schemas")
        let generate = try #require(schemas?["GenerateRequest"] as? [String: Any])
        #expect((object(generate, "not")?["required"] as? [String]) == ["image_url", "image_base64"], "one source, never both")
        let paths = try #require(document["paths"] as? [String: Any])
        func body(_ path: String, _ method: String) -> [String: Any]? {
            object(object(object(object(object(paths[path], method), "requestBody"), "content"), "application/json"), "schema")
        }
        #expect(object(object(body("/api/products/url", "post"), "properties"), "imageUrls")?["minItems"] as? Int == 1)
        #expect(object(object(body("/api/vto/generate-url", "post"), "properties"), "personImageUrl")?["minLength"] as? Int == 1)
        #expect(object(object(body("/api/vto/generate-url", "post"), "properties"), "webhook")?["required"] as? [String] == ["url"])
    }
}
