import Foundation
import ProdVisualClient
import Testing
@testable import ServerHarness

extension ServerProcessTests {
    /// The server's crash recovery seen through the Swift client, as a customer's code sees it:
    /// the client keeps waiting across a kill -9 and a restart, retrying refused connections.
    @Suite struct SwiftClientTests {
        @Test func clientWaitsForABatchAcrossAKillAndRestart() async throws {
            try await withPackshotServer { packshots in
                // A killed worker's jobs are claimed again once their 3 s lease runs out.
                try await withServerProcess(environment: ["PRODVISUAL_JOB_LEASE_SECONDS": "3"]) { server in
                    let client = ProdVisualClient(
                        apiKey: try server.keys.live, baseURL: server.baseURL,
                        // Enough retries, spaced up to 1 s, to outlast a restart.
                        configuration: .init(maxRetries: 30, backoffBase: .milliseconds(200), backoffMax: .seconds(1)))
                    let items = (0..<10).map {
                        GenerateRequest(imageURL: packshots.url($0), style: "white_bg", dimensions: "400x400", format: "jpeg")
                    }
                    let batch = try await client.generateBatch(items)
                    #expect(batch.totalItems == 10 && batch.creditsRemaining == 90)

                    _ = try await poll("a completed item", timeout: .seconds(180), every: .milliseconds(100), context: server.diagnostics) {
                        let progress = try await client.batch(batch.batchID)
                        return (progress.completedItems ?? 0) >= 1 ? progress : nil
                    }
                    try await server.kill9()

                    // The client starts waiting while nothing listens; the server comes back meanwhile.
                    async let restarted: Void = restart(server, after: .seconds(1))
                    let done = try await client.waitForCompletion(batch, timeout: .seconds(300), pollInterval: .milliseconds(250))
                    try await restarted
                    #expect(done.status == .completed && done.completedItems == 10, "\(done.items.map(\.status))\n\(server.diagnostics)")
                    #expect(done.items.allSatisfy { $0.status == .completed && $0.outputURL != nil })
                    let credits = try await client.credits()
                    #expect(credits.creditsUsedTotal == 10 && credits.creditsRemaining == 90, "charged once per item: \(credits)")
                }
            }
        }

        private func restart(_ server: ServerProcess, after delay: Duration) async throws {
            try await Task.sleep(for: delay)
            try await server.restart()
        }
    }
}
