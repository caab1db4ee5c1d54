import Foundation
import Testing

@testable import ProdVisualDomain

@Suite struct WebhookTests {
    let body = Array(#"{"id":"gen_1","status":"completed"}"#.utf8)
    let now = Date(timeIntervalSince1970: 1_780_000_000)

    @Test func theSignatureIsTheHexHMACOfTheRawBodyUnderTheAPIKey() {
        let signed = WebhookSignature(body: body, apiKey: "pv_live_abc123", eventID: "evt_1", at: now)
        // Computed independently: printf '%s' BODY | openssl dgst -sha256 -hmac pv_live_abc123
        #expect(signed.signature == "4311eb0693fb065db585a79a6ee4835f4b39b38f8bd421b3e516be0c00277d51")
        #expect(signed.headers.map(\.name) == ["X-ProdVisual-Signature", "X-ProdVisual-Event-Id", "X-ProdVisual-Timestamp"])
        #expect(signed.timestamp == 1_780_000_000)
    }

    @Test func receiversRejectAnotherKeyAChangedBodyAndOldDeliveries() {
        let signed = WebhookSignature(body: body, apiKey: "pv_live_abc123", eventID: "evt_1", at: now)
        func verify(_ body: [UInt8], key: String = "pv_live_abc123", at date: Date) -> Bool {
            WebhookSignature.verify(body: body, apiKey: key, signature: signed.signature, timestamp: signed.timestamp, now: date)
        }
        #expect(verify(body, at: now.addingTimeInterval(60)))
        #expect(!verify(body, key: "pv_live_other", at: now))
        #expect(!verify(body + [0x20], at: now))
        #expect(!verify(body, at: now.addingTimeInterval(301)), "a replay after five minutes")
        #expect(!WebhookSignature.verify(body: body, apiKey: "pv_live_abc123", signature: "zz", timestamp: signed.timestamp, now: now))
    }

    @Test func retriesBackOffExponentiallyWithJitterForAboutADay() {
        let policy = WebhookRetryPolicy()
        #expect(policy.delay(afterFailures: 1, random: 0) == 15)
        #expect(policy.delay(afterFailures: 1, random: 0.999) < 30)
        #expect(policy.delay(afterFailures: 4, random: 1) == 240)
        #expect(policy.delay(afterFailures: 20, random: 1) == 3600, "capped at an hour")
        // Even with the longest waits, deliveries stop after a day, having tried for most of it.
        var elapsed: TimeInterval = 0
        var attempts = 1
        while policy.shouldRetry(firstAttempt: now, next: now.addingTimeInterval(elapsed + policy.delay(afterFailures: attempts, random: 1))) {
            elapsed += policy.delay(afterFailures: attempts, random: 1)
            attempts += 1
        }
        #expect(elapsed > 20 * 3600 && elapsed <= 86_400, "\(elapsed)")
        #expect((20...40).contains(attempts), "\(attempts)")
    }
}
