import Foundation
import Logging
import ProdVisualEngine
import ProdVisualNet
import ProdVisualStore

/// A generation as the API reports it.
public struct GenerationView: Sendable {
    public let record: GenerationRecord
    /// The signed URL of the output while it is available; nil before completion and after expiry.
    public let outputURL: String?
    /// The account's balance after this request; set only by the call that created it.
    public let creditsRemaining: Int?
    /// The output judged against its platform's rules; nil unless completed.
    public let compliance: ComplianceReport?
    /// Webhook events about it, with every attempt; empty without a webhook.
    public let deliveries: [WebhookDelivery]
}

/// A batch as the API reports it: its items in request order.
public struct BatchView: Sendable {
    public let batch: BatchRecord
    public let items: [GenerationView]
    /// Set only by the call that created it, as for generations.
    public let creditsRemaining: Int?
    /// How long the batch should take, from the queue ahead of it and recent render times.
    public let estimatedTimeMs: Int?
    public let deliveries: [WebhookDelivery]

    public var completedItems: Int { items.count { $0.record.status == .completed } }
    public var failedItems: Int { items.count { $0.record.status == .failed } }
    public var creditsUsed: Int { items.reduce(0) { $0 + $1.record.creditsUsed } }
    /// `pending` until a worker starts on it, then the batch's own status.
    public var status: String {
        guard batch.status == .processing else { return batch.status.rawValue }
        return items.allSatisfy { $0.record.status == .pending } ? "pending" : "processing"
    }
}

/// An entry of an account's history, as the API reports it.
public enum HistoryItem: Sendable {
    case generation(GenerationView)
    case batch(BatchView)
}

/// A page of an account's history, newest first.
public struct HistoryPage: Sendable {
    public let items: [HistoryItem]
    /// Older entries follow the last one.
    public let hasMore: Bool
}

/// Runs generations: validate, reserve the credit, obtain the image, render, store, settle.
/// Synchronous requests render at once; those with a webhook, and batches, become jobs that
/// workers claim from the store's queue (see `JobRunner`).
public struct GenerationService: Sendable {
    public static let maxBatchItems = 50
    /// A job claimed this often without finishing keeps killing its worker: it is failed instead.
    static let maxAttempts = 5
    /// Render time assumed for estimates before any generation has completed.
    static let assumedGenerationMs = 3000

    let store: any Store
    let engine: ImageEngine
    let pool: WorkPool
    let fetcher: SafeFetcher
    let outputs: OutputStorage
    /// Source photos of products, which product image jobs render from.
    let productFiles: ProductFiles
    let outputLifetime: TimeInterval
    let maxSourceBytes: Int
    /// Jobs rendered at once across the workers, for estimates.
    let parallelism: Int
    let clock: @Sendable () -> Date
    let logger: Logger

    public init(
        store: any Store, engine: ImageEngine, pool: WorkPool, fetcher: SafeFetcher, outputs: OutputStorage,
        productFiles: ProductFiles, outputLifetime: TimeInterval, maxSourceBytes: Int, parallelism: Int = 1,
        clock: @escaping @Sendable () -> Date = Date.init, logger: Logger
    ) {
        self.store = store
        self.engine = engine
        self.pool = pool
        self.fetcher = fetcher
        self.outputs = outputs
        self.productFiles = productFiles
        self.outputLifetime = outputLifetime
        self.maxSourceBytes = maxSourceBytes
        self.parallelism = max(1, parallelism)
        self.clock = clock
        self.logger = logger
    }

    /// Generates. Without a webhook the work is done before this returns; with one, the
    /// generation is queued (status `pending`) and its webhook announces the result.
    /// Live keys pay one credit, taken before any work and given back if the work fails; test
    /// keys pay nothing and get a watermarked result.
    public func generate(_ request: GenerationRequest, by key: AuthenticatedKey) async throws -> GenerationView {
        if request.webhookURL != nil { return try await submit(request, by: key) }
        let plan = try GenerationPlan(validating: request)
        let started = clock()
        let record = newRecord(plan, key: key, status: .processing, at: started)
        let balance: Int
        do {
            balance = try await store.startGeneration(record)
        } catch StoreError.insufficientCredits(let balance) {
            throw Self.insufficient(balance, needed: record.creditsUsed)
        }
        let completed = try await produce(record, plan: plan, started: started)
        return GenerationView(
            record: completed.record, outputURL: completed.outputURL, creditsRemaining: balance,
            compliance: completed.compliance, deliveries: [])
    }

    /// Queues one generation whose result goes to its webhook.
    func submit(_ request: GenerationRequest, by key: AuthenticatedKey) async throws -> GenerationView {
        let plan = try GenerationPlan(validating: request)
        try await checkWebhook(request.webhookURL, field: "webhook_url")
        let record = newRecord(plan, key: key, status: .pending, at: clock(), webhookURL: request.webhookURL)
        let balance = try await enqueue([QueuedGeneration(record: record, request: try Self.encode(request))], batch: nil)
        return GenerationView(record: record, outputURL: nil, creditsRemaining: balance, compliance: nil, deliveries: [])
    }

    /// Queues up to 50 generations as one batch. Every item is validated first, naming its index;
    /// the whole batch's credits are reserved at once, and each failed item's is refunded.
    public func submitBatch(_ requests: [GenerationRequest], webhookURL: String?, by key: AuthenticatedKey) async throws -> BatchView {
        guard !requests.isEmpty else { throw ServiceError.invalid("'items' is empty: send 1 to \(Self.maxBatchItems) generation objects.") }
        guard requests.count <= Self.maxBatchItems else {
            throw ServiceError.invalid("A batch holds at most \(Self.maxBatchItems) items; got \(requests.count). Split it into several batches.")
        }
        var plans: [GenerationPlan] = []
        for (index, request) in requests.enumerated() {
            do {
                plans.append(try GenerationPlan(validating: request))
            } catch {
                throw ServiceError(error.kind, "items[\(index)]: \(error.message)")
            }
        }
        try await checkWebhook(webhookURL, field: "webhook_url")
        for (index, request) in requests.enumerated() {
            // Rendered later, on a worker: what the URL's text already rules out is refused now,
            // before anything is charged.
            if case .url(let url) = request.source {
                do {
                    try fetcher.checkWithoutResolving(url)
                } catch {
                    throw ServiceError.invalid("items[\(index)].image_url cannot be fetched: \(error.message)")
                }
            }
            try await checkWebhook(request.webhookURL, field: "items[\(index)].webhook_url")
        }
        let now = clock()
        let batch = BatchRecord(
            id: Identifiers.batch(), accountID: key.accountID, keyID: key.keyID, totalItems: requests.count,
            webhookURL: webhookURL, createdAt: now)
        var jobs: [QueuedGeneration] = []
        for (index, (plan, request)) in zip(plans, requests).enumerated() {
            let record = newRecord(plan, key: key, status: .pending, at: now, batch: (batch.id, index), webhookURL: request.webhookURL)
            jobs.append(QueuedGeneration(record: record, request: try Self.encode(request)))
        }
        let load = try await store.queueLoad(recent: 20)
        let balance = try await enqueue(jobs, batch: batch)
        // Items ahead in the queue and this batch's own, spread over the workers.
        let rounds = (load.unfinished + jobs.count + parallelism - 1) / parallelism
        let items = jobs.map { GenerationView(record: $0.record, outputURL: nil, creditsRemaining: nil, compliance: nil, deliveries: []) }
        return BatchView(
            batch: batch, items: items, creditsRemaining: balance,
            estimatedTimeMs: rounds * (load.meanGenerationMs ?? Self.assumedGenerationMs), deliveries: [])
    }

    func enqueue(_ jobs: [QueuedGeneration], batch: BatchRecord?) async throws -> Int {
        do {
            return try await store.enqueue(jobs, batch: batch)
        } catch StoreError.insufficientCredits(let balance) {
            throw Self.insufficient(balance, needed: jobs.reduce(0) { $0 + $1.record.creditsUsed })
        }
    }

    /// Renders a job a worker claimed. Every outcome is recorded; nothing is thrown.
    public func process(job record: GenerationRecord) async {
        let started = clock()
        do {
            guard let data = try await store.jobRequest(generationID: record.id) else { return }  // finished meanwhile
            guard record.attempts <= Self.maxAttempts else {
                throw ServiceError(.serverError, "Rendering stopped its worker \(Self.maxAttempts) times; the job was given up and its credit refunded.")
            }
            switch try JSONDecoder().decode(JobPayload.self, from: data) {
            case .generation(let request):
                let plan = try GenerationPlan(validating: request)
                _ = try await produce(record, plan: plan, started: started)
            case .productImage(let job):
                _ = try await produce(record, format: job.format, started: started) {
                    let (bytes, compliance) = try await renderProductImage(job, mode: record.mode)
                    return (bytes, compliance, nil)
                }
            case .tryOn(let job):
                _ = try await produce(record, format: .jpeg, started: started) {
                    let (bytes, compliance) = try await renderTryOn(job, mode: record.mode)
                    return (bytes, compliance, nil)
                }
            }
        } catch {
            // `produce` records its own failures; this catches those before it.
            let failure = Self.serviceError(for: error)
            _ = try? await store.failGeneration(id: record.id, code: failure.kind.rawValue, message: failure.message, at: clock())
        }
    }

    /// Obtains the image and renders it as the plan says.
    private func produce(_ record: GenerationRecord, plan: GenerationPlan, started: Date) async throws -> GenerationView {
        try await produce(record, format: plan.format, started: started) {
            let source = try await sourceBytes(plan.source)
            let spec = plan.renderSpec(watermark: record.mode == .test ? "SAMPLE" : nil)
            let (image, measurement) = try await renderMeasured { engine in try engine.render(source: source, spec: spec) }
            let compliance = ComplianceReport(
                platform: plan.platform, measurement: measurement, traits: plan.styleTraits, watermarked: spec.watermark != nil)
            return (image.bytes, compliance, image.cutoutConfidence)
        }
    }

    /// Runs `render` on the pool and measures its output there too (measuring decodes it again).
    func renderMeasured(_ render: @escaping @Sendable (ImageEngine) throws -> [UInt8]) async throws -> ([UInt8], OutputMeasurement) {
        let engine = self.engine
        return try await pool.run {
            let bytes = try render(engine)
            return (bytes, try engine.measure(output: bytes))
        }
    }

    /// The same for a rendering that also says what it learned: the text it found outside the
    /// product goes into the measurement.
    func renderMeasured(_ render: @escaping @Sendable (ImageEngine) throws -> RenderedImage) async throws -> (RenderedImage, OutputMeasurement) {
        let engine = self.engine
        return try await pool.run {
            let image = try render(engine)
            var measurement = try engine.measure(output: image.bytes)
            measurement.addedText = image.addedText
            return (image, measurement)
        }
    }

    /// Renders, stores and completes the generation, or fails it with a refund.
    private func produce(
        _ record: GenerationRecord, format: ImageFormat, started: Date,
        render: () async throws -> (bytes: [UInt8], compliance: ComplianceReport, cutoutConfidence: Double?)
    ) async throws -> GenerationView {
        let fileName = "\(record.id).\(format.fileExtension)"
        do {
            let (bytes, compliance, cutoutConfidence) = try await render()
            let size = try await outputs.write(bytes, as: fileName)
            let elapsed = Int(clock().timeIntervalSince(started) * 1000)
            let output = GenerationOutput(
                outputFile: fileName, fileSize: size, generationTimeMs: elapsed, compliance: try compliance.json(),
                cutoutConfidence: cutoutConfidence.map { ($0 * 1000).rounded() / 1000 })
            _ = try await store.completeGeneration(id: record.id, output: output, at: clock())
            guard let completed = try await store.generation(id: record.id) else { throw ServiceError.notFound("Generation \(record.id) vanished.") }
            return GenerationView(
                record: completed, outputURL: outputs.url(for: fileName, expiresAt: completed.expiresAt),
                creditsRemaining: nil, compliance: compliance, deliveries: [])
        } catch {
            let failure = Self.serviceError(for: error)
            if failure.kind == .serverError { logger.error("generation \(record.id) failed: \(error)") }
            try? await outputs.delete(fileName)
            _ = try? await store.failGeneration(id: record.id, code: failure.kind.rawValue, message: failure.message, at: clock())
            throw failure
        }
    }

    func newRecord(
        _ plan: GenerationPlan, key: AuthenticatedKey, status: GenerationStatus, at date: Date,
        batch: (id: String, index: Int)? = nil, webhookURL: String? = nil
    ) -> GenerationRecord {
        GenerationRecord(
            id: Identifiers.generation(), accountID: key.accountID, keyID: key.keyID, mode: key.mode, status: status,
            style: plan.style.id, platform: plan.platform.id, format: plan.format.rawValue,
            width: plan.width, height: plan.height, parameters: Self.parametersJSON(plan),
            creditsUsed: key.mode == .live ? 1 : 0, createdAt: date,
            expiresAt: date.addingTimeInterval(outputLifetime), batchID: batch?.id, batchIndex: batch?.index, webhookURL: webhookURL)
    }

    /// A webhook must be an http(s) URL whose host passes the same address rules as image
    /// sources; checked before anything is charged, and again at every delivery.
    func checkWebhook(_ url: String?, field: String) async throws {
        guard let url else { return }
        guard let parsed = URL(string: url), let scheme = parsed.scheme?.lowercased(), ["http", "https"].contains(scheme) else {
            throw ServiceError.invalid("'\(field)' must be an http or https URL; got '\(url)'.")
        }
        do {
            _ = try await fetcher.checkDestination(parsed)
        } catch {
            throw ServiceError.invalid("'\(field)' cannot be used: \(error.message)")
        }
    }

    static func encode(_ request: GenerationRequest) throws -> Data {
        try JSONEncoder().encode(JobPayload.generation(request))
    }

    static func insufficient(_ balance: Int, needed: Int) -> ServiceError {
        ServiceError(
            .insufficientCredits,
            needed > 1
                ? "This request needs \(needed) credits; your account has \(balance) remaining. Please purchase more credits to continue."
                : "Your account has \(balance) credits remaining. Please purchase more credits to continue.")
    }

    /// The caller's own generation; anyone else's is indistinguishable from a missing one.
    public func generation(id: String, for key: AuthenticatedKey) async throws -> GenerationView {
        try await generation(id: id, accountID: key.accountID)
    }

    func generation(id: String, accountID: String) async throws -> GenerationView {
        guard let record = try await store.generation(id: id), record.accountID == accountID else {
            throw ServiceError.notFound("No generation with id '\(id)'.")
        }
        return try await view(of: record, deliveries: store.deliveries(subjectID: id))
    }

    /// The caller's own batch with every item.
    public func batch(id: String, for key: AuthenticatedKey) async throws -> BatchView {
        guard let batch = try await store.batch(id: id), batch.accountID == key.accountID else {
            throw ServiceError.notFound("No batch with id '\(id)'.")
        }
        return try await view(of: batch)
    }

    public static let maxHistoryPage = 100

    /// A page of the caller's account's history (generations of their own and batches, newest
    /// first), after the entry `startingAfter` names; `hasMore` when older entries follow.
    public func history(for key: AuthenticatedKey, limit: Int, startingAfter: String?) async throws -> HistoryPage {
        guard (1...Self.maxHistoryPage).contains(limit) else {
            throw ServiceError.invalid("limit must be between 1 and \(Self.maxHistoryPage); got \(limit).")
        }
        var cursor: HistoryCursor?
        if let startingAfter {
            cursor = try await historyCursor(startingAfter, accountID: key.accountID)
        }
        let entries = try await store.history(accountID: key.accountID, after: cursor, limit: limit + 1)
        var items: [HistoryItem] = []
        for entry in entries.prefix(limit) {
            switch entry {
            case .generation(let record):
                items.append(.generation(try await view(of: record, deliveries: store.deliveries(subjectID: record.id))))
            case .batch(let batch):
                items.append(.batch(try await view(of: batch)))
            }
        }
        return HistoryPage(items: items, hasMore: entries.count > limit)
    }

    /// Where a page starts: an entry of the caller's own history, else the parameter is wrong.
    private func historyCursor(_ id: String, accountID: String) async throws -> HistoryCursor {
        if id.hasPrefix("batch_"), let batch = try await store.batch(id: id), batch.accountID == accountID, batch.kind == .batch {
            return HistoryCursor(createdAt: batch.createdAt, id: batch.id)
        }
        if let record = try await store.generation(id: id), record.accountID == accountID, record.batchID == nil, record.productID == nil {
            return HistoryCursor(createdAt: record.createdAt, id: record.id)
        }
        // Like a look-up of an id that is not the caller's: not found, whoever's it is.
        throw ServiceError.notFound("starting_after: '\(id)' is not a generation or batch in this account's list.")
    }

    private func view(of batch: BatchRecord) async throws -> BatchView {
        let id = batch.id
        var items: [GenerationView] = []
        for record in try await store.generations(batchID: id) {
            items.append(try await view(of: record, deliveries: []))
        }
        return BatchView(
            batch: batch, items: items, creditsRemaining: nil, estimatedTimeMs: nil,
            deliveries: try await store.deliveries(subjectID: id))
    }

    private func view(of record: GenerationRecord, deliveries: [WebhookDelivery]) async throws -> GenerationView {
        let available = record.status == .completed && record.purgedAt == nil && record.expiresAt > clock()
        let url = available ? record.outputFile.map { outputs.url(for: $0, expiresAt: record.expiresAt) } : nil
        return GenerationView(
            record: record, outputURL: url, creditsRemaining: nil,
            compliance: try record.compliance.map(ComplianceReport.init(json:)), deliveries: deliveries)
    }

    /// Fails, with a refund, synchronous generations whose server died mid-request: no
    /// request can still be running after `abandonAfter`.
    public func failAbandoned(olderThan abandonAfter: TimeInterval) async throws -> Int {
        let now = clock()
        return try await store.failAbandonedSynchronous(before: now.addingTimeInterval(-abandonAfter), at: now)
    }

    /// Deletes outputs past their expiry; returns how many were removed.
    public func sweepExpiredOutputs() async throws -> Int {
        let now = clock()
        // Claimed (marked purged) first, so two nodes sweeping at once delete each file once.
        let expired = try await store.claimExpiredOutputs(before: now, limit: 500, at: now)
        for record in expired {
            guard let file = record.outputFile else { continue }
            do {
                try await outputs.delete(file)
            } catch {
                logger.warning("cannot delete expired output \(file): \(error)")
            }
        }
        return expired.count
    }

    private func sourceBytes(_ source: ImageSource) async throws -> [UInt8] {
        switch source {
        case .bytes(let bytes):
            guard bytes.count <= maxSourceBytes else {
                throw ServiceError(.fileTooLarge, "The uploaded image is \(bytes.count) bytes; the limit is \(maxSourceBytes) bytes (10 MB).")
            }
            return bytes
        case .url(let url):
            return try await fetcher.fetch(url).bytes
        }
    }

    static func parametersJSON(_ plan: GenerationPlan) -> String {
        var parameters: [String: String] = [
            "style": plan.style.id, "platform": plan.platform.id, "dimensions": plan.dimensions,
            "format": plan.format.rawValue, "quality": String(plan.quality),
        ]
        switch plan.source {
        case .url(let url): parameters["image_url"] = url
        case .bytes: parameters["image_source"] = "inline"
        }
        switch plan.background {
        case .transparent: parameters["background"] = "transparent"
        case .color(let color): parameters["background"] = color.hex
        }
        let data = (try? JSONSerialization.data(withJSONObject: parameters, options: [.sortedKeys])) ?? Data("{}".utf8)
        return String(decoding: data, as: UTF8.self)
    }

    /// Translates any failure into the API's vocabulary.
    public static func serviceError(for error: any Error) -> ServiceError {
        switch error {
        case let error as ServiceError:
            return error
        case let error as FetchError:
            if case .tooLarge = error { return ServiceError(.fileTooLarge, error.message) }
            return ServiceError.invalid("Could not fetch 'image_url': \(error.message)")
        case let error as ImagingError:
            switch error {
            case .unsupportedFormat:
                return ServiceError(.invalidImage, "The image is not a JPEG, PNG or WebP file (detected from its bytes).")
            case .tooManyPixels(let width, let height, let limit):
                return ServiceError(.invalidImage, "The image is \(width)x\(height) pixels; the limit is \(limit) pixels in total.")
            case .unusableShape(let width, let height):
                return ServiceError(
                    .invalidImage,
                    "The image is \(width)x\(height) pixels; a product photo needs at least \(DecodeLimits.minimumSide) pixels on its short side and a long side at most \(DecodeLimits.maximumAspectRatio) times the short one.")
            case .undecodable(let detail):
                return ServiceError(.invalidImage, "The image could not be decoded (\(detail)).")
            case .invalidSpec(let detail):
                return ServiceError.invalid(detail)
            case .processingFailed(let detail):
                return ServiceError(.serverError, "Rendering failed: \(detail)")
            }
        default:
            return ServiceError(.serverError, "An internal error occurred. Please retry; if it persists, contact support.")
        }
    }
}
