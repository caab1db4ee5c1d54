import Foundation
import Testing
@testable import ServerHarness

/// The tests of this target each run a real `prodvisual serve` process. One at a time: the
/// machine may have two cores, and each server renders on all of them.
@Suite(.serialized, .timeLimit(.minutes(10)))
struct ServerProcessTests {}

extension ServerProcessTests {
    /// The harness itself, against whatever the server does today.
    @Suite struct HarnessTests {
        @Test func firstStartPrintsKeysAndServesAGenerationFromAnImageURL() async throws {
            try await withPackshotServer { packshots in
                try await withServerProcess { server in
                    let keys = try server.keys
                    #expect(keys.live.hasPrefix("pv_live_"))
                    #expect(keys.test.hasPrefix("pv_test_"))
                    #expect(keys.live != keys.test)

                    let api = try server.api
                    let reply = try await api.post("/v1/generate", key: keys.live, json: packshots.item(0))
                    #expect(reply.status == 200, "\(reply)\n\(server.diagnostics)")
                    let generation = try reply.json()
                    #expect((generation["id"] as? String)?.hasPrefix("gen_") == true, "\(reply)")
                    #expect(generation["status"] as? String == "completed")
                    #expect(generation["dimensions"] as? String == "400x400")
                    #expect(generation["credits_remaining"] as? Int == 99)
                    let output = try await api.get(try #require(generation["output_url"] as? String))
                    #expect(output.status == 200)
                    #expect(looksLikeJPEG(output.body), "\(output.body.prefix(8).map { $0 })")

                    let credits = try await api.get("/v1/account/credits", key: keys.live).json()
                    #expect(credits["credits_remaining"] as? Int == 99)
                    #expect(credits["credits_used_total"] as? Int == 1)
                }
            }
        }

        @Test func restartKeepsTheDataAndPrintsNoNewKeys() async throws {
            try await withServerProcess { server in
                let keys = try server.keys
                #expect(server.printedLiveKeyLines == 1)

                // terminate() returns once the process has ended by itself, not by a signal. (Its
                // exit status on SIGTERM is the server's business: QueueTests holds it to 0.)
                let stopped = try await server.terminate()
                #expect(stopped.exited, "SIGTERM ended the server with \(stopped)\n\(server.diagnostics)")
                #expect(!server.isRunning)
                try await server.restart()
                #expect(server.printedLiveKeyLines == 1, "a restart must not create another account")
                #expect(try server.keys.live == keys.live)
                // The first start's key still works: same data directory, same port.
                let credits = try await server.api.get("/v1/account/credits", key: keys.live)
                #expect(credits.status == 200, "\(credits)")
                #expect(try credits.json()["credits_remaining"] as? Int == 100)

                let killed = try await server.kill9()
                #expect(!killed.exited && killed.code == SIGKILL, "\(killed)")
                try await server.restart()
                let again = try await server.api.get("/v1/account/credits", key: keys.live)
                #expect(again.status == 200, "\(again)")
                #expect(server.printedLiveKeyLines == 1)
            }
        }

        @Test func passesTheTestsEnvironmentAndKeepsItsOwnLogs() async throws {
            // A variable the server reads: a per-minute limit of 2 shows on the third request.
            try await withServerProcess(environment: ["PRODVISUAL_RATE_LIMIT_PER_MINUTE": "2"]) { server in
                let api = try server.api
                let key = try server.keys.live
                var statuses: [Int] = []
                for _ in 0..<3 { statuses.append(try await api.get("/v1/account/credits", key: key).status) }
                #expect(statuses == [200, 200, 429])
                #expect(FileManager.default.fileExists(atPath: server.stderrLog.path))
                #expect(server.stderrTail().contains("--- start 1 ---"))
            }
        }

        @Test func webhookReceiverRecordsAndFailsOnRequest() async throws {
            try await withWebhookReceiver(failFirst: 2) { receiver in
                let client = APIClient(baseURL: "http://unused.invalid")
                let body = Data(#"{"event":"generation.completed","data":{},"timestamp":"2026-01-01T00:00:00Z"}"#.utf8)
                let key = "pv_live_example"
                let now = String(Int(Date().timeIntervalSince1970))
                var statuses: [Int] = []
                for _ in 0..<3 {
                    let reply = try await client.send(
                        "POST", receiver.url, key: nil, body: body,
                        headers: [
                            "X-ProdVisual-Signature": hmacSHA256Hex(body, key: key), "X-ProdVisual-Event-Id": "evt_1",
                            "X-ProdVisual-Timestamp": now,
                        ], timeout: 10)
                    statuses.append(reply.status)
                }
                #expect(statuses == [500, 500, 200])
                let deliveries = try await receiver.waitFor("three deliveries", timeout: .seconds(5)) { $0.count == 3 }
                #expect(deliveries.map(\.answeredStatus) == [500, 500, 200])
                #expect(deliveries.map(\.sequence) == [1, 2, 3])
                for delivery in deliveries {
                    #expect(delivery.body == body)
                    #expect(delivery.eventID == "evt_1")
                    #expect(delivery.event == "generation.completed")
                    #expect(delivery.signatureIsValid(apiKey: key))
                    #expect(!delivery.signatureIsValid(apiKey: "pv_live_other"))
                    #expect(delivery.timestampIsFresh())
                }
            }
        }

        @Test func signatureIsTheHexHMACOfTheBody() {
            // RFC 4231, test case 2.
            let mac = hmacSHA256Hex(Data("what do ya want for nothing?".utf8), key: "Jefe")
            #expect(mac == "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843")
        }

        @Test func packshotServerServesTheBenchPhotos() async throws {
            try await withPackshotServer { packshots in
                #expect(packshots.photos.count >= 3)
                let reply = try await APIClient(baseURL: packshots.baseURL).get(packshots.url(0))
                #expect(reply.status == 200)
                #expect(looksLikeJPEG(reply.body))
            }
        }
    }
}
