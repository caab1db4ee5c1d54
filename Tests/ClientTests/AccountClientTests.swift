import Foundation
import ProdVisualClient
import Testing
@testable import ServerHarness

/// ACCT-1 to ACCT-4 of sdks/TEST_PLAN.md for the Swift client: usage, the account's history a
/// page at a time, and its API keys, against the real `prodvisual serve`.
@Suite(.serialized, .timeLimit(.minutes(5)))
struct AccountClientTests {
    @Test func usageHistoryAndKeys() async throws {
        try await withSourceServer { sources in
            try await withServerProcess { server in
                let client = ProdVisualClient(apiKey: try server.keys.live, baseURL: server.baseURL)

                // ACCT-1: usage counts today.
                let first = try await client.generate(sources.item(0))
                let usage = try await client.usage(days: 7)
                #expect(usage.days == 7 && usage.data.count == 7)
                let today = String(ISO8601DateFormatter().string(from: Date()).prefix(10))
                #expect(usage.data.last?.date == today && usage.to == today)
                #expect(usage.data.last?.creditsUsed == 1 && usage.data.last?.generations == 1 && usage.creditsUsed == 1)

                // ACCT-2: newest first, a page at a time; the stream walks every page once.
                let second = try await client.generate(sources.item(1))
                let page = try await client.listGenerations(limit: 1)
                #expect(page.hasMore && page.data.map(\.id) == [second.id])
                let next = try await client.listGenerations(limit: 1, startingAfter: page.lastID)
                #expect(!next.hasMore && next.data.map(\.id) == [first.id])
                var walked: [String] = []
                for try await entry in client.generations(pageSize: 1) { walked.append(entry.id) }
                #expect(walked == [second.id, first.id])

                // ACCT-3: a key created (its secret once), listed, used, revoked; then refused.
                let created = try await client.createKey(name: "sdk test", mode: "test")
                let secret = try #require(created.secret)
                #expect(secret.hasPrefix("pv_test_") && secret.hasSuffix(created.hint) && created.name == "sdk test" && !created.isRevoked)
                _ = try await ProdVisualClient(apiKey: secret, baseURL: server.baseURL).credits()
                let keys = try await client.listKeys()
                #expect(keys.first?.id == created.id && keys.first?.secret == nil && keys.first?.lastUsedAt != nil)
                #expect(try await client.revokeKey(created.id).isRevoked)
                let revoked = ProdVisualClient(apiKey: secret, baseURL: server.baseURL, configuration: .init(maxRetries: 0))
                let refused = await expectError(.unauthorized, 401) { try await revoked.credits() }
                #expect(refused?.isPermissionDenied == false)

                // ACCT-4: a test key may not manage keys: 403, code unauthorized.
                let sandbox = ProdVisualClient(apiKey: try server.keys.test, baseURL: server.baseURL, configuration: .init(maxRetries: 0))
                let denied = await expectError(.unauthorized, 403) { try await sandbox.listKeys() }
                #expect(denied?.isPermissionDenied == true)
            }
        }
    }
}
