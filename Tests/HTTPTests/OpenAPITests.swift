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
