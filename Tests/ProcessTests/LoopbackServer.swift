import Foundation
import Hummingbird
@testable import ServerHarness

/// The packshots over loopback HTTP, the way a shop's CDN serves them.
struct PackshotServer: Sendable {
    let baseURL: String
    let photos: [String]

    /// The URL of the `index`-th small photo, going round the list.
    func url(_ index: Int) -> String { "\(baseURL)/\(photos[index % photos.count])" }

    /// One generation request for photo `index`, kept cheap: a small white-background JPEG.
    func item(_ index: Int, webhookURL: String? = nil) -> [String: Any] {
        var item: [String: Any] = ["image_url": url(index), "style": "white_bg", "dimensions": "400x400", "format": "jpeg"]
        if let webhookURL { item["webhook_url"] = webhookURL }
        return item
    }
}

func withPackshotServer<T: Sendable>(_ body: (PackshotServer) async throws -> T) async throws -> T {
    let photos = try Packshots.smallPhotos()
    let router = Router()
    router.add(middleware: FileMiddleware(Packshots.root.path, searchForIndexHtml: false))
    return try await withLoopbackServer(router, label: "packshots") { port in
        try await body(PackshotServer(baseURL: "http://127.0.0.1:\(port)", photos: photos))
    }
}
