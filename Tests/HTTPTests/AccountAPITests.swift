import Foundation
import Hummingbird
import HummingbirdTesting
import ProdVisualEngine
import ProdVisualStore
import Testing

@testable import ProdVisualDomain
@testable import ProdVisualHTTP

/// The endpoints the console reads: usage per day, the account's history, API keys.
@Suite struct AccountAPITests {
    /// A second account with a live key, made through the domain as an operator would.
    static func otherAccount(_ harness: Harness) async throws -> (accountID: String, key: String) {
        let account = try await harness.services.accounts.createAccount(name: "Other shop", credits: 10)
        let key = try await harness.services.accounts.issueKey(accountID: account.id, mode: .live, name: "other")
        return (account.id, key.secret)
    }

    /// A finished generation written straight to the store, `offset` seconds after `base`.
    static func seedGeneration(
        _ harness: Harness, id: String, accountID: String, keyID: String, at date: Date, cost: Int = 1
    ) async throws {
        let store = harness.services.generations.store
        let record = GenerationRecord(
            id: id, accountID: accountID, keyID: keyID, mode: .live, status: .processing, style: "white_bg", platform: "amazon",
            format: "png", width: 100, height: 100, parameters: "{}", creditsUsed: cost, createdAt: date,
            expiresAt: date.addingTimeInterval(7 * 86_400))
        _ = try await store.startGeneration(record)
        _ = try await store.completeGeneration(
            id: id, output: GenerationOutput(outputFile: "\(id).png", fileSize: 10, generationTimeMs: 5), at: date)
    }

    static func keyID(_ harness: Harness, secret: String) async throws -> String {
        try #require(try await harness.services.generations.store.key(secretHash: Identifiers.sha256Hex(secret))?.id)
    }

    // MARK: Usage

    @Test func usageCountsEachUTCDayNetOfRefunds() async throws {
        let harness = try await Harness.make(credits: 20)
        let keyID = try await Self.keyID(harness, secret: harness.liveKey)
        let today = AccountService.startOfDayUTC(harness.clock.now)
        try await Self.seedGeneration(harness, id: "gen_old", accountID: harness.accountID, keyID: keyID, at: today.addingTimeInterval(-3 * 86_400 + 60))
        try await Self.seedGeneration(harness, id: "gen_t1", accountID: harness.accountID, keyID: keyID, at: today.addingTimeInterval(1))
        try await Self.seedGeneration(harness, id: "gen_t2", accountID: harness.accountID, keyID: keyID, at: today.addingTimeInterval(2))
        // A failure is refunded: a generation, but no credit.
        let store = harness.services.generations.store
        _ = try await store.startGeneration(GenerationRecord(
            id: "gen_fail", accountID: harness.accountID, keyID: keyID, mode: .live, status: .processing, style: "white_bg",
            platform: "amazon", format: "png", width: 1, height: 1, parameters: "{}", creditsUsed: 1, createdAt: today.addingTimeInterval(3),
            expiresAt: today.addingTimeInterval(86_400)))
        _ = try await store.failGeneration(id: "gen_fail", code: "invalid_image", message: "x", at: today.addingTimeInterval(4))

        try await harness.test { client in
            try await client.execute(uri: "/v1/account/usage", method: .get, headers: bearer(harness.liveKey)) { response in
                #expect(response.status == .ok)
                let body = try response.jsonObject()
                #expect(body["object"] as? String == "usage")
                #expect(body["days"] as? Int == 30)
                #expect(body["credits_used"] as? Int == 3)
                #expect(body["generations"] as? Int == 4)
                let data = try #require(body["data"] as? [[String: Any]])
                #expect(data.count == 30)
                let last = try #require(data.last)
                #expect(last["date"] as? String == String(wireTimestamp(today).prefix(10)))
                #expect(body["to"] as? String == last["date"] as? String)
                #expect(last["credits_used"] as? Int == 2)
                #expect(last["generations"] as? Int == 3)
                #expect(data[26]["credits_used"] as? Int == 1, "three days ago")
                #expect(data.dropLast().filter { ($0["credits_used"] as? Int) != 0 }.count == 1)
            }
            try await client.execute(uri: "/v1/account/usage?days=1", method: .get, headers: bearer(harness.liveKey)) { response in
                let body = try response.jsonObject()
                #expect((body["data"] as? [Any])?.count == 1)
                #expect(body["credits_used"] as? Int == 2)
            }
            for bad in ["0", "91", "abc", "7.5"] {
                try await client.execute(uri: "/v1/account/usage?days=\(bad)", method: .get, headers: bearer(harness.liveKey)) { response in
                    let message = try response.expectError("invalid_request", 400)
                    #expect(message.contains("days"))
                }
            }
            // Test keys see the account's usage too: it is not a key-management call.
            try await client.execute(uri: "/v1/account/usage?days=2", method: .get, headers: bearer(harness.testKey)) { response in
                #expect(response.status == .ok)
            }
        }
    }

    // MARK: History

    @Test func historyPagesNewestFirstAndListsOnlyTheCallersAccount() async throws {
        let harness = try await Harness.make(credits: 100)
        let keyID = try await Self.keyID(harness, secret: harness.liveKey)
        let other = try await Self.otherAccount(harness)
        let otherKeyID = try await Self.keyID(harness, secret: other.key)
        let base = harness.clock.now.addingTimeInterval(-3600)
        // 23 of ours, two at the same millisecond; one of the other account's between them.
        var ours: [(id: String, at: Date)] = []
        for index in 0..<23 {
            let id = String(format: "gen_h%02d", index)
            let at = base.addingTimeInterval(Double(index == 22 ? 21 : index))
            try await Self.seedGeneration(harness, id: id, accountID: harness.accountID, keyID: keyID, at: at)
            ours.append((id, at))
        }
        try await Self.seedGeneration(harness, id: "gen_theirs", accountID: other.accountID, keyID: otherKeyID, at: base.addingTimeInterval(10.5))
        let expected = ours.sorted { $0.at == $1.at ? $0.id > $1.id : $0.at > $1.at }.map(\.id)

        try await harness.test { client in
            var seen: [String] = []
            var after: String?
            var pages = 0
            repeat {
                let uri = "/v1/generations?limit=10" + (after.map { "&starting_after=\($0)" } ?? "")
                let (ids, hasMore) = try await client.execute(uri: uri, method: .get, headers: bearer(harness.liveKey)) { response in
                    #expect(response.status == .ok)
                    let body = try response.jsonObject()
                    #expect(body["object"] as? String == "list")
                    let data = try #require(body["data"] as? [[String: Any]])
                    return (data.compactMap { $0["id"] as? String }, try #require(body["has_more"] as? Bool))
                }
                seen += ids
                after = hasMore ? ids.last : nil
                pages += 1
            } while after != nil && pages < 10
            #expect(pages == 3)
            #expect(seen == expected, "newest first, equal times by id descending, every entry once")
            #expect(!seen.contains("gen_theirs"))

            // The default page is 20; the other account sees only its own.
            try await client.execute(uri: "/v1/generations", method: .get, headers: bearer(harness.liveKey)) { response in
                let body = try response.jsonObject()
                #expect((body["data"] as? [Any])?.count == 20)
                #expect(body["has_more"] as? Bool == true)
            }
            try await client.execute(uri: "/v1/generations", method: .get, headers: bearer(other.key)) { response in
                let body = try response.jsonObject()
                let data = try #require(body["data"] as? [[String: Any]])
                #expect(data.map { $0["id"] as? String } == ["gen_theirs"])
                #expect(body["has_more"] as? Bool == false)
            }
            // Another account's entry is no cursor here, and limits are checked.
            try await client.execute(uri: "/v1/generations?starting_after=gen_theirs", method: .get, headers: bearer(harness.liveKey)) { response in
                let message = try response.expectError("not_found", 404)
                #expect(message.contains("starting_after"))
            }
            for bad in ["0", "101", "x"] {
                try await client.execute(uri: "/v1/generations?limit=\(bad)", method: .get, headers: bearer(harness.liveKey)) { response in
                    let message = try response.expectError("invalid_request", 400)
                #expect(message.contains("limit"))
                }
            }
            try await client.execute(uri: "/v1/generations", method: .get) { response in
                try response.expectError("unauthorized", 401)
            }
        }
    }

    @Test func aBatchIsOneEntryWithItsItemsAndWebhook() async throws {
        let harness = try await Harness.make(credits: 10)
        let key = try await harness.services.accounts.authenticate(bearer: harness.liveKey)
        let source = GenerationRequest(source: .url("http://127.0.0.1:9/a.jpg"), style: "white_bg")
        _ = try await harness.services.generations.enqueue(
            [QueuedGeneration(
                record: GenerationRecord(
                    id: "gen_item0", accountID: key.accountID, keyID: key.keyID, mode: .live, status: .pending, style: "white_bg",
                    platform: "generic", format: "png", width: 10, height: 10, parameters: "{}", creditsUsed: 1,
                    createdAt: harness.clock.now, expiresAt: harness.clock.now.addingTimeInterval(3600), batchID: "batch_one", batchIndex: 0),
                request: try GenerationService.encode(source))],
            batch: BatchRecord(
                id: "batch_one", accountID: key.accountID, keyID: key.keyID, totalItems: 1, webhookURL: "http://127.0.0.1:9/hook",
                createdAt: harness.clock.now))
        try await harness.test { client in
            try await client.execute(uri: "/v1/generations", method: .get, headers: bearer(harness.testKey)) { response in
                let body = try response.jsonObject()
                let data = try #require(body["data"] as? [[String: Any]])
                #expect(data.count == 1)
                let batch = try #require(data.first)
                #expect(batch["batch_id"] as? String == "batch_one")
                #expect(batch["id"] == nil)
                #expect((batch["items"] as? [[String: Any]])?.first?["id"] as? String == "gen_item0")
                #expect((batch["webhook"] as? [String: Any])?["url"] as? String == "http://127.0.0.1:9/hook")
            }
        }
    }

    // MARK: Keys

    @Test func aLiveKeyListsCreatesAndRevokesTheAccountsKeys() async throws {
        let harness = try await Harness.make()
        // Newer than the first-start keys, so that it is listed first.
        harness.clock.advance(by: 1)
        try await harness.test { client in
            let created = try await client.execute(
                uri: "/v1/keys", method: .post, headers: bearer(harness.liveKey), body: jsonBody(["name": "shop backend", "mode": "test"])
            ) { response in
                #expect(response.status == .created)
                #expect(response.headers[.cacheControl] == "no-store")
                return try response.jsonObject()
            }
            let secret = try #require(created["secret"] as? String)
            let id = try #require(created["id"] as? String)
            #expect(secret.hasPrefix("pv_test_"))
            #expect(created["object"] as? String == "api_key")
            #expect(created["name"] as? String == "shop backend")
            #expect(created["mode"] as? String == "test")
            #expect(created["prefix"] as? String == "pv_test_")
            #expect(created["hint"] as? String == String(secret.suffix(4)))
            #expect(created["last_used_at"] is NSNull)

            // The new key works; its use is recorded.
            try await client.execute(uri: "/v1/account/credits", method: .get, headers: bearer(secret)) { response in
                #expect(response.status == .ok)
            }
            try await client.execute(uri: "/v1/keys", method: .get, headers: bearer(harness.liveKey)) { response in
                #expect(response.status == .ok)
                let body = try response.jsonObject()
                #expect(body["object"] as? String == "list")
                #expect(body["has_more"] as? Bool == false)
                let data = try #require(body["data"] as? [[String: Any]])
                #expect(data.count == 3)
                #expect(data.first?["id"] as? String == id, "newest first")
                #expect(data.allSatisfy { $0["secret"] == nil }, "secrets are never listed")
                #expect(data.first?["last_used_at"] is String)
                #expect(data.contains { $0["mode"] as? String == "live" && $0["last_used_at"] is String }, "the caller's own key is in use")
            }

            let revoked = try await client.execute(uri: "/v1/keys/\(id)", method: .delete, headers: bearer(harness.liveKey)) { response in
                #expect(response.status == .ok)
                return try response.jsonObject()
            }
            #expect(revoked["revoked_at"] is String)
            #expect(revoked["secret"] == nil)
            try await client.execute(uri: "/v1/account/credits", method: .get, headers: bearer(secret)) { response in
                let message = try response.expectError("unauthorized", 401)
                #expect(message.contains("revoked"))
            }
            // Again: the key as it is.
            try await client.execute(uri: "/v1/keys/\(id)", method: .delete, headers: bearer(harness.liveKey)) { response in
                #expect(response.status == .ok)
            }
            try await client.execute(uri: "/v1/keys/key_doesnotexist", method: .delete, headers: bearer(harness.liveKey)) { response in
                try response.expectError("not_found", 404)
            }
            // A key cannot revoke itself.
            let ownID = try await Self.keyID(harness, secret: harness.liveKey)
            try await client.execute(uri: "/v1/keys/\(ownID)", method: .delete, headers: bearer(harness.liveKey)) { response in
                try response.expectError("invalid_request", 400)
            }
            // Defaults, and what is refused.
            try await client.execute(uri: "/v1/keys", method: .post, headers: [.authorization: "Bearer \(harness.liveKey)"]) { response in
                #expect(response.status == .created)
                let body = try response.jsonObject()
                #expect(body["mode"] as? String == "live")
                #expect((body["secret"] as? String)?.hasPrefix("pv_live_") == true)
            }
            try await client.execute(uri: "/v1/keys", method: .post, headers: bearer(harness.liveKey), body: jsonBody(["mode": "admin"])) { response in
                let message = try response.expectError("invalid_request", 400)
                #expect(message.contains("mode"))
            }
            try await client.execute(uri: "/v1/keys", method: .post, headers: bearer(harness.liveKey), body: jsonBody(["name": String(repeating: "n", count: 101)])) { response in
                try response.expectError("invalid_request", 400)
            }
        }
    }

    @Test func testKeysAreRefusedWith403() async throws {
        let harness = try await Harness.make()
        let liveKeyID = try await Self.keyID(harness, secret: harness.liveKey)
        try await harness.test { client in
            for (method, uri) in [(HTTPRequest.Method.get, "/v1/keys"), (.post, "/v1/keys"), (.delete, "/v1/keys/\(liveKeyID)")] {
                try await client.execute(uri: uri, method: method, headers: bearer(harness.testKey), body: jsonBody(["name": "x"])) { response in
                    let message = try response.expectError("unauthorized", 403)
                    #expect(message.contains("live key"))
                    #expect(response.headers[.rateLimitRemaining] != nil)
                }
            }
            // Nothing was created or revoked.
            try await client.execute(uri: "/v1/keys", method: .get, headers: bearer(harness.liveKey)) { response in
                let data = try #require(try response.jsonObject()["data"] as? [[String: Any]])
                #expect(data.count == 2)
                #expect(data.allSatisfy { $0["revoked_at"] is NSNull })
            }
        }
    }

    @Test func anotherAccountsKeyCannotBeRevokedOrSeen() async throws {
        let harness = try await Harness.make()
        let other = try await Self.otherAccount(harness)
        let otherKeyID = try await Self.keyID(harness, secret: other.key)
        try await harness.test { client in
            try await client.execute(uri: "/v1/keys/\(otherKeyID)", method: .delete, headers: bearer(harness.liveKey)) { response in
                try response.expectError("not_found", 404)
            }
            try await client.execute(uri: "/v1/account/credits", method: .get, headers: bearer(other.key)) { response in
                #expect(response.status == .ok, "the other account's key still works")
            }
            try await client.execute(uri: "/v1/keys", method: .get, headers: bearer(harness.liveKey)) { response in
                let data = try #require(try response.jsonObject()["data"] as? [[String: Any]])
                #expect(!data.contains { $0["id"] as? String == otherKeyID })
            }
        }
    }
}
