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
}

/// Runs generations: validate, reserve the credit, obtain the image, render, store, settle.
public struct GenerationService: Sendable {
    let store: any Store
    let engine: ImageEngine
    let pool: WorkPool
    let fetcher: SafeFetcher
    let outputs: OutputStorage
    let outputLifetime: TimeInterval
    let maxSourceBytes: Int
    let clock: @Sendable () -> Date
    let logger: Logger

    public init(
        store: any Store, engine: ImageEngine, pool: WorkPool, fetcher: SafeFetcher, outputs: OutputStorage,
        outputLifetime: TimeInterval, maxSourceBytes: Int, clock: @escaping @Sendable () -> Date = Date.init,
        logger: Logger
    ) {
        self.store = store
        self.engine = engine
        self.pool = pool
        self.fetcher = fetcher
        self.outputs = outputs
        self.outputLifetime = outputLifetime
        self.maxSourceBytes = maxSourceBytes
        self.clock = clock
        self.logger = logger
    }

    /// Generates synchronously. Live keys pay one credit, taken before any work and given back
    /// if the work fails; test keys pay nothing and get a watermarked result.
    public func generate(_ request: GenerationRequest, by key: AuthenticatedKey) async throws -> GenerationView {
        if request.webhookURL != nil {
            throw ServiceError.invalid("'webhook_url' (asynchronous generation) is not available on this server yet; omit it to generate synchronously.")
        }
        let plan = try GenerationPlan(validating: request)
        let started = clock()
        let id = Identifiers.generation()
        let record = GenerationRecord(
            id: id, accountID: key.accountID, keyID: key.keyID, mode: key.mode, status: .processing,
            style: plan.style.id, platform: plan.platform.id, format: plan.format.rawValue,
            width: plan.width, height: plan.height, parameters: Self.parametersJSON(plan),
            creditsUsed: key.mode == .live ? 1 : 0, createdAt: started,
            expiresAt: started.addingTimeInterval(outputLifetime))
        do {
            _ = try await store.startGeneration(record)
        } catch StoreError.insufficientCredits(let balance) {
            throw ServiceError(
                .insufficientCredits,
                "Your account has \(balance) credits remaining. Please purchase more credits to continue.")
        }

        let fileName = "\(id).\(plan.format.fileExtension)"
        do {
            let source = try await sourceBytes(plan.source)
            let spec = plan.renderSpec(watermark: key.mode == .test ? "SAMPLE" : nil)
            let engine = self.engine
            // Measuring decodes the output again: CPU work, so it stays on the pool too.
            let (rendered, measurement) = try await pool.run {
                let rendered = try engine.render(source: source, spec: spec)
                return (rendered, try engine.measure(output: rendered.bytes))
            }
            let compliance = ComplianceReport(
                platform: plan.platform, measurement: measurement, traits: plan.styleTraits,
                watermarked: spec.watermark != nil)
            let size = try outputs.write(rendered.bytes, as: fileName)
            let elapsed = Int(clock().timeIntervalSince(started) * 1000)
            let output = GenerationOutput(
                outputFile: fileName, fileSize: size, generationTimeMs: elapsed, compliance: try compliance.json())
            let balance = try await store.completeGeneration(id: id, output: output, at: clock())
            guard let completed = try await store.generation(id: id) else { throw ServiceError.notFound("Generation \(id) vanished.") }
            return GenerationView(
                record: completed, outputURL: outputs.url(for: fileName, expiresAt: completed.expiresAt),
                creditsRemaining: balance, compliance: compliance)
        } catch {
            let failure = Self.serviceError(for: error)
            if failure.kind == .serverError { logger.error("generation \(id) failed: \(error)") }
            outputs.delete(fileName)
            _ = try? await store.failGeneration(id: id, code: failure.kind.rawValue, message: failure.message, at: clock())
            throw failure
        }
    }

    /// The caller's own generation; anyone else's is indistinguishable from a missing one.
    public func generation(id: String, for key: AuthenticatedKey) async throws -> GenerationView {
        guard let record = try await store.generation(id: id), record.accountID == key.accountID else {
            throw ServiceError.notFound("No generation with id '\(id)'.")
        }
        let available = record.status == .completed && record.purgedAt == nil && record.expiresAt > clock()
        let url = available ? record.outputFile.map { outputs.url(for: $0, expiresAt: record.expiresAt) } : nil
        return GenerationView(
            record: record, outputURL: url, creditsRemaining: nil, compliance: try record.compliance.map(ComplianceReport.init(json:)))
    }

    /// Deletes outputs past their expiry; returns how many were removed.
    public func sweepExpiredOutputs() async throws -> Int {
        let now = clock()
        let expired = try await store.expiredGenerations(before: now, limit: 500)
        for record in expired {
            if let file = record.outputFile { outputs.delete(file) }
            try await store.markPurged(id: record.id, at: now)
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
