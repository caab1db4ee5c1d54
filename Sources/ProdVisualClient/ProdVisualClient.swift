import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1

/// A client for the ProdVisual v1 API: one method per `/v1` endpoint, typed results, retries
/// with backoff (honouring `Retry-After`), an `Idempotency-Key` on every POST, polling until a
/// job is done, and webhook verification.
///
///     let client = ProdVisualClient(apiKey: "pv_live_...", baseURL: "http://127.0.0.1:8080")
///     let result = try await client.generate(.init(imageURL: "https://example.com/product.jpg", style: "lifestyle", platform: "amazon"))
///     print(result.outputURL ?? "", result.creditsRemaining ?? 0)
public struct ProdVisualClient: Sendable {
    public static let defaultBaseURL = "https://api.prodvisual.com"
    public static let version = "1.0.0"

    /// Retries and time-outs.
    public struct Configuration: Sendable {
        /// Time each attempt may take.
        public var timeout: Duration = .seconds(120)
        /// Retries of connection errors, 409 (Idempotency-Key in flight), 429 and 5xx.
        public var maxRetries = 3
        /// The longest `Retry-After` honoured; a longer one is thrown at once.
        public var maxRetryWait: Duration = .seconds(60)
        /// The first backoff, doubling up to `backoffMax`, with jitter (half of each wait random).
        public var backoffBase: Duration = .milliseconds(500)
        public var backoffMax: Duration = .seconds(8)
        /// Called before each retry with the attempt number (from 1), the wait and the error.
        public var onRetry: (@Sendable (_ attempt: Int, _ wait: Duration, _ error: ProdVisualError) -> Void)?

        public init(
            timeout: Duration = .seconds(120), maxRetries: Int = 3, maxRetryWait: Duration = .seconds(60),
            backoffBase: Duration = .milliseconds(500), backoffMax: Duration = .seconds(8),
            onRetry: (@Sendable (_ attempt: Int, _ wait: Duration, _ error: ProdVisualError) -> Void)? = nil
        ) {
            self.timeout = timeout
            self.maxRetries = maxRetries
            self.maxRetryWait = maxRetryWait
            self.backoffBase = backoffBase
            self.backoffMax = backoffMax
            self.onRetry = onRetry
        }
    }

    /// Answers worth another attempt.
    public static let retryableStatuses: Set<Int> = [409, 429, 500, 502, 503, 504]

    public let apiKey: String
    /// Scheme, host and port, without `/v1`.
    public let baseURL: String
    public var configuration: Configuration
    private let httpClient: HTTPClient

    /// - Parameters:
    ///   - apiKey: the key; nil reads `PRODVISUAL_API_KEY`.
    ///   - baseURL: nil reads `PRODVISUAL_BASE_URL`, then `https://api.prodvisual.com`; a trailing `/v1` is accepted.
    ///   - httpClient: defaults to `HTTPClient.shared`.
    public init(apiKey: String? = nil, baseURL: String? = nil, configuration: Configuration = .init(), httpClient: HTTPClient = .shared) {
        let environment = ProcessInfo.processInfo.environment
        self.apiKey = apiKey ?? environment["PRODVISUAL_API_KEY"] ?? ""
        var base = (baseURL ?? environment["PRODVISUAL_BASE_URL"] ?? Self.defaultBaseURL).trimmingCharacters(in: .whitespaces)
        while base.hasSuffix("/") { base.removeLast() }
        if base.hasSuffix("/v1") { base.removeLast(3) }
        self.baseURL = base
        self.configuration = configuration
        self.httpClient = httpClient
    }

    // MARK: Endpoints

    /// `POST /v1/generate`. Without `webhookURL` the image is rendered synchronously and the
    /// completed generation returned; with it, the generation is queued (status pending).
    public func generate(_ request: GenerateRequest, idempotencyKey: String? = nil) async throws -> Generation {
        let response = try await send(.POST, "/v1/generate", body: try Self.encode(request), idempotencyKey: idempotencyKey)
        var generation = try Self.decode(Generation.self, response)
        generation.idempotentReplayed = response.replayed
        return generation
    }

    /// `POST /v1/generate/batch`: up to 50 generations queued as one batch.
    public func generateBatch(_ items: [GenerateRequest], webhookURL: String? = nil, idempotencyKey: String? = nil) async throws -> Batch {
        struct Body: Encodable {
            let items: [GenerateRequest]
            let webhookURL: String?
            enum CodingKeys: String, CodingKey { case items, webhookURL = "webhook_url" }
        }
        let body = try Self.encode(Body(items: items, webhookURL: webhookURL))
        let response = try await send(.POST, "/v1/generate/batch", body: body, idempotencyKey: idempotencyKey)
        var batch = try Self.decodeBatch(response)
        batch.idempotentReplayed = response.replayed
        return batch
    }

    /// `GET /v1/styles`.
    public func styles() async throws -> StyleList {
        try Self.decode(StyleList.self, try await send(.GET, "/v1/styles"))
    }

    /// `GET /v1/platforms`.
    public func platforms() async throws -> PlatformList {
        try Self.decode(PlatformList.self, try await send(.GET, "/v1/platforms"))
    }

    /// `GET /v1/account/credits`.
    public func credits() async throws -> Credits {
        try Self.decode(Credits.self, try await send(.GET, "/v1/account/credits"))
    }

    /// `GET /v1/generations/{id}`: a generation (`gen_...`) or a batch (`batch_...`).
    public func lookUp(_ id: String) async throws -> GenerationLookup {
        let response = try await send(.GET, "/v1/generations/" + Self.pathComponent(id))
        let document = try JSONDecoder().decode(JSONValue.self, from: response.body)
        if document["batch_id"] != nil, document["id"] == nil {
            return .batch(try Self.decodeBatch(response))
        }
        return .generation(try Self.decode(Generation.self, response))
    }

    /// `GET /v1/generations/{id}` for a generation.
    public func generation(_ id: String) async throws -> Generation {
        guard case .generation(let generation) = try await lookUp(id) else {
            throw ProdVisualError(code: .invalidResponse, message: "\(id) is a batch, not a generation")
        }
        return generation
    }

    /// `GET /v1/generations/{batchID}` for a batch.
    public func batch(_ id: String) async throws -> Batch {
        guard case .batch(let batch) = try await lookUp(id) else {
            throw ProdVisualError(code: .invalidResponse, message: "\(id) is a generation, not a batch")
        }
        return batch
    }

    /// Polls until the generation is `completed` or `failed` and returns it (a failed one is
    /// returned, with `error`). Throws `.timeout` after `timeout`.
    public func waitForCompletion(generation id: String, timeout: Duration = .seconds(300), pollInterval: Duration = .seconds(1)) async throws -> Generation {
        try await poll(id, timeout: timeout, pollInterval: pollInterval) { try await generation(id) }
    }

    /// Polls until the batch is `completed` or `failed` and returns it. Throws `.timeout` after `timeout`.
    public func waitForCompletion(batch id: String, timeout: Duration = .seconds(300), pollInterval: Duration = .seconds(1)) async throws -> Batch {
        try await poll(id, timeout: timeout, pollInterval: pollInterval) { try await batch(id) }
    }

    /// Waits for a generation returned by `generate` (returned as is when already finished).
    public func waitForCompletion(_ generation: Generation, timeout: Duration = .seconds(300), pollInterval: Duration = .seconds(1)) async throws -> Generation {
        generation.status.isTerminal ? generation : try await waitForCompletion(generation: generation.id, timeout: timeout, pollInterval: pollInterval)
    }

    /// Waits for a batch returned by `generateBatch`.
    public func waitForCompletion(_ batch: Batch, timeout: Duration = .seconds(300), pollInterval: Duration = .seconds(1)) async throws -> Batch {
        batch.status.isTerminal ? batch : try await waitForCompletion(batch: batch.batchID, timeout: timeout, pollInterval: pollInterval)
    }

    /// The rendered image, from a generation's `outputURL`.
    public func download(_ outputURL: String) async throws -> Data {
        try await send(.GET, outputURL).body
    }

    // MARK: Webhooks

    /// True when `signature` (`X-ProdVisual-Signature`) is the HMAC-SHA256 of the raw body under
    /// `apiKey` (compared in constant time) and, when `timestamp` (`X-ProdVisual-Timestamp`) is
    /// given, it is within `tolerance` seconds of `now`.
    public static func verifyWebhook(
        payload: Data, signature: String?, apiKey: String, timestamp: String? = nil, tolerance: TimeInterval? = 300, now: Date = Date()
    ) -> Bool {
        WebhookVerifier.verify(payload: payload, signature: signature, apiKey: apiKey, timestamp: timestamp, tolerance: tolerance, now: now)
    }

    /// Verifies a delivery from its raw body and headers and returns the event; throws
    /// `.invalidSignature` when it does not verify.
    public static func parseWebhook(payload: Data, headers: [String: String], apiKey: String, tolerance: TimeInterval? = 300, now: Date = Date()) throws -> WebhookEvent {
        try WebhookVerifier.parse(payload: payload, headers: headers, apiKey: apiKey, tolerance: tolerance, now: now)
    }

    // MARK: Transport

    struct Response: Sendable {
        let status: Int
        let headers: [String: String]
        let body: Data
        var replayed: Bool { headers["idempotent-replayed"]?.lowercased() == "true" }
    }

    private func poll<T: Sendable>(_ id: String, timeout: Duration, pollInterval: Duration, read: () async throws -> T) async throws -> T
    where T: HasStatus {
        let clock = ContinuousClock()
        let deadline = clock.now + timeout
        while true {
            let last = try await read()
            if last.status.isTerminal { return last }
            let left = deadline - clock.now
            if left <= .zero {
                throw ProdVisualError(code: .timeout, message: "\(id) was still \(last.status) after \(timeout)", lastStatus: last.status)
            }
            try await Task.sleep(for: min(max(pollInterval, .milliseconds(10)), left))
        }
    }

    func send(_ method: HTTPMethod, _ pathOrURL: String, body: Data? = nil, idempotencyKey: String? = nil) async throws -> Response {
        let url = pathOrURL.hasPrefix("http://") || pathOrURL.hasPrefix("https://") ? pathOrURL : baseURL + pathOrURL
        var request = HTTPClientRequest(url: url)
        request.method = method
        request.headers.add(name: "Accept", value: "application/json")
        request.headers.add(name: "User-Agent", value: "prodvisual-swift/\(Self.version)")
        // The key goes to this API only, never to another host an output URL may name.
        if url.hasPrefix(baseURL + "/") { request.headers.add(name: "Authorization", value: "Bearer \(apiKey)") }
        if body != nil { request.headers.add(name: "Content-Type", value: "application/json") }
        // One key for the whole call: every retry is the same request to the server.
        if method == .POST { request.headers.add(name: "Idempotency-Key", value: idempotencyKey ?? UUID().uuidString.lowercased()) }

        var attempt = 0
        while true {
            let error: ProdVisualError
            let wait: Duration?
            do {
                if let body { request.body = .bytes(ByteBuffer(bytes: body)) }
                let response = try await httpClient.execute(request, timeout: Self.timeAmount(configuration.timeout))
                let bytes = try await response.body.collect(upTo: 64 << 20)
                var headers: [String: String] = [:]
                for header in response.headers { headers[header.name.lowercased()] = header.value }
                let status = Int(response.status.code)
                let data = Data(bytes.readableBytesView)
                if status < 300 { return Response(status: status, headers: headers, body: data) }
                error = ProdVisualError.fromResponse(status: status, headers: headers, body: data)
                wait = retryWait(after: error, attempt: attempt)
            } catch let failure as ProdVisualError {
                throw failure
            } catch is CancellationError {
                throw CancellationError()
            } catch {
                let failure = ProdVisualError(code: .connectionError, message: "\(method) \(url): \(error)")
                if attempt >= configuration.maxRetries { throw failure }
                let backoff = backoff(attempt: attempt)
                attempt += 1
                configuration.onRetry?(attempt, backoff, failure)
                try await Task.sleep(for: backoff)
                continue
            }
            guard let wait else { throw error }
            attempt += 1
            configuration.onRetry?(attempt, wait, error)
            try await Task.sleep(for: wait)
        }
    }

    /// How long to wait before retrying after `error`, or nil to give up.
    func retryWait(after error: ProdVisualError, attempt: Int) -> Duration? {
        guard attempt < configuration.maxRetries, let status = error.status, Self.retryableStatuses.contains(status) else { return nil }
        if let retryAfter = error.retryAfter {
            let asked = Duration.milliseconds(Int((retryAfter * 1000).rounded(.up)))
            guard asked <= configuration.maxRetryWait else { return nil }
            // At least what the server asked, plus a little jitter so clients do not stampede.
            return asked + .milliseconds(Int.random(in: 0...min(250, Int(retryAfter * 100) + 50)))
        }
        if error.code == .rateLimited, let reset = error.rateLimitReset {
            let untilReset = Double(reset) - Date().timeIntervalSince1970
            if untilReset > 0, Duration.milliseconds(Int(untilReset * 1000)) <= configuration.maxRetryWait {
                return .milliseconds(Int(untilReset * 1000) + Int.random(in: 0...250))
            }
        }
        return backoff(attempt: attempt)
    }

    func backoff(attempt: Int) -> Duration {
        let ceiling = min(configuration.backoffMax, configuration.backoffBase * (1 << min(attempt, 20)))
        return ceiling * Double.random(in: 0.5...1)
    }

    // MARK: Coding

    static func encode(_ value: some Encodable) throws -> Data {
        let encoder = JSONEncoder()
        // Sorted, so that the same request is the same bytes: the server recognises a repeated
        // Idempotency-Key by the body it came with.
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return try encoder.encode(value)
    }

    static func decode<T: Decodable>(_ type: T.Type, _ response: Response) throws -> T {
        do {
            var value = try JSONDecoder().decode(T.self, from: response.body)
            if var generation = value as? Generation {
                generation.raw = try JSONDecoder().decode(JSONValue.self, from: response.body)
                value = generation as! T
            }
            return value
        } catch {
            throw ProdVisualError(
                code: .invalidResponse, message: "Could not read \(T.self) from the answer: \(error)", status: response.status, headers: response.headers)
        }
    }

    static func decodeBatch(_ response: Response) throws -> Batch {
        var batch = try decode(Batch.self, response)
        let raw = (try? JSONDecoder().decode(JSONValue.self, from: response.body)) ?? .null
        batch.raw = raw
        for index in batch.items.indices { batch.items[index].raw = raw["items"]?[index] ?? .null }
        return batch
    }

    static func pathComponent(_ id: String) -> String {
        var allowed = CharacterSet.alphanumerics
        allowed.insert(charactersIn: "-_.~")
        return id.addingPercentEncoding(withAllowedCharacters: allowed) ?? id
    }

    static func timeAmount(_ duration: Duration) -> TimeAmount {
        let (seconds, attoseconds) = duration.components
        return .nanoseconds(seconds * 1_000_000_000 + attoseconds / 1_000_000_000)
    }
}

/// Results that carry a status, for polling.
protocol HasStatus { var status: GenerationStatus { get } }
extension Generation: HasStatus {}
extension Batch: HasStatus {}
