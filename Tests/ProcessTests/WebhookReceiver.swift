import Crypto
import Foundation
import Hummingbird
import Synchronization
@testable import ServerHarness

/// One POST to the receiver's `/hook`, as it arrived.
struct WebhookDelivery: Sendable {
    /// 1 for the first POST the receiver got, and so on.
    let sequence: Int
    let body: Data
    let signature: String?
    let eventID: String?
    let timestamp: String?
    let receivedAt: Date
    /// What the receiver answered: 200, or 500 while it was told to fail.
    let answeredStatus: Int

    var accepted: Bool { answeredStatus == 200 }

    /// The parsed payload `{"event", "data", "timestamp"}`, if the body is a JSON object.
    var payload: [String: Any]? { (try? JSONSerialization.jsonObject(with: body)) as? [String: Any] }
    var event: String? { payload?["event"] as? String }
    var data: [String: Any]? { payload?["data"] as? [String: Any] }

    /// Whether the signature header is the lowercase hex HMAC-SHA256 of the raw body keyed by `apiKey`.
    func signatureIsValid(apiKey: String) -> Bool {
        signature == hmacSHA256Hex(body, key: apiKey)
    }

    /// Whether the timestamp header (Unix seconds) is within `tolerance` of the arrival time.
    func timestampIsFresh(tolerance: TimeInterval = 300) -> Bool {
        guard let timestamp, let seconds = TimeInterval(timestamp) else { return false }
        return abs(receivedAt.timeIntervalSince1970 - seconds) <= tolerance
    }

    var summary: String {
        "#\(sequence) \(event ?? "?") event-id \(eventID ?? "none") answered \(answeredStatus): \(String(decoding: body.prefix(300), as: UTF8.self))"
    }
}

func hmacSHA256Hex(_ body: Data, key: String) -> String {
    HMAC<SHA256>.authenticationCode(for: body, using: SymmetricKey(data: Data(key.utf8)))
        .map { String(format: "%02x", $0) }.joined()
}

/// A customer's webhook endpoint on loopback: records every POST to `/hook` and answers 200,
/// or 500 to the first `failFirst` deliveries.
final class WebhookReceiver: Sendable {
    typealias Inspector = @Sendable (WebhookDelivery) async -> Void

    private struct State {
        var port = 0
        var failuresLeft: Int
        var deliveries: [WebhookDelivery] = []
        var inspector: Inspector?
    }

    private let state: Mutex<State>

    init(failFirst: Int = 0) {
        state = Mutex(State(failuresLeft: failFirst))
    }

    var url: String { "http://127.0.0.1:\(state.withLock { $0.port })/hook" }

    var deliveries: [WebhookDelivery] { state.withLock { $0.deliveries } }

    /// Makes the next `count` deliveries fail with 500.
    func failNext(_ count: Int) { state.withLock { $0.failuresLeft = count } }

    /// Runs `inspector` on each delivery as it arrives, before the receiver answers: a test can
    /// look at the server's state at that very moment.
    func onDelivery(_ inspector: Inspector?) { state.withLock { $0.inspector = inspector } }

    /// Polls (every 100 ms) until `predicate` holds for the deliveries so far, and returns them.
    @discardableResult
    func waitFor(
        _ what: String, timeout: Duration, context: @autoclosure () -> String = "",
        _ predicate: ([WebhookDelivery]) -> Bool
    ) async throws -> [WebhookDelivery] {
        let start = ContinuousClock.now
        while true {
            let seen = deliveries
            if predicate(seen) { return seen }
            if ContinuousClock.now - start >= timeout {
                let list = seen.suffix(30).map(\.summary).joined(separator: "\n")
                throw PollTimeout(description: "timed out after \(timeout) waiting for \(what); \(seen.count) deliveries, the last ones:\n\(list)\n\(context())")
            }
            try await Task.sleep(for: .milliseconds(100))
        }
    }

    fileprivate func receive(_ request: Request) async throws -> Response {
        let bytes = try await request.body.collect(upTo: 4 << 20)
        func header(_ name: String) -> String? {
            request.headers.first { $0.name.canonicalName == name.lowercased() }?.value
        }
        let (delivery, inspector) = state.withLock { state in
            let failing = state.failuresLeft > 0
            if failing { state.failuresLeft -= 1 }
            let delivery = WebhookDelivery(
                sequence: state.deliveries.count + 1,
                body: Data(bytes.readableBytesView),
                signature: header("X-ProdVisual-Signature"),
                eventID: header("X-ProdVisual-Event-Id"),
                timestamp: header("X-ProdVisual-Timestamp"),
                receivedAt: Date(),
                answeredStatus: failing ? 500 : 200)
            state.deliveries.append(delivery)
            return (delivery, state.inspector)
        }
        if let inspector { await inspector(delivery) }
        return Response(status: .init(code: delivery.answeredStatus))
    }

    fileprivate func setPort(_ port: Int) { state.withLock { $0.port = port } }
}

/// Runs `body` with a webhook receiver listening on 127.0.0.1, stopped afterwards.
func withWebhookReceiver<T: Sendable>(failFirst: Int = 0, _ body: (WebhookReceiver) async throws -> T) async throws -> T {
    let receiver = WebhookReceiver(failFirst: failFirst)
    let router = Router()
    router.post("hook") { request, _ in try await receiver.receive(request) }
    return try await withLoopbackServer(router, label: "webhook-receiver") { port in
        receiver.setPort(port)
        return try await body(receiver)
    }
}
