import Foundation
import Logging
import ProdVisualNet
import ProdVisualStore

/// Delivers queued webhook events: signs each with the API key that made the request, POSTs it
/// under the same address rules as image fetches, records every attempt, and retries non-2xx
/// answers and time-outs with backoff for about a day.
public struct WebhookDispatcher: Sendable {
    public struct Settings: Sendable {
        public var concurrency = 4
        public var retry = WebhookRetryPolicy()
        public var timeout: Duration = .seconds(10)
        public var pollInterval: Duration = .milliseconds(200)
        /// Longer than any attempt, so a delivery is never sent twice at once.
        public var lease: Duration = .seconds(60)

        public init() {}
    }

    let store: any Store
    let accounts: AccountService
    let generations: GenerationService
    let fetcher: SafeFetcher
    let settings: Settings
    let logger: Logger

    public init(
        store: any Store, accounts: AccountService, generations: GenerationService, fetcher: SafeFetcher, settings: Settings,
        logger: Logger
    ) {
        self.store = store
        self.accounts = accounts
        self.generations = generations
        self.fetcher = fetcher
        self.settings = settings
        self.logger = logger
    }

    /// Delivers until the task is cancelled.
    public func run() async {
        await withTaskGroup(of: Void.self) { group in
            for index in 0..<settings.concurrency {
                group.addTask { await self.loop(worker: "webhooks/\(index)/\(Identifiers.randomBase62(4))") }
            }
        }
    }

    private func loop(worker: String) async {
        while !Task.isCancelled {
            let now = generations.clock()
            let claimed = try? await store.claimDelivery(worker: worker, now: now, leaseUntil: now.addingTimeInterval(settings.lease.seconds))
            if let claimed {
                await attempt(claimed)
            } else {
                try? await Task.sleep(for: settings.pollInterval)
            }
        }
    }

    /// Makes one attempt and records it with what follows.
    func attempt(_ delivery: WebhookDelivery) async {
        let started = generations.clock()
        let number = (delivery.attempts.last?.number ?? 0) + 1
        var statusCode: Int?
        var failure: String?
        var payload = delivery.payload ?? ""
        do {
            if delivery.payload == nil { payload = try await generations.webhookPayload(for: delivery) }
            guard let secret = try await accounts.signingSecret(keyID: delivery.keyID) else {
                throw ServiceError(.serverError, "the API key's signing secret is not available on this server")
            }
            let body = Array(payload.utf8)
            let signature = WebhookSignature(body: body, apiKey: secret, eventID: delivery.id, at: generations.clock())
            let headers = [("Content-Type", "application/json")] + signature.headers
            statusCode = try await fetcher.post(delivery.url, body: body, headers: headers, timeout: settings.timeout)
            if let code = statusCode, !(200..<300).contains(code) { failure = "the receiver answered HTTP \(code)" }
        } catch let error as FetchError {
            failure = error.message
        } catch let error as ServiceError {
            failure = error.message
        } catch {
            failure = String(describing: error)
        }
        let finished = generations.clock()
        let record = DeliveryAttempt(
            number: number, attemptedAt: started, statusCode: statusCode, error: failure,
            durationMs: Int(finished.timeIntervalSince(started) * 1000))
        let outcome: DeliveryOutcome
        if failure == nil {
            outcome = .delivered
        } else {
            let next = finished.addingTimeInterval(settings.retry.delay(afterFailures: number, random: Double.random(in: 0..<1)))
            let first = delivery.attempts.first?.attemptedAt ?? started
            outcome = settings.retry.shouldRetry(firstAttempt: first, next: next) ? .retry(at: next) : .gaveUp
            logger.info("webhook \(delivery.id) attempt \(number) to \(delivery.url) failed: \(failure ?? "")")
        }
        do {
            try await store.recordDeliveryAttempt(id: delivery.id, payload: payload, attempt: record, outcome: outcome)
        } catch {
            logger.error("recording webhook attempt \(delivery.id)#\(number) failed: \(error)")
        }
    }
}
