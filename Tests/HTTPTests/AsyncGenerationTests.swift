import Foundation
import Hummingbird
import HummingbirdTesting
import Testing

@testable import ProdVisualDomain
@testable import ProdVisualHTTP

/// Queued generations and batches through the router, with the job workers running in process.
/// (Real processes, crashes and webhook receivers are in ProcessTests.)
@Suite struct AsyncGenerationTests {
    static let hook = "http://127.0.0.1:9/hook"

    /// A request that validates (its URL is never fetched in these tests).
    static func valid() -> [String: Any] { ["image_url": "https://example.com/a.jpg", "style": "white_bg"] }

    func item(_ source: [UInt8], _ extra: [String: Any] = [:]) -> [String: Any] {
        ["image_base64": Data(source).base64EncodedString(), "style": "white_bg", "dimensions": "300x300", "format": "jpeg"]
            .merging(extra) { $1 }
    }

    /// Runs the workers while `body` runs.
    func withWorkers(_ harness: Harness, _ body: () async throws -> Void) async throws {
        let workers = Task { await harness.services.jobs.run() }
        defer { workers.cancel() }
        try await body()
        await harness.services.jobs.shutdown()
    }

    /// Polls GET /v1/generations/{id} until `done` holds (or two minutes pass).
    func poll(_ client: some TestClientProtocol, _ id: String, key: String, until done: ([String: Any]) -> Bool) async throws -> [String: Any] {
        let deadline = ContinuousClock.now.advanced(by: .seconds(120))
        while true {
            let json = try await client.execute(uri: "/v1/generations/\(id)", method: .get, headers: bearer(key)) { response in
                #expect(response.status == .ok)
                return try response.jsonObject()
            }
            if done(json) || ContinuousClock.now > deadline { return json }
            try await Task.sleep(for: .milliseconds(100))
        }
    }

    @Test func aWebhookGenerationIsAcceptedAtOnceAndRenderedByAWorker() async throws {
        let harness = try await Harness.make(credits: 10)
        let source = try Bench.bag()
        try await harness.test { client in
            let accepted = try await client.execute(
                uri: "/v1/generate", method: .post, headers: bearer(harness.liveKey), body: jsonBody(item(source, ["webhook_url": Self.hook]))
            ) { response in
                #expect(response.status == .accepted)
                return try response.jsonObject()
            }
            let id = try #require(accepted["id"] as? String)
            #expect(accepted["status"] as? String == "pending")
            #expect(accepted["credits_used"] as? Int == 1)
            #expect(accepted["credits_remaining"] as? Int == 9)
            #expect(accepted["output_url"] is NSNull)

            // Nothing renders without a worker.
            let queued = try await poll(client, id, key: harness.liveKey) { _ in true }
            #expect(queued["status"] as? String == "pending")

            try await withWorkers(harness) {
                let done = try await poll(client, id, key: harness.liveKey) { $0["status"] as? String == "completed" }
                #expect(done["status"] as? String == "completed")
                let url = try #require(done["output_url"] as? String)
                try await client.execute(uri: try outputPath(url), method: .get) { response in
                    #expect(response.status == .ok)
                    #expect(Array(response.body.readableBytesView.prefix(2)) == [0xFF, 0xD8], "a JPEG")
                }
                // The event waits in the store for the dispatcher (not running here).
                let webhook = try #require(done["webhook"] as? [String: Any])
                #expect(webhook["url"] as? String == Self.hook)
                let deliveries = try #require(webhook["deliveries"] as? [[String: Any]])
                #expect(deliveries.count == 1)
                #expect(deliveries.first?["event"] as? String == "generation.completed")
                #expect((deliveries.first?["event_id"] as? String)?.hasPrefix("evt_") == true)
                #expect(deliveries.first?["status"] as? String == "pending")
            }
            let summary = try await harness.services.accounts.credits(accountID: harness.accountID)
            #expect(summary.balance == 9)
        }
    }

    @Test func aBatchReportsEveryItemAndRefundsTheFailedOnes() async throws {
        let harness = try await Harness.make(credits: 5)
        let source = try Bench.bag()
        // Valid as a request, undecodable as an image: it fails at render time.
        let garbage = Array("not an image at all".utf8)
        try await harness.test { client in
            let body = jsonBody(["items": [item(source), item(garbage), item(source, ["style": "transparent", "format": "png"])]])
            let accepted = try await client.execute(uri: "/v1/generate/batch", method: .post, headers: bearer(harness.liveKey), body: body) { response in
                #expect(response.status == .accepted)
                return try response.jsonObject()
            }
            let batchID = try #require(accepted["batch_id"] as? String)
            #expect(batchID.hasPrefix("batch_"))
            #expect(accepted["status"] as? String == "pending")
            #expect(accepted["total_items"] as? Int == 3)
            #expect(accepted["credits_used"] as? Int == 3)
            #expect(accepted["credits_remaining"] as? Int == 2)
            #expect((accepted["estimated_time_ms"] as? Int ?? 0) > 0)
            #expect(accepted["results_url"] as? String == "http://files.test/v1/generations/\(batchID)")
            #expect((accepted["items"] as? [[String: Any]])?.count == 3)

            try await withWorkers(harness) {
                let done = try await poll(client, batchID, key: harness.liveKey) { $0["completed_at"] is String }
                #expect(done["status"] as? String == "completed")
                #expect(done["completed_items"] as? Int == 2)
                #expect(done["failed_items"] as? Int == 1)
                #expect(done["credits_used"] as? Int == 2)
                let items = try #require(done["items"] as? [[String: Any]])
                #expect(items.map { $0["status"] as? String } == ["completed", "failed", "completed"], "in request order")
                #expect(items.allSatisfy { $0["batch_id"] as? String == batchID })
                #expect(items[2]["format"] as? String == "png")
                let error = try #require(items[1]["error"] as? [String: Any])
                #expect(error["code"] as? String == "invalid_image")
                #expect(items[1]["output_url"] is NSNull)
            }
            let summary = try await harness.services.accounts.credits(accountID: harness.accountID)
            #expect(summary.balance == 3, "the failed item was refunded")
        }
    }

    @Test func batchesAreValidatedWholeBeforeAnythingIsCharged() async throws {
        let harness = try await Harness.make(credits: 100)
        try await harness.test { client in
            func refusal(_ body: [String: Any]) async throws -> String {
                try await client.execute(uri: "/v1/generate/batch", method: .post, headers: bearer(harness.liveKey), body: jsonBody(body)) {
                    try $0.expectError("invalid_request", 400)
                }
            }
            let tooMany = try await refusal(["items": Array(repeating: Self.valid(), count: 51)])
            #expect(tooMany.contains("50"), "\(tooMany)")
            var items = Array(repeating: Self.valid(), count: 4)
            items[2]["style"] = "watercolour"
            let unknown = try await refusal(["items": items])
            #expect(unknown.hasPrefix("items[2]:") && unknown.contains("watercolour"), "\(unknown)")
            items[2] = Self.valid()
            items[1]["quality"] = "high"
            let mistyped = try await refusal(["items": items])
            #expect(mistyped.contains("items[1].quality"), "\(mistyped)")
            let empty = try await refusal(["items": [] as [Any]])
            #expect(empty.contains("empty"), "\(empty)")
            let missing = try await refusal(["webhook_url": Self.hook])
            #expect(missing.contains("items"), "\(missing)")
            let badHook = try await refusal(["items": [Self.valid()], "webhook_url": "ftp://example.com/x"])
            #expect(badHook.contains("webhook_url"), "\(badHook)")
            let summary = try await harness.services.accounts.credits(accountID: harness.accountID)
            #expect(summary.balance == 100 && summary.usedTotal == 0)
        }
    }

    @Test func aBatchTheBalanceCannotCoverIsRefusedWhole() async throws {
        let harness = try await Harness.make(credits: 2)
        try await harness.test { client in
            try await client.execute(
                uri: "/v1/generate/batch", method: .post, headers: bearer(harness.liveKey),
                body: jsonBody(["items": [Self.valid(), Self.valid(), Self.valid()]])
            ) { response in
                let message = try response.expectError("insufficient_credits", 402)
                #expect(message.contains("3 credits") && message.contains("2"), "\(message)")
            }
            #expect(try await harness.services.accounts.credits(accountID: harness.accountID).balance == 2)
        }
    }

    @Test func webhookTargetsFollowTheSourceAddressRules() async throws {
        let harness = try await Harness.make(credits: 5, allowPrivate: false)
        try await harness.test { client in
            let body = jsonBody(["image_url": "https://example.com/a.jpg", "style": "white_bg", "webhook_url": "http://127.0.0.1:8080/hook"])
            try await client.execute(uri: "/v1/generate", method: .post, headers: bearer(harness.liveKey), body: body) { response in
                let message = try response.expectError("invalid_request", 400)
                #expect(message.contains("webhook_url") && message.contains("127.0.0.1"), "\(message)")
            }
            #expect(try await harness.services.accounts.credits(accountID: harness.accountID).balance == 5)
        }
    }

    @Test func anIdempotencyKeyRunsARequestOnce() async throws {
        let harness = try await Harness.make(credits: 10)
        let source = try Bench.bag()
        try await harness.test { client in
            var headers = bearer(harness.liveKey)
            headers[.idempotencyKey] = "order-1234-main-image"
            let body = jsonBody(item(source))
            let (first, firstBody) = try await client.execute(uri: "/v1/generate", method: .post, headers: headers, body: body) { response in
                #expect(response.status == .ok)
                #expect(response.headers[.idempotentReplayed] == nil)
                return (try response.decoded(WireGeneration.self), String(buffer: response.body))
            }
            let (second, secondBody) = try await client.execute(uri: "/v1/generate", method: .post, headers: headers, body: body) { response in
                #expect(response.status == .ok)
                #expect(response.headers[.idempotentReplayed] == "true")
                return (try response.decoded(WireGeneration.self), String(buffer: response.body))
            }
            #expect(first.id == second.id && firstBody == secondBody)
            #expect(try await harness.services.accounts.credits(accountID: harness.accountID).balance == 9, "charged once")

            // The same key for another request is refused.
            try await client.execute(uri: "/v1/generate", method: .post, headers: headers, body: jsonBody(item(source, ["dimensions": "200x200"]))) { response in
                let message = try response.expectError("invalid_request", 400)
                #expect(message.contains("Idempotency-Key"), "\(message)")
            }
            // A client mistake is kept and replayed too: the request cannot succeed as sent.
            headers[.idempotencyKey] = "bad-request"
            let bad = jsonBody(item(source, ["style": "nope"]))
            for _ in 0..<2 {
                try await client.execute(uri: "/v1/generate", method: .post, headers: headers, body: bad) { response in
                    try response.expectError("invalid_request", 400)
                }
            }
            #expect(try await harness.services.accounts.credits(accountID: harness.accountID).balance == 9)
        }
    }
}
