import Foundation
import Synchronization
import Testing
@testable import ServerHarness

extension ServerProcessTests {
    /// Asynchronous generation, batches, webhooks and Idempotency-Key, through the real
    /// executable: what a customer's integration sees, crashes and restarts included.
    @Suite struct QueueTests {
        // MARK: Batches and webhooks

        @Test func batchOfTwentyDeliversSignedWebhooksThenTheBatchEvent() async throws {
            try await withPackshotServer { packshots in
                try await withWebhookReceiver { receiver in
                    try await withServerProcess { server in
                        let key = try server.keys.live
                        let api = try server.api
                        // The batch's state at the moment its event arrives, before the receiver answers.
                        let batchAtEvent = Locked<HTTPReply?>(nil)
                        receiver.onDelivery { delivery in
                            guard delivery.event == "batch.completed", let batchID = delivery.data?["batch_id"] as? String else { return }
                            let reply = try? await api.get("/v1/generations/\(batchID)", key: key, timeout: 30)
                            batchAtEvent.update { if $0 == nil { $0 = reply } }
                        }

                        let items = (0..<20).map { packshots.item($0, webhookURL: receiver.url) }
                        let submitted = try await api.post("/v1/generate/batch", key: key, json: ["items": items, "webhook_url": receiver.url])
                        #expect(submitted.status == 202, "\(submitted)\n\(server.diagnostics)")
                        let batch = try submitted.json()
                        let batchID = try #require(batch["batch_id"] as? String, "\(submitted)")
                        #expect(batchID.hasPrefix("batch_"))
                        #expect(["pending", "processing", "completed"].contains(batch["status"] as? String ?? ""), "\(submitted)")
                        #expect(batch["total_items"] as? Int == 20)
                        #expect(batch["credits_used"] as? Int == 20)
                        #expect(batch["credits_remaining"] as? Int == 80)
                        #expect((batch["estimated_time_ms"] as? Int ?? 0) > 0, "\(submitted)")
                        #expect((batch["results_url"] as? String)?.hasSuffix("/v1/generations/\(batchID)") == true, "\(submitted)")

                        try await receiver.waitFor("20 generation events and the batch event", timeout: .seconds(240), context: server.diagnostics) {
                            Set($0.filter(\.accepted).compactMap(\.eventID)).count >= 21
                        }
                        // Anything sent twice would come now.
                        try await Task.sleep(for: .seconds(1))
                        let deliveries = receiver.deliveries
                        expectSignedAndConsistent(deliveries, apiKey: key)

                        let events = firstDeliveryPerEvent(deliveries)
                        #expect(events.count == 21, "\(deliveries.map(\.summary))")
                        let generationEvents = events.filter { $0.event == "generation.completed" }
                        let batchEvents = events.filter { $0.event == "batch.completed" }
                        #expect(generationEvents.count == 20)
                        #expect(batchEvents.count == 1)

                        var generationIDs: Set<String> = []
                        for delivery in generationEvents {
                            let data = try #require(delivery.data, "\(delivery.summary)")
                            let id = try #require(data["id"] as? String, "\(delivery.summary)")
                            generationIDs.insert(id)
                            #expect(data["status"] as? String == "completed", "\(delivery.summary)")
                            #expect(data["credits_used"] as? Int == 1, "\(delivery.summary)")
                            let outputURL = try #require(data["output_url"] as? String, "\(delivery.summary)")
                            let output = try await api.get(outputURL)
                            #expect(output.status == 200, "\(outputURL): \(output.status)")
                            #expect(looksLikeJPEG(output.body), "\(outputURL) is not a JPEG")
                        }
                        #expect(generationIDs.count == 20, "one event per generation")

                        let batchEvent = try #require(batchEvents.first)
                        let data = try #require(batchEvent.data, "\(batchEvent.summary)")
                        #expect(data["batch_id"] as? String == batchID)
                        #expect(data["status"] as? String == "completed")
                        #expect(data["total_items"] as? Int == 20)
                        #expect(data["completed_items"] as? Int == 20)
                        #expect(data["failed_items"] as? Int == 0)
                        let eventItems = try #require(data["items"] as? [[String: Any]], "\(batchEvent.summary)")
                        #expect(eventItems.count == 20)
                        for item in eventItems {
                            #expect(item["id"] is String && item["output_url"] is String, "\(item)")
                            #expect(item["status"] as? String == "completed", "\(item)")
                        }
                        #expect(Set(eventItems.compactMap { $0["id"] as? String }) == generationIDs)

                        // Sent only once the batch was done: its state at that moment.
                        let atEvent = try #require(batchAtEvent.value, "the receiver could not read the batch when its event arrived")
                        #expect(atEvent.status == 200, "\(atEvent)")
                        let stateAtEvent = try atEvent.json()
                        #expect(stateAtEvent["status"] as? String == "completed", "\(atEvent)")
                        let itemsAtEvent = batchItems(stateAtEvent)
                        #expect(itemsAtEvent.count == 20, "\(atEvent)")
                        #expect(itemsAtEvent.allSatisfy { $0.status == "completed" }, "\(atEvent)")
                        #expect(Set(itemsAtEvent.map(\.id)) == generationIDs)

                        let credits = try await api.get("/v1/account/credits", key: key).json()
                        #expect(credits["credits_remaining"] as? Int == 80)
                    }
                }
            }
        }

        @Test func invalidBatchesAreRefusedWholeAndChargeNothing() async throws {
            try await withPackshotServer { packshots in
                try await withServerProcess { server in
                    let key = try server.keys.live
                    let api = try server.api

                    let tooMany = try await api.post("/v1/generate/batch", key: key, json: ["items": (0..<51).map { packshots.item($0) }])
                    let tooManyMessage = try tooMany.expectError("invalid_request", 400)
                    #expect(tooManyMessage.contains("50"), "\(tooManyMessage)")

                    var items = (0..<3).map { packshots.item($0) }
                    items[2]["style"] = "no_such_style"
                    let badStyle = try await api.post("/v1/generate/batch", key: key, json: ["items": items])
                    let badStyleMessage = try badStyle.expectError("invalid_request", 400)
                    #expect(badStyleMessage.contains("items[2]"), "\(badStyleMessage)")

                    let credits = try await api.get("/v1/account/credits", key: key).json()
                    #expect(credits["credits_remaining"] as? Int == 100)
                    #expect(credits["credits_used_total"] as? Int == 0)
                }
            }
        }

        // MARK: Crashes and shutdowns

        @Test func killNineMidBatchLosesNothingAndChargesOnce() async throws {
            try await withPackshotServer { packshots in
                try await withWebhookReceiver { receiver in
                    // A killed worker's jobs are claimed again once their 3 s lease runs out.
                    try await withServerProcess(environment: ["PRODVISUAL_JOB_LEASE_SECONDS": "3"]) { server in
                        let key = try server.keys.live
                        let items = (0..<30).map { packshots.item($0, webhookURL: receiver.url) }
                        let submitted = try await server.api.post("/v1/generate/batch", key: key, json: ["items": items])
                        #expect(submitted.status == 202, "\(submitted)\n\(server.diagnostics)")
                        let batchID = try #require(try submitted.json()["batch_id"] as? String, "\(submitted)")

                        let doneBeforeKill = try await poll("3 completed items", timeout: .seconds(240), every: .milliseconds(100), context: server.diagnostics) {
                            let done = completedCount(try await server.generation(batchID, key: key))
                            return done >= 3 ? done : nil
                        }
                        try await server.kill9()
                        if doneBeforeKill >= 30 {
                            Issue.record("the whole batch was done before the kill; the crash tested nothing")
                        }

                        try await server.restart()
                        let batch = try await poll("the batch to complete after the restart", timeout: .seconds(300), context: server.diagnostics) {
                            let batch = try await server.generation(batchID, key: key)
                            return batch["status"] as? String == "completed" && completedCount(batch) == 30 ? batch : nil
                        }
                        let finished = batchItems(batch)
                        #expect(finished.count == 30)
                        #expect(finished.allSatisfy { $0.status == "completed" }, "\(finished)")
                        #expect(batch["completed_items"] as? Int == 30)
                        let itemIDs = Set(finished.map(\.id))
                        #expect(itemIDs.count == 30)

                        let credits = try await server.api.get("/v1/account/credits", key: key).json()
                        #expect(credits["credits_used_total"] as? Int == 30, "charged once per item: \(credits)")
                        #expect(credits["credits_remaining"] as? Int == 70, "\(credits)")

                        try await receiver.waitFor("a completion event for each of the 30 items", timeout: .seconds(120), context: server.diagnostics) {
                            Set($0.filter { $0.accepted && $0.event == "generation.completed" }.compactMap { $0.data?["id"] as? String }).count >= 30
                        }
                        // Redeliveries of events cut off by the kill would come now.
                        try await Task.sleep(for: .seconds(2))
                        expectOneCompletionEventPerItem(receiver.deliveries, itemIDs: itemIDs, apiKey: key)
                    }
                }
            }
        }

        @Test func sigtermExitsCleanlyAndTheBatchCompletesAfterRestart() async throws {
            try await withPackshotServer { packshots in
                // Leases long enough that waiting one out would show: a job running at SIGTERM must
                // be finished or handed back, not left to expire.
                try await withServerProcess(environment: ["PRODVISUAL_JOB_LEASE_SECONDS": "30"]) { server in
                    let key = try server.keys.live
                    let items = (0..<10).map { packshots.item($0) }
                    let submitted = try await server.api.post("/v1/generate/batch", key: key, json: ["items": items])
                    #expect(submitted.status == 202, "\(submitted)\n\(server.diagnostics)")
                    let batchID = try #require(try submitted.json()["batch_id"] as? String, "\(submitted)")

                    let doneBeforeStop = try await poll("a completed item", timeout: .seconds(180), every: .milliseconds(100), context: server.diagnostics) {
                        let done = completedCount(try await server.generation(batchID, key: key))
                        return done >= 1 ? done : nil
                    }
                    let exit = try await server.terminate(timeout: .seconds(60))
                    #expect(exit.exited && exit.code == 0, "SIGTERM ended the server with \(exit)\n\(server.diagnostics)")
                    if doneBeforeStop >= 10 {
                        Issue.record("the whole batch was done before SIGTERM; the shutdown tested nothing")
                    }

                    try await server.restart()
                    let healthy = ContinuousClock.now
                    let batch = try await poll("the batch to complete after the restart", timeout: .seconds(180), context: server.diagnostics) {
                        let batch = try await server.generation(batchID, key: key)
                        return batch["status"] as? String == "completed" && completedCount(batch) == 10 ? batch : nil
                    }
                    let elapsed = ContinuousClock.now - healthy
                    #expect(elapsed <= .seconds(25), "the batch took \(elapsed) after the restart: were running jobs left to their 30 s lease?")
                    let finished = batchItems(batch)
                    #expect(finished.count == 10)
                    #expect(finished.allSatisfy { $0.status == "completed" }, "\(finished)")

                    let credits = try await server.api.get("/v1/account/credits", key: key).json()
                    #expect(credits["credits_used_total"] as? Int == 10, "\(credits)")
                    #expect(credits["credits_remaining"] as? Int == 90, "\(credits)")
                }
            }
        }

        // MARK: Webhook retries

        @Test func webhookIsRetriedWithTheSameEventUntilAccepted() async throws {
            try await withPackshotServer { packshots in
                try await withWebhookReceiver(failFirst: 3) { receiver in
                    // Retries after about 0.2 s, 0.4 s, 0.8 s instead of minutes.
                    try await withServerProcess(environment: ["PRODVISUAL_WEBHOOK_RETRY_BASE_SECONDS": "0.2"]) { server in
                        let key = try server.keys.live
                        let accepted = try await server.api.post("/v1/generate", key: key, json: packshots.item(0, webhookURL: receiver.url))
                        // Waiting for webhooks makes no sense unless the generation went to the queue.
                        try #require(accepted.status == 202, "\(accepted)\n\(server.diagnostics)")
                        let generation = try accepted.json()
                        let id = try #require(generation["id"] as? String, "\(accepted)")
                        #expect(generation["status"] as? String == "pending", "\(accepted)")

                        try await receiver.waitFor("an accepted delivery", timeout: .seconds(120), context: server.diagnostics) {
                            $0.contains(where: \.accepted)
                        }
                        // None after the success.
                        try await Task.sleep(for: .seconds(2))
                        let deliveries = receiver.deliveries
                        #expect(deliveries.map(\.answeredStatus) == [500, 500, 500, 200], "\(deliveries.map(\.summary))")
                        expectSignedAndConsistent(deliveries, apiKey: key)
                        let first = try #require(deliveries.first)
                        #expect(first.eventID != nil)
                        #expect(deliveries.allSatisfy { $0.eventID == first.eventID }, "one event, retried: \(deliveries.map(\.summary))")
                        #expect(deliveries.allSatisfy { $0.body == first.body }, "the same bytes each time")
                        #expect(first.event == "generation.completed")
                        #expect(first.data?["id"] as? String == id)

                        // The generation's own record of the deliveries, once it has the last answer.
                        let shown = try await poll("the delivery to be recorded as delivered", timeout: .seconds(30), context: server.diagnostics) {
                            let shown = try await server.generation(id, key: key)
                            let webhook = shown["webhook"] as? [String: Any]
                            let delivery = (webhook?["deliveries"] as? [[String: Any]])?.first
                            return delivery?["status"] as? String == "delivered" ? shown : nil
                        }
                        let webhook = try #require(shown["webhook"] as? [String: Any], "\(shown)")
                        #expect(webhook["url"] as? String == receiver.url)
                        let records = try #require(webhook["deliveries"] as? [[String: Any]], "\(webhook)")
                        #expect(records.count == 1, "\(records)")
                        let record = try #require(records.first)
                        #expect(record["event_id"] as? String == first.eventID)
                        #expect(record["event"] as? String == "generation.completed")
                        #expect(record["status"] as? String == "delivered")
                        let attempts = try #require(record["attempts"] as? [[String: Any]], "\(record)")
                        #expect(attempts.compactMap { $0["status_code"] as? Int } == [500, 500, 500, 200], "\(attempts)")
                        #expect(attempts.compactMap { $0["number"] as? Int } == [1, 2, 3, 4], "\(attempts)")
                        let times = attempts.compactMap { ($0["attempted_at"] as? String).flatMap(parseRFC3339) }
                        #expect(times.count == 4, "attempted_at must be RFC 3339: \(attempts)")
                        #expect(times == times.sorted(), "\(attempts)")
                        for attempt in attempts {
                            #expect((attempt["duration_ms"] as? Int).map { $0 >= 0 } == true, "\(attempt)")
                            // `error` says why an attempt failed; null (or absent) when it did not.
                            #expect(attempt["error"] == nil || attempt["error"] is NSNull || attempt["error"] is String, "\(attempt)")
                        }
                    }
                }
            }
        }

        // MARK: Idempotency-Key

        @Test func idempotencyKeyReplaysTheFirstAnswerAndChargesOnce() async throws {
            try await withPackshotServer { packshots in
                try await withServerProcess { server in
                    let key = try server.keys.live
                    let api = try server.api
                    let request = packshots.item(0)

                    let first = try await api.post("/v1/generate", key: key, json: request, headers: ["Idempotency-Key": "order-1001"])
                    let second = try await api.post("/v1/generate", key: key, json: request, headers: ["Idempotency-Key": "order-1001"])
                    #expect(first.status == 200, "\(first)\n\(server.diagnostics)")
                    #expect(second.status == 200, "\(second)")
                    let firstID = try first.json()["id"] as? String
                    #expect(firstID != nil)
                    #expect(try second.json()["id"] as? String == firstID)
                    #expect(second.body == first.body, "a replay is the first answer, byte for byte")
                    #expect(first.header("Idempotent-Replayed") != "true")
                    #expect(second.header("Idempotent-Replayed") == "true", "\(second.headers)")
                    #expect(try await remainingCredits(api, key) == 99)

                    let changed = try await api.post("/v1/generate", key: key, json: packshots.item(1), headers: ["Idempotency-Key": "order-1001"])
                    let message = try changed.expectError("invalid_request", 400)
                    #expect(message.lowercased().contains("idempotency-key"), "\(message)")
                    #expect(try await remainingCredits(api, key) == 99)

                    let batch: [String: Any] = ["items": (0..<3).map { packshots.item($0) }]
                    let firstBatch = try await api.post("/v1/generate/batch", key: key, json: batch, headers: ["Idempotency-Key": "catalogue-7"])
                    let secondBatch = try await api.post("/v1/generate/batch", key: key, json: batch, headers: ["Idempotency-Key": "catalogue-7"])
                    #expect(firstBatch.status == 202, "\(firstBatch)")
                    #expect(secondBatch.status == 202, "\(secondBatch)")
                    let batchID = try firstBatch.json()["batch_id"] as? String
                    #expect(batchID != nil)
                    #expect(try secondBatch.json()["batch_id"] as? String == batchID)
                    #expect(try await remainingCredits(api, key) == 96)
                }
            }
        }
    }
}

// MARK: Helpers

/// A value shared with a @Sendable closure.
final class Locked<Value: Sendable>: Sendable {
    private let storage: Mutex<Value>
    init(_ value: Value) { storage = Mutex(value) }
    var value: Value { storage.withLock { $0 } }
    func update(_ change: (inout Value) -> Void) { storage.withLock { change(&$0) } }
}

extension ServerProcess {
    /// GET /v1/generations/<id>: a generation or a batch.
    func generation(_ id: String, key: String) async throws -> [String: Any] {
        let reply = try await api.get("/v1/generations/\(id)", key: key)
        guard reply.status == 200 else { throw ServerProcessError(description: "GET /v1/generations/\(id): \(reply)") }
        return try reply.json()
    }
}

func remainingCredits(_ api: APIClient, _ key: String) async throws -> Int? {
    try await api.get("/v1/account/credits", key: key).json()["credits_remaining"] as? Int
}

/// The `items` of a batch as GET /v1/generations/<batch_id> shows them.
func batchItems(_ batch: [String: Any]) -> [(id: String, status: String)] {
    (batch["items"] as? [[String: Any]] ?? []).map { ($0["id"] as? String ?? "", $0["status"] as? String ?? "") }
}

func completedCount(_ batch: [String: Any]) -> Int {
    batchItems(batch).filter { $0.status == "completed" }.count
}

/// The first delivery of each event id, in arrival order.
func firstDeliveryPerEvent(_ deliveries: [WebhookDelivery]) -> [WebhookDelivery] {
    var seen: Set<String> = []
    return deliveries.filter { delivery in
        guard let id = delivery.eventID else { return false }
        return seen.insert(id).inserted
    }
}

/// After a crash mid-batch: every delivery signed and consistent (a redelivery may be signed
/// anew, so only its event must match), and exactly one completion event per batch item.
func expectOneCompletionEventPerItem(
    _ deliveries: [WebhookDelivery], itemIDs: Set<String>, apiKey: String, sourceLocation: SourceLocation = #_sourceLocation
) {
    expectSignedAndConsistent(deliveries, apiKey: apiKey, identicalRedeliveries: false, sourceLocation: sourceLocation)
    var eventIDsPerGeneration: [String: Set<String>] = [:]
    for delivery in deliveries where delivery.event == "generation.completed" {
        guard let id = delivery.data?["id"] as? String, let eventID = delivery.eventID else { continue }
        eventIDsPerGeneration[id, default: []].insert(eventID)
    }
    for (id, eventIDs) in eventIDsPerGeneration {
        #expect(eventIDs.count == 1, "generation \(id) completed as \(eventIDs.count) different events: \(eventIDs.sorted())", sourceLocation: sourceLocation)
    }
    #expect(itemIDs.subtracting(eventIDsPerGeneration.keys).isEmpty, "no event for \(itemIDs.subtracting(eventIDsPerGeneration.keys).sorted())", sourceLocation: sourceLocation)
    #expect(Set(eventIDsPerGeneration.keys).subtracting(itemIDs).isEmpty, "events for generations outside the batch", sourceLocation: sourceLocation)
}

/// What every delivery must satisfy: an event id, a valid signature by `apiKey`, a fresh
/// timestamp, the payload `{"event", "data", "timestamp"}`, and an event id that never stands
/// for two different payloads (byte for byte, or, when `identicalRedeliveries` is false, the
/// same event about the same generation or batch).
func expectSignedAndConsistent(
    _ deliveries: [WebhookDelivery], apiKey: String, identicalRedeliveries: Bool = true,
    sourceLocation: SourceLocation = #_sourceLocation
) {
    var firstByEvent: [String: WebhookDelivery] = [:]
    for delivery in deliveries {
        #expect(delivery.eventID != nil, "no event id: \(delivery.summary)", sourceLocation: sourceLocation)
        #expect(delivery.signatureIsValid(apiKey: apiKey), "bad signature \(delivery.signature ?? "none"): \(delivery.summary)", sourceLocation: sourceLocation)
        #expect(delivery.timestampIsFresh(), "timestamp \(delivery.timestamp ?? "none") is not within 300 s of \(delivery.receivedAt)", sourceLocation: sourceLocation)
        let payload = delivery.payload
        #expect(payload?["event"] is String, "\(delivery.summary)", sourceLocation: sourceLocation)
        #expect(payload?["data"] is [String: Any], "\(delivery.summary)", sourceLocation: sourceLocation)
        #expect((payload?["timestamp"] as? String).flatMap(parseRFC3339) != nil, "payload timestamp must be RFC 3339: \(delivery.summary)", sourceLocation: sourceLocation)

        guard let eventID = delivery.eventID else { continue }
        guard let first = firstByEvent[eventID] else {
            firstByEvent[eventID] = delivery
            continue
        }
        if identicalRedeliveries {
            #expect(first.body == delivery.body, "event id \(eventID) sent with two payloads:\n\(first.summary)\n\(delivery.summary)", sourceLocation: sourceLocation)
        } else {
            let subject = { (d: WebhookDelivery) in (d.data?["id"] as? String) ?? (d.data?["batch_id"] as? String) }
            #expect(first.event == delivery.event && subject(first) == subject(delivery),
                    "event id \(eventID) sent for two events:\n\(first.summary)\n\(delivery.summary)", sourceLocation: sourceLocation)
        }
    }
}
