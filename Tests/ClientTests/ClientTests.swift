import Foundation
import ProdVisualClient
import Synchronization
import Testing
@testable import ServerHarness

/// The shared SDK test plan (sdks/TEST_PLAN.md) for the Swift client, against the real
/// `prodvisual serve`. One server per test; one test at a time, as the machine may have two cores.
@Suite(.serialized, .timeLimit(.minutes(5)))
struct ClientTests {
    // MARK: API

    @Test func everyReadEndpointAndASynchronousGeneration() async throws {
        try await withSourceServer { sources in
            try await withServerProcess { server in
                let client = ProdVisualClient(apiKey: try server.keys.live, baseURL: server.baseURL)

                // API-1: styles.
                let styles = try await client.styles()
                #expect(styles.total == 22 && styles.styles.count == 22)
                let ids = Set(styles.styles.map(\.id))
                #expect(ids.isSuperset(of: ["lifestyle", "white_bg", "mockup", "infographic", "social_square", "hero_banner", "comparison"]))
                #expect(styles.styles.first { $0.id == "lifestyle" }?.scenes?.isEmpty == false)

                // API-2: platforms and credits.
                let amazon = try #require(try await client.platforms().platforms.first { $0.id == "amazon" })
                #expect(amazon.productFill > 0 && amazon.productFill <= 1 && !amazon.defaultDimensions.isEmpty)
                let credits = try await client.credits()
                #expect(credits.creditsRemaining == 100 && credits.creditsUsedTotal == 0)

                // API-3: a synchronous generation with the document's fields.
                var request = sources.item(0)
                request.platform = "amazon"
                let result = try await client.generate(request)
                #expect(result.id.hasPrefix("gen_"))
                #expect(result.status == .completed)
                #expect(result.outputURL?.hasPrefix(server.baseURL + "/output/") == true)
                #expect(result.style == "white_bg" && result.platform == "amazon" && result.dimensions == "400x400" && result.format == "jpeg")
                #expect(result.creditsUsed == 1 && result.creditsRemaining == 99)
                #expect((result.fileSize ?? 0) > 0 && result.generationTimeMs != nil && result.createdAt != nil && result.expiresAt != nil)
                #expect(result.compliance?["main_image"]?["verdict"] != nil)
                #expect(result.raw["output_url"]?.stringValue == result.outputURL)
                #expect(!result.idempotentReplayed)
                let image = try await client.download(try #require(result.outputURL))
                #expect(image.prefix(3).elementsEqual([0xFF, 0xD8, 0xFF]) && image.count == result.fileSize)
                let lookedUp = try await client.generation(result.id)
                #expect(lookedUp.status == .completed && lookedUp.creditsRemaining == nil)

                // API-4: an explicit Idempotency-Key is replayed and charged once; none means a new call.
                let first = try await client.generate(sources.item(1), idempotencyKey: "order-1001")
                let again = try await client.generate(sources.item(1), idempotencyKey: "order-1001")
                #expect(!first.idempotentReplayed && again.idempotentReplayed && again.id == first.id)
                let other = try await client.generate(sources.item(1))
                #expect(other.id != first.id && other.creditsRemaining == 97)
                #expect(try await client.credits().creditsRemaining == 97)
            }
        }
    }

    @Test func queuedGenerationsBatchesAndTheirWebhooks() async throws {
        try await withSourceServer { sources in
            try await withWebhookReceiver { receiver in
                try await withServerProcess { server in
                    let key = try server.keys.live
                    let client = ProdVisualClient(apiKey: key, baseURL: server.baseURL)

                    // API-5: with a webhook the generation is queued, then waited for.
                    let pending = try await client.generate(sources.item(2, webhookURL: receiver.url))
                    #expect(pending.status == .pending && pending.outputURL == nil)
                    let done = try await client.waitForCompletion(pending, timeout: .seconds(60), pollInterval: .milliseconds(200))
                    #expect(done.status == .completed && done.outputURL != nil)

                    // HOOK-1: the server's delivery verifies with the key that made it, and nothing else.
                    let delivery = try await receiver.waitFor("generation.completed", id: pending.id)
                    let signature = delivery.header("X-ProdVisual-Signature")
                    let timestamp = delivery.header("X-ProdVisual-Timestamp")
                    #expect(ProdVisualClient.verifyWebhook(payload: delivery.body, signature: signature, apiKey: key))
                    #expect(ProdVisualClient.verifyWebhook(payload: delivery.body, signature: signature, apiKey: key, timestamp: timestamp))
                    #expect(signature == ProdVisualClient.webhookSignature(payload: delivery.body, apiKey: key))
                    #expect(!ProdVisualClient.verifyWebhook(payload: delivery.body, signature: signature, apiKey: try server.keys.test))
                    let tampered = Data(String(decoding: delivery.body, as: UTF8.self).replacingOccurrences(of: "completed", with: "failed").utf8)
                    #expect(tampered != delivery.body)
                    #expect(!ProdVisualClient.verifyWebhook(payload: tampered, signature: signature, apiKey: key))
                    #expect(!ProdVisualClient.verifyWebhook(payload: delivery.body, signature: signature.map { String($0.dropLast(2)) }, apiKey: key))
                    #expect(!ProdVisualClient.verifyWebhook(payload: delivery.body, signature: "", apiKey: key))
                    #expect(!ProdVisualClient.verifyWebhook(payload: delivery.body, signature: nil, apiKey: key))
                    let hourAgo = String(Int(Date().timeIntervalSince1970) - 3600)
                    #expect(!ProdVisualClient.verifyWebhook(payload: delivery.body, signature: signature, apiKey: key, timestamp: hourAgo))
                    #expect(!ProdVisualClient.verifyWebhook(payload: delivery.body, signature: signature, apiKey: key, timestamp: "not a number"))
                    let event = try ProdVisualClient.parseWebhook(payload: delivery.body, headers: delivery.headers, apiKey: key)
                    #expect(event.event == "generation.completed" && event.data["id"]?.stringValue == pending.id)
                    #expect(event.eventID == delivery.header("X-ProdVisual-Event-Id") && event.eventID != nil)
                    #expect(event.generation?.outputURL != nil)
                    #expect(throws: ProdVisualError.self) {
                        try ProdVisualClient.parseWebhook(payload: tampered, headers: delivery.headers, apiKey: key)
                    }

                    // API-6: a batch, waited for.
                    let before = try await client.credits().creditsRemaining
                    let batch = try await client.generateBatch((0..<3).map { sources.item($0) }, webhookURL: receiver.url)
                    #expect(batch.batchID.hasPrefix("batch_") && [.pending, .processing].contains(batch.status))
                    #expect(batch.totalItems == 3 && batch.items.count == 3 && batch.creditsUsed == 3)
                    #expect(batch.creditsRemaining == before - 3 && batch.estimatedTimeMs != nil)
                    #expect(batch.resultsURL?.hasSuffix("/v1/generations/\(batch.batchID)") == true)
                    let finished = try await client.waitForCompletion(batch, timeout: .seconds(120), pollInterval: .milliseconds(250))
                    #expect(finished.status == .completed && finished.completedItems == 3 && finished.failedItems == 0)
                    #expect(finished.items.allSatisfy { $0.status == .completed && $0.outputURL != nil && $0.batchID == batch.batchID })
                    guard case .batch = try await client.lookUp(batch.batchID) else {
                        Issue.record("a batch id must read back as a batch")
                        return
                    }

                    // HOOK-2: the batch's event verifies and carries every item.
                    let batchDelivery = try await receiver.waitFor("batch.completed", id: batch.batchID)
                    let batchEvent = try ProdVisualClient.parseWebhook(payload: batchDelivery.body, headers: batchDelivery.headers, apiKey: key)
                    #expect(batchEvent.batch?.batchID == batch.batchID)
                    #expect(batchEvent.batch?.items.map(\.status) == [.completed, .completed, .completed])

                    // API-7: waiting gives up after its time-out, with the last status.
                    let slow = try await client.generate(sources.item(0, webhookURL: receiver.url, imageURL: sources.slowURL(3)))
                    do {
                        _ = try await client.waitForCompletion(slow, timeout: .milliseconds(300), pollInterval: .milliseconds(100))
                        Issue.record("waiting 0.3 s for a 3 s source must time out")
                    } catch let error as ProdVisualError {
                        #expect(error.code == .timeout && [.pending, .processing].contains(error.lastStatus))
                    }
                    #expect(try await client.waitForCompletion(slow, timeout: .seconds(60), pollInterval: .milliseconds(200)).status == .completed)
                }
            }
        }
    }

    // MARK: ERR and RETRY

    @Test func everyErrorClassAndTheRetries() async throws {
        try await withSourceServer { sources in
            try await withServerProcess { server in
                let key = try server.keys.live
                let client = ProdVisualClient(apiKey: key, baseURL: server.baseURL)
                let noRetry = ProdVisualClient(apiKey: key, baseURL: server.baseURL, configuration: .init(maxRetries: 0))

                // ERR-400
                var unknownStyle = sources.item(0)
                unknownStyle.style = "no_such_style"
                let invalid = await expectError(.invalidRequest, 400) { try await client.generate(unknownStyle) }
                #expect(invalid?.message.lowercased().contains("style") == true)
                // ERR-401
                _ = await expectError(.unauthorized, 401) {
                    try await ProdVisualClient(apiKey: "pv_live_not_a_real_key", baseURL: server.baseURL).credits()
                }
                // ERR-402
                let broke = ProdVisualClient(apiKey: try await server.createKey(credits: 0), baseURL: server.baseURL)
                _ = await expectError(.insufficientCredits, 402) { try await broke.generate(sources.item(0)) }
                // ERR-404
                _ = await expectError(.notFound, 404) { try await client.generation("gen_doesnotexist") }
                // ERR-409: the same key while the first call (a 2 s source) is in flight.
                let slow = sources.item(0, imageURL: sources.slowURL(2))
                let first = Task { try await client.generate(slow, idempotencyKey: "in-flight-1") }
                try await Task.sleep(for: .milliseconds(700))
                _ = await expectError(.conflict, 409) { try await noRetry.generate(slow, idempotencyKey: "in-flight-1") }
                #expect(try await first.value.status == .completed)
                // ERR-413
                _ = await expectError(.fileTooLarge, 413) {
                    try await client.generate(sources.item(0, imageURL: sources.baseURL + "/too-large.jpg"))
                }
                // ERR-422
                _ = await expectError(.invalidImage, 422) {
                    try await client.generate(sources.item(0, imageURL: sources.baseURL + "/not-an-image.jpg"))
                }

                // ERR-500: the server cannot store the render (its outputs folder is now a file).
                let outputs = BrokenOutputs(server.outputsDirectory)
                try outputs.breakThem()
                _ = await expectError(.serverError, 500) { try await noRetry.generate(sources.item(0)) }

                // RETRY-5xx: retried after a backoff; the retry hook repairs the server meanwhile.
                let before = try await client.credits().creditsRemaining
                let retries = Mutex<[(Duration, ProdVisualError)]>([])
                let repairing = ProdVisualClient(
                    apiKey: key, baseURL: server.baseURL,
                    configuration: .init(backoffBase: .milliseconds(200), onRetry: { _, wait, error in
                        retries.withLock { $0.append((wait, error)) }
                        outputs.restore()
                    }))
                let recovered = try await repairing.generate(sources.item(0))
                outputs.restore()
                #expect(recovered.status == .completed && recovered.creditsRemaining == before - 1)
                let seen = retries.withLock { $0 }
                #expect(seen.count == 1 && seen.first?.1.code == .serverError)
                #expect(seen.first.map { $0.0 >= .milliseconds(100) && $0.0 <= .milliseconds(200) } == true)

                // RETRY-TIMEOUT: a 1 s time-out against a 2.5 s source; the retries carry the same key,
                // meet 409 while the first attempt runs, then get its answer replayed. One credit.
                let errors = Mutex<[ProdVisualError.Code]>([])
                let impatient = ProdVisualClient(
                    apiKey: key, baseURL: server.baseURL,
                    configuration: .init(
                        timeout: .seconds(1), maxRetries: 8, backoffBase: .milliseconds(400), backoffMax: .seconds(1),
                        onRetry: { _, _, error in errors.withLock { $0.append(error.code) } }))
                let balance = try await client.credits().creditsRemaining
                let replayed = try await impatient.generate(sources.item(1, imageURL: sources.slowURL(2.5, 1)))
                #expect(replayed.status == .completed && replayed.idempotentReplayed)
                let codes = errors.withLock { $0 }
                #expect(codes.first == .connectionError && codes.contains(.conflict), "\(codes)")
                #expect(try await client.credits().creditsRemaining == balance - 1)
            }
        }
    }

    // MARK: HOOK-3 and configuration

    @Test func signatureVectorAndBaseURL() {
        // RFC 4231, test case 2.
        let body = Data("what do ya want for nothing?".utf8)
        let mac = "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
        #expect(ProdVisualClient.webhookSignature(payload: body, apiKey: "Jefe") == mac)
        #expect(ProdVisualClient.verifyWebhook(payload: body, signature: mac.uppercased(), apiKey: "Jefe"))
        #expect(ProdVisualClient.verifyWebhook(payload: body, signature: "sha256=" + mac, apiKey: "Jefe"))
        #expect(ProdVisualClient.verifyWebhook(payload: body, signature: mac, apiKey: "Jefe", timestamp: "1000", now: Date(timeIntervalSince1970: 1300)))
        #expect(!ProdVisualClient.verifyWebhook(payload: body, signature: mac, apiKey: "Jefe", timestamp: "1000", now: Date(timeIntervalSince1970: 1301)))
        #expect(!ProdVisualClient.verifyWebhook(payload: body, signature: String(repeating: "zz", count: 32), apiKey: "Jefe"))

        #expect(ProdVisualClient(apiKey: "k", baseURL: "http://127.0.0.1:9/v1/").baseURL == "http://127.0.0.1:9")
        #expect(ProdVisualClient(apiKey: "k", baseURL: "http://localhost:8080").baseURL == "http://localhost:8080")
    }
}

/// The 429 cases on their own server, limited to 2 requests a minute. Not serialized with the
/// suite above: waiting for the clock-aligned window to roll (up to 60 s) overlaps other tests.
@Suite(.timeLimit(.minutes(3)))
struct RateLimitTests {
    @Test func rateLimitedThenRetriedAfterRetryAfter() async throws {
        try await withServerProcess(environment: ["PRODVISUAL_RATE_LIMIT_PER_MINUTE": "2"]) { server in
            let key = try server.keys.live
            // ERR-429: retries off; spend the window until refused.
            let noRetry = ProdVisualClient(apiKey: key, baseURL: server.baseURL, configuration: .init(maxRetries: 0))
            var refused: ProdVisualError?
            for _ in 0..<6 where refused == nil {
                do { _ = try await noRetry.credits() } catch let error as ProdVisualError { refused = error }
            }
            let error = try #require(refused)
            #expect(error.code == .rateLimited && error.status == 429)
            #expect(error.retryAfter.map { $0 >= 1 && $0 <= 60 } == true, "\(error.headers)")
            #expect(error.rateLimitLimit == 2 && error.rateLimitRemaining == 0 && error.rateLimitReset != nil)

            // A Retry-After beyond maxRetryWait is thrown at once, not slept on.
            let hurriedRetries = Mutex(0)
            let hurried = ProdVisualClient(
                apiKey: key, baseURL: server.baseURL,
                configuration: .init(maxRetries: 3, maxRetryWait: .milliseconds(500), onRetry: { _, _, _ in hurriedRetries.withLock { $0 += 1 } }))
            _ = await expectError(.rateLimited, 429) { try await hurried.credits() }
            #expect(hurriedRetries.withLock { $0 } == 0)

            // RETRY-429: retries on; the call waits out Retry-After and gets through.
            let retries = Mutex<[(Duration, ProdVisualError)]>([])
            let patient = ProdVisualClient(
                apiKey: key, baseURL: server.baseURL,
                configuration: .init(maxRetries: 2, maxRetryWait: .seconds(61), onRetry: { _, wait, error in retries.withLock { $0.append((wait, error)) } }))
            let began = ContinuousClock.now
            let credits = try await patient.credits()
            let elapsed = ContinuousClock.now - began
            #expect(credits.creditsRemaining == 100)
            let seen = retries.withLock { $0 }
            #expect(seen.count == 1 && seen.first?.1.code == .rateLimited)
            if let (wait, retried) = seen.first, let asked = retried.retryAfter {
                #expect(wait >= .milliseconds(Int(asked * 1000)), "waited \(wait) for Retry-After \(asked)")
                #expect(elapsed >= .milliseconds(Int((asked - 1) * 1000)))
            }
        }
    }
}

/// Runs `body`, which must throw a `ProdVisualError` of `code` and `status`; returns it.
@discardableResult
func expectError<T>(
    _ code: ProdVisualError.Code, _ status: Int, sourceLocation: SourceLocation = #_sourceLocation, _ body: () async throws -> T
) async -> ProdVisualError? {
    do {
        let value = try await body()
        Issue.record("expected \(code), got \(value)", sourceLocation: sourceLocation)
    } catch let error as ProdVisualError {
        #expect(error.code == code, "\(error)", sourceLocation: sourceLocation)
        #expect(error.status == status, "\(error)", sourceLocation: sourceLocation)
        #expect(!error.message.isEmpty, sourceLocation: sourceLocation)
        return error
    } catch {
        Issue.record("expected \(code), got \(error)", sourceLocation: sourceLocation)
    }
    return nil
}

/// Replaces the server's outputs folder with a file, so that storing a render fails.
struct BrokenOutputs: Sendable {
    let outputs: URL
    var aside: URL { outputs.deletingLastPathComponent().appendingPathComponent("outputs.aside") }

    init(_ outputs: URL) { self.outputs = outputs }

    func breakThem() throws {
        try FileManager.default.moveItem(at: outputs, to: aside)
        try Data("not a folder".utf8).write(to: outputs)
    }

    func restore() {
        guard FileManager.default.fileExists(atPath: aside.path) else { return }
        try? FileManager.default.removeItem(at: outputs)
        try? FileManager.default.moveItem(at: aside, to: outputs)
    }
}
