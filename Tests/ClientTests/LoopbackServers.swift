import Foundation
import Hummingbird
import NIOCore
import ProdVisualClient
import Synchronization
@testable import ServerHarness

/// Source images over loopback, as a shop's CDN would serve them:
/// `/packshots/<path>` (the bench photos, read in place from `shared/bench` beside the checkout,
/// never copied into the repository), `/slow/<seconds>/<path>` (the same after a delay),
/// `/too-large.jpg` (11 MB) and `/not-an-image.jpg` (text labelled as a JPEG).
struct SourceServer: Sendable {
    let baseURL: String
    let photos: [String]

    func url(_ index: Int) -> String { "\(baseURL)/packshots/\(photos[index % photos.count])" }
    func slowURL(_ seconds: Double, _ index: Int = 0) -> String { "\(baseURL)/slow/\(seconds)/\(photos[index % photos.count])" }

    /// A cheap generation: a small white-background JPEG.
    func item(_ index: Int, webhookURL: String? = nil, imageURL: String? = nil) -> GenerateRequest {
        GenerateRequest(imageURL: imageURL ?? url(index), style: "white_bg", dimensions: "400x400", format: "jpeg", webhookURL: webhookURL)
    }
}

func withSourceServer<T: Sendable>(_ body: (SourceServer) async throws -> T) async throws -> T {
    let photos = try Packshots.smallPhotos()
    let root = Packshots.root
    let router = Router()
    router.get("**") { request, _ -> Response in
        var path = request.uri.path
        func jpeg(_ bytes: ByteBuffer) -> Response {
            Response(status: .ok, headers: [.contentType: "image/jpeg"], body: .init(byteBuffer: bytes))
        }
        if path == "/too-large.jpg" {
            var bytes = ByteBuffer(repeating: 0, count: 11 << 20)
            bytes.setBytes([0xFF, 0xD8, 0xFF, 0xE0], at: 0)
            return jpeg(bytes)
        }
        if path == "/not-an-image.jpg" {
            return jpeg(ByteBuffer(string: String(repeating: "This is a text file, not a photo.\n", count: 20)))
        }
        let parts = path.split(separator: "/", maxSplits: 2).map(String.init)
        if parts.count == 3, parts[0] == "slow", let seconds = Double(parts[1]) {
            try await Task.sleep(for: .milliseconds(Int(seconds * 1000)))
            path = "/packshots/" + parts[2]
        }
        if path.hasPrefix("/packshots/") {
            let relative = String(path.dropFirst("/packshots/".count)).removingPercentEncoding ?? ""
            let file = root.appendingPathComponent(relative).standardizedFileURL
            if file.path.hasPrefix(root.path + "/"), let data = FileManager.default.contents(atPath: file.path) {
                return jpeg(ByteBuffer(bytes: data))
            }
        }
        return Response(status: .notFound)
    }
    return try await withLoopbackServer(router, label: "sources") { port in
        try await body(SourceServer(baseURL: "http://127.0.0.1:\(port)", photos: photos))
    }
}

/// One POST to the receiver, as it arrived.
struct ReceivedWebhook: Sendable {
    let body: Data
    /// Header names as sent.
    let headers: [String: String]

    var payload: [String: Any]? { (try? JSONSerialization.jsonObject(with: body)) as? [String: Any] }
    var event: String? { payload?["event"] as? String }
    var data: [String: Any]? { payload?["data"] as? [String: Any] }

    func header(_ name: String) -> String? { headers.first { $0.key.lowercased() == name.lowercased() }?.value }
}

/// A customer's webhook endpoint on loopback: records every POST to `/hook` and answers 200.
final class WebhookReceiver: Sendable {
    private let state = Mutex<(port: Int, deliveries: [ReceivedWebhook])>((0, []))

    var url: String { "http://127.0.0.1:\(state.withLock { $0.port })/hook" }

    /// The first delivery of `event` whose data names `id` (a generation's or a batch's).
    func waitFor(_ event: String, id: String, timeout: Duration = .seconds(30)) async throws -> ReceivedWebhook {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            let found = state.withLock { $0.deliveries }.first {
                $0.event == event && ($0.data?["id"] as? String == id || $0.data?["batch_id"] as? String == id)
            }
            if let found { return found }
            try await Task.sleep(for: .milliseconds(50))
        }
        throw ServerProcessError(description: "no \(event) delivery for \(id) within \(timeout)")
    }

    fileprivate func receive(_ request: Request) async throws -> Response {
        let bytes = try await request.body.collect(upTo: 4 << 20)
        var headers: [String: String] = [:]
        for field in request.headers { headers[field.name.rawName] = field.value }
        let delivery = ReceivedWebhook(body: Data(bytes.readableBytesView), headers: headers)
        state.withLock { $0.deliveries.append(delivery) }
        return Response(status: .ok)
    }

    fileprivate func setPort(_ port: Int) { state.withLock { $0.port = port } }
}

func withWebhookReceiver<T: Sendable>(_ body: (WebhookReceiver) async throws -> T) async throws -> T {
    let receiver = WebhookReceiver()
    let router = Router()
    router.post("hook") { request, _ in try await receiver.receive(request) }
    return try await withLoopbackServer(router, label: "webhook-receiver") { port in
        receiver.setPort(port)
        return try await body(receiver)
    }
}
