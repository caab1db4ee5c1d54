import Foundation
import Testing
@testable import ServerHarness

/// Two API nodes and two workers on one PostgreSQL database and one bucket, as in production
/// behind a load balancer: the services come from `scripts/with-services.sh` (or `make test`).
enum SharedServices {
    static let environment = ProcessInfo.processInfo.environment
    static var available: Bool {
        ["PRODVISUAL_TEST_DATABASE_URL", "PRODVISUAL_TEST_OBJECT_STORE_URL"].allSatisfy { environment[$0] != nil }
            || environment["PRODVISUAL_REQUIRE_SERVICES"] == "1"
    }

    /// A fresh schema in the test database and a fresh prefix in the bucket: what one cluster
    /// shares, as `serve` reads it from the environment.
    static func freshStorage() throws -> [String: String] {
        guard let database = environment["PRODVISUAL_TEST_DATABASE_URL"],
              let bucket = environment["PRODVISUAL_TEST_OBJECT_STORE_URL"]
        else { throw ServerProcessError(description: "PRODVISUAL_TEST_DATABASE_URL and PRODVISUAL_TEST_OBJECT_STORE_URL are not set") }
        let schema = "c_" + UUID().uuidString.replacingOccurrences(of: "-", with: "").lowercased().prefix(16)
        let psql = Process()
        psql.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        psql.arguments = ["psql", "-q", "-v", "ON_ERROR_STOP=1", database, "-c", "CREATE SCHEMA \(schema)"]
        try psql.run()
        psql.waitUntilExit()
        guard psql.terminationStatus == 0 else { throw ServerProcessError(description: "psql could not create schema \(schema)") }
        var storage = [
            "PRODVISUAL_DATABASE_URL": database + (database.contains("?") ? "&" : "?") + "options=-c%20search_path%3D\(schema)",
            "PRODVISUAL_OBJECT_STORE_URL": bucket.trimmingCharacters(in: CharacterSet(charactersIn: "/")) + "/\(schema)",
            "PRODVISUAL_SERVER_SECRET": (0..<32).map { _ in String(format: "%02x", UInt8.random(in: 0...255)) }.joined(),
        ]
        storage["PRODVISUAL_S3_ENDPOINT"] = environment["PRODVISUAL_TEST_S3_ENDPOINT"]
        return storage
    }
}

/// The nodes of one cluster, stopped together.
struct Cluster: Sendable {
    let apis: [ServerProcess]
    let workers: [ServerProcess]

    static func start(apis: Int, workers: Int, environment extra: [String: String] = [:]) async throws -> Cluster {
        let environment = try SharedServices.freshStorage().merging(extra) { _, test in test }
        var started: [ServerProcess] = []
        do {
            // The first node migrates the empty schema; the rest start together on it.
            for _ in 0..<apis { started.append(try await ServerProcess.start(environment: environment, role: "api", printsKeys: false)) }
            var workerNodes: [ServerProcess] = []
            for _ in 0..<workers {
                workerNodes.append(try await ServerProcess.start(
                    environment: environment.merging(["PRODVISUAL_WORKERS": "1"]) { _, worker in worker }, role: "worker", printsKeys: false))
                started.append(workerNodes.last!)
            }
            return Cluster(apis: Array(started.prefix(apis)), workers: workerNodes)
        } catch {
            for node in started { await node.stop() }
            throw error
        }
    }

    func stop() async {
        for node in apis + workers {
            await node.stop()
            node.removeData()
        }
    }

    var diagnostics: String { (apis + workers).map(\.diagnostics).joined(separator: "\n") }
}

func withCluster(apis: Int = 2, workers: Int = 2, environment: [String: String] = [:], _ body: (Cluster) async throws -> Void) async throws {
    let cluster = try await Cluster.start(apis: apis, workers: workers, environment: environment)
    do {
        try await body(cluster)
    } catch {
        await cluster.stop()
        throw error
    }
    await cluster.stop()
}

extension ServerProcessTests {
    @Suite(.enabled(if: SharedServices.available)) struct ClusterTests {
        @Test func aBatchSurvivesAKilledWorkerAndIsChargedAndDeliveredOnce() async throws {
            try await withPackshotServer { packshots in
                try await withWebhookReceiver { receiver in
                    // A killed worker's job is claimed by the other once its 3 s lease runs out.
                    try await withCluster(environment: ["PRODVISUAL_JOB_LEASE_SECONDS": "3"]) { cluster in
                        let key = try await cluster.apis[0].createKey(credits: 100)
                        let (a, b) = (try cluster.apis[0].api, try cluster.apis[1].api)
                        let items = (0..<30).map { packshots.item($0, webhookURL: receiver.url) }
                        let submitted = try await a.post("/v1/generate/batch", key: key, json: ["items": items])
                        #expect(submitted.status == 202, "\(submitted)\n\(cluster.diagnostics)")
                        let batchID = try #require(try submitted.json()["batch_id"] as? String, "\(submitted)")

                        let doneBeforeKill = try await poll("3 completed items", timeout: .seconds(240), every: .milliseconds(100), context: cluster.diagnostics) {
                            let done = completedCount(try await cluster.apis[1].generation(batchID, key: key))
                            return done >= 3 ? done : nil
                        }
                        try await cluster.workers[0].kill9()
                        if doneBeforeKill >= 30 { Issue.record("the whole batch was done before the kill; the crash tested nothing") }

                        // Polled through both API nodes in turn: each sees the shared state.
                        var turn = 0
                        let batch = try await poll("the batch to complete on the surviving worker", timeout: .seconds(400), context: cluster.diagnostics) {
                            turn += 1
                            let batch = try await cluster.apis[turn % 2].generation(batchID, key: key)
                            return batch["status"] as? String == "completed" && completedCount(batch) == 30 ? batch : nil
                        }
                        let finished = batchItems(batch)
                        #expect(finished.count == 30 && finished.allSatisfy { $0.status == "completed" }, "\(finished)")
                        let itemIDs = Set(finished.map(\.id))
                        #expect(itemIDs.count == 30)

                        let credits = try await b.get("/v1/account/credits", key: key).json()
                        #expect(credits["credits_used_total"] as? Int == 30, "charged once per item: \(credits)")
                        #expect(credits["credits_remaining"] as? Int == 70, "\(credits)")

                        try await receiver.waitFor("a completion event for each of the 30 items", timeout: .seconds(120), context: cluster.diagnostics) {
                            Set($0.filter { $0.accepted && $0.event == "generation.completed" }.compactMap { $0.data?["id"] as? String }).count >= 30
                        }
                        try await Task.sleep(for: .seconds(2))
                        expectOneCompletionEventPerItem(receiver.deliveries, itemIDs: itemIDs, apiKey: key)

                        // Every item's output is served by either API node, from the shared bucket.
                        let sample = try await cluster.apis[1].generation(finished[7].id, key: key)
                        let link = try #require(sample["output_url"] as? String)
                        let path = String(link[try #require(link.range(of: "/output/")).lowerBound...])
                        let viaA = try await a.get(path), viaB = try await b.get(path)
                        #expect(viaA.status == 200 && viaB.status == 200 && viaA.body == viaB.body && looksLikeJPEG(viaB.body))
                    }
                }
            }
        }

        @Test func anOutputRenderedThroughOneNodeIsFetchedThroughTheOther() async throws {
            try await withPackshotServer { packshots in
                try await withCluster(workers: 0) { cluster in
                    let key = try await cluster.apis[0].createKey(credits: 10)
                    let (a, b) = (try cluster.apis[0].api, try cluster.apis[1].api)
                    let reply = try await a.post("/v1/generate", key: key, json: packshots.item(1))
                    #expect(reply.status == 200, "\(reply)\n\(cluster.diagnostics)")
                    let generation = try reply.json()
                    let link = try #require(generation["output_url"] as? String)
                    #expect(link.hasPrefix(cluster.apis[0].baseURL + "/output/"))
                    let path = String(link.dropFirst(cluster.apis[0].baseURL.count))
                    let direct = try await a.get(path)
                    let other = try await b.get(path)
                    #expect(direct.status == 200 && looksLikeJPEG(direct.body))
                    #expect(other.status == 200 && other.body == direct.body, "node B: \(other.status)")
                    #expect(other.header("content-type") == "image/jpeg")
                    // The link is signed with the shared secret: tampering fails on every node.
                    #expect(try await b.get(path.replacingOccurrences(of: "signature=", with: "signature=0")).status == 404)
                    let id = try #require(generation["id"] as? String)
                    #expect(try await b.get("/v1/generations/\(id)", key: key).status == 200)
                }
            }
        }

        @Test func twoAPINodesHoldAKeyToItsLimitTogether() async throws {
            try await withCluster(workers: 0, environment: ["PRODVISUAL_RATE_LIMIT_PER_MINUTE": "12"]) { cluster in
                let key = try await cluster.apis[0].createKey(credits: 1)
                let nodes = [try cluster.apis[0].api, try cluster.apis[1].api]
                // Sixteen calls within one fixed minute window: start early enough in a minute.
                let second = Int(Date().timeIntervalSince1970) % 60
                if second > 45 { try await Task.sleep(for: .seconds(61 - second)) }
                var statuses: [Int] = []
                for call in 0..<16 {
                    statuses.append(try await nodes[call % 2].get("/v1/account/credits", key: key).status)
                }
                #expect(statuses.filter { $0 == 200 }.count == 12, "\(statuses)")
                #expect(statuses.filter { $0 == 429 }.count == 4, "\(statuses)")
                #expect(Array(statuses.suffix(4)) == [429, 429, 429, 429], "\(statuses)")
            }
        }
    }
}
