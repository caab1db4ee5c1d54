import Foundation
import Hummingbird
import HummingbirdTesting
import ProdVisualEngine
import Testing

@testable import ProdVisualDomain
@testable import ProdVisualHTTP

/// The console's own files at /console, their policy, and the style previews.
@Suite struct ConsoleTests {
    @Test func theConsoleIsServedWithAStrictPolicy() async throws {
        let harness = try await Harness.make()
        try await harness.test { client in
            try await client.execute(uri: "/console", method: .get) { response in
                #expect(response.status == .movedPermanently)
                #expect(response.headers[.location] == "/console/")
            }
            try await client.execute(uri: "/console/", method: .get) { response in
                #expect(response.status == .ok)
                #expect(response.headers[.contentType]?.hasPrefix("text/html") == true)
                let policy = try #require(response.headers[.contentSecurityPolicy])
                #expect(policy.contains("default-src 'self'"))
                #expect(policy.contains("script-src 'self'"))
                #expect(policy.contains("img-src 'self' data: blob: http://files.test"))
                #expect(!policy.contains("unsafe-inline"))
                #expect(response.headers[.xContentTypeOptions] == "nosniff")
                let html = String(buffer: response.body)
                #expect(html.contains(#"<label for="api-key">API key</label>"#))
                // No inline script, no inline style, no attribute handler.
                #expect(!html.contains("<script>") && !html.contains("style=") && !html.contains(" onclick="))
            }
            try await client.execute(uri: "/console/app.js", method: .get) { response in
                #expect(response.status == .ok)
                #expect(response.headers[.contentType]?.contains("javascript") == true)
                #expect(response.headers[.contentSecurityPolicy] != nil)
            }
            try await client.execute(uri: "/console/nothing-here.js", method: .get) { response in
                try response.expectError("not_found", 404)
                #expect(response.headers[.contentSecurityPolicy] != nil)
            }
            try await client.execute(uri: "/console/previews/no_such_style.jpg", method: .get) { response in
                try response.expectError("not_found", 404)
            }
        }
    }

    @Test func stylePreviewsAreRenderedOnceFromTheDrawnPhoto() async throws {
        let harness = try await Harness.make()
        try await harness.test { client in
            let first = try await client.execute(uri: "/console/previews/white_bg.jpg", method: .get) { response in
                #expect(response.status == .ok)
                #expect(response.headers[.contentType] == "image/jpeg")
                return Array(response.body.readableBytesView)
            }
            #expect(FormatSniffer.sniff(first) == .jpeg)
            let info = try GenerateTests.engine.imageInfo(source: first)
            #expect(max(info.width, info.height) <= StylePreviews.longSide)
            let again = try await client.execute(uri: "/console/previews/white_bg.jpg", method: .get) { Array($0.body.readableBytesView) }
            #expect(again == first, "cached")
            let transparent = try await client.execute(uri: "/console/previews/transparent.jpg", method: .get) { response in
                #expect(response.status == .ok)
                return Array(response.body.readableBytesView)
            }
            #expect(FormatSniffer.sniff(transparent) == .jpeg)
        }
    }
}
