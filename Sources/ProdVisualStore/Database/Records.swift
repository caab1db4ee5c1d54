import Foundation

/// A customer account: the owner of keys, credits and generations.
public struct AccountRecord: Sendable, Equatable {
    public let id: String
    public let name: String
    public let createdAt: Date

    public init(id: String, name: String, createdAt: Date) {
        self.id = id
        self.name = name
        self.createdAt = createdAt
    }
}

/// Live keys spend credits; test keys are the sandbox (free, watermarked output).
public enum KeyMode: String, Sendable, Codable, CaseIterable {
    case live
    case test
}

/// An API key as stored: only a hash of the secret, never the secret itself.
public struct APIKeyRecord: Sendable, Equatable {
    public let id: String
    public let accountID: String
    public let mode: KeyMode
    /// Hex digest used for look-up; the domain decides how it is derived.
    public let secretHash: String
    /// The last four characters, so an operator can tell keys apart.
    public let hint: String
    public let name: String
    public let createdAt: Date
    public let revokedAt: Date?
    /// The secret encrypted under the server's key (the domain decides how), kept because
    /// webhooks are signed with the API key itself; nil for keys made before webhooks.
    public let sealedSecret: String?
    /// When the key last authenticated a request, to within `Store.keyUseResolution`; nil if never.
    public let lastUsedAt: Date?

    public init(
        id: String, accountID: String, mode: KeyMode, secretHash: String, hint: String,
        name: String, createdAt: Date, revokedAt: Date? = nil, sealedSecret: String? = nil, lastUsedAt: Date? = nil
    ) {
        self.id = id
        self.accountID = accountID
        self.mode = mode
        self.secretHash = secretHash
        self.hint = hint
        self.name = name
        self.createdAt = createdAt
        self.revokedAt = revokedAt
        self.sealedSecret = sealedSecret
        self.lastUsedAt = lastUsedAt
    }
}

/// Why credits moved. The ledger is append-only; the balance is the sum of its deltas.
public enum LedgerReason: String, Sendable, CaseIterable {
    /// Credits bought or granted by an operator.
    case purchase
    /// One debit per generation, taken before the work starts.
    case generation
    /// Gives a generation's debit back when the work failed.
    case refund
}

public struct CreditSummary: Sendable, Equatable {
    public let balance: Int
    public let usedTotal: Int
    public let usedToday: Int
    public let lastPurchase: (amount: Int, date: Date)?

    public init(balance: Int, usedTotal: Int, usedToday: Int, lastPurchase: (amount: Int, date: Date)?) {
        self.balance = balance
        self.usedTotal = usedTotal
        self.usedToday = usedToday
        self.lastPurchase = lastPurchase
    }

    public static func == (lhs: CreditSummary, rhs: CreditSummary) -> Bool {
        lhs.balance == rhs.balance && lhs.usedTotal == rhs.usedTotal && lhs.usedToday == rhs.usedToday
            && lhs.lastPurchase?.amount == rhs.lastPurchase?.amount
            && lhs.lastPurchase?.date == rhs.lastPurchase?.date
    }
}

public enum GenerationStatus: String, Sendable, Codable, CaseIterable {
    case pending
    case processing
    case completed
    case failed
}

/// One generation, from the moment its credit is reserved to its completion or failure.
public struct GenerationRecord: Sendable, Equatable {
    public let id: String
    public let accountID: String
    public let keyID: String
    public let mode: KeyMode
    public var status: GenerationStatus
    public let style: String
    public let platform: String
    public let format: String
    public let width: Int
    public let height: Int
    /// The request's parameters as JSON, kept for status look-ups and later replays.
    public let parameters: String
    public var creditsUsed: Int
    public var fileSize: Int?
    /// File name under the output directory, once rendered.
    public var outputFile: String?
    public var generationTimeMs: Int?
    public var errorCode: String?
    public var errorMessage: String?
    public let createdAt: Date
    public var completedAt: Date?
    public let expiresAt: Date
    /// Set by the sweeper once the output file is deleted.
    public var purgedAt: Date?
    /// The output's compliance report as JSON (the domain owns its shape); nil until completed.
    public var compliance: String?
    /// 0...1: how far the product's cutout can be trusted; nil for outputs with no cutout.
    public var cutoutConfidence: Double?
    /// Set for items of a batch, with their position in the request.
    public let batchID: String?
    public let batchIndex: Int?
    /// Where `generation.completed` / `generation.failed` are delivered; nil for none.
    public let webhookURL: String?
    /// How many times a worker has claimed this job.
    public var attempts: Int
    /// Set for images generated for a product (the EcomViz surface).
    public let productID: String?

    public init(
        id: String, accountID: String, keyID: String, mode: KeyMode, status: GenerationStatus,
        style: String, platform: String, format: String, width: Int, height: Int, parameters: String,
        creditsUsed: Int, fileSize: Int? = nil, outputFile: String? = nil, generationTimeMs: Int? = nil,
        errorCode: String? = nil, errorMessage: String? = nil, createdAt: Date, completedAt: Date? = nil,
        expiresAt: Date, purgedAt: Date? = nil, compliance: String? = nil, cutoutConfidence: Double? = nil,
        batchID: String? = nil, batchIndex: Int? = nil, webhookURL: String? = nil, attempts: Int = 0, productID: String? = nil
    ) {
        self.cutoutConfidence = cutoutConfidence
        self.id = id
        self.accountID = accountID
        self.keyID = keyID
        self.mode = mode
        self.status = status
        self.style = style
        self.platform = platform
        self.format = format
        self.width = width
        self.height = height
        self.parameters = parameters
        self.creditsUsed = creditsUsed
        self.fileSize = fileSize
        self.outputFile = outputFile
        self.generationTimeMs = generationTimeMs
        self.errorCode = errorCode
        self.errorMessage = errorMessage
        self.createdAt = createdAt
        self.completedAt = completedAt
        self.expiresAt = expiresAt
        self.purgedAt = purgedAt
        self.compliance = compliance
        self.batchID = batchID
        self.batchIndex = batchIndex
        self.webhookURL = webhookURL
        self.attempts = attempts
        self.productID = productID
    }
}

/// A queued generation: its record and the request a worker renders it from.
public struct QueuedGeneration: Sendable, Equatable {
    public let record: GenerationRecord
    /// The validated request, serialised by the domain.
    public let request: Data

    public init(record: GenerationRecord, request: Data) {
        self.record = record
        self.request = request
    }
}

/// What a batch is: a /v1 batch, a product's generation task, or a virtual try-on task.
public enum BatchKind: String, Sendable, CaseIterable {
    case batch, product, vto
}

public enum BatchStatus: String, Sendable, CaseIterable {
    case processing
    /// Every item finished and at least one completed.
    case completed
    /// Every item failed.
    case failed
}

/// Several generations submitted together; its status follows its items.
public struct BatchRecord: Sendable, Equatable {
    public let id: String
    public let accountID: String
    public let keyID: String
    public var status: BatchStatus
    public let totalItems: Int
    /// Where `batch.completed` (or `product.generated`) is delivered once every item has
    /// finished; nil for none.
    public let webhookURL: String?
    public let createdAt: Date
    public var completedAt: Date?
    /// Set when the batch is a product's generation task.
    public let productID: String?
    /// Sent back in the task's webhook so the receiver can check it (EcomViz).
    public let webhookToken: String?
    public let kind: BatchKind
    /// What the task was asked to do, as JSON the domain owns (try-on: the photos' URLs).
    public let details: String?

    public init(
        id: String, accountID: String, keyID: String, status: BatchStatus = .processing, totalItems: Int,
        webhookURL: String?, createdAt: Date, completedAt: Date? = nil, productID: String? = nil, webhookToken: String? = nil,
        kind: BatchKind = .batch, details: String? = nil
    ) {
        self.id = id
        self.accountID = accountID
        self.keyID = keyID
        self.status = status
        self.totalItems = totalItems
        self.webhookURL = webhookURL
        self.createdAt = createdAt
        self.completedAt = completedAt
        self.productID = productID
        self.webhookToken = webhookToken
        self.kind = kind
        self.details = details
    }
}

/// A product made from photos on the EcomViz surface: its name, measured analysis and colours
/// (JSON whose shape the domain owns) and where its source photos are kept.
public struct ProductRecord: Sendable, Equatable {
    public let id: String
    public let accountID: String
    public let keyID: String
    public let name: String
    /// Where the name came from: the request, the image's metadata, or the URL's file name.
    public let nameSource: String
    public let analysis: String
    public let colors: String
    public let sources: String
    public let createdAt: Date
    public let updatedAt: Date

    public init(
        id: String, accountID: String, keyID: String, name: String, nameSource: String, analysis: String, colors: String,
        sources: String, createdAt: Date, updatedAt: Date
    ) {
        self.id = id
        self.accountID = accountID
        self.keyID = keyID
        self.name = name
        self.nameSource = nameSource
        self.analysis = analysis
        self.colors = colors
        self.sources = sources
        self.createdAt = createdAt
        self.updatedAt = updatedAt
    }
}

/// Webhook events, named as on the wire.
public enum WebhookEvent: String, Sendable, CaseIterable {
    case generationCompleted = "generation.completed"
    case generationFailed = "generation.failed"
    case batchCompleted = "batch.completed"
    /// A product's generation task finished (EcomViz).
    case productGenerated = "product.generated"
    /// A virtual try-on task finished (EcomViz).
    case vtoCompleted = "vto.completed"
}

public enum DeliveryStatus: String, Sendable, CaseIterable {
    case pending
    case delivered
    /// Retries ran out.
    case failed
}

/// One POST of a webhook event to its receiver.
public struct DeliveryAttempt: Sendable, Equatable {
    public let number: Int
    public let attemptedAt: Date
    /// The receiver's HTTP status; nil when no response came (refused, timed out, blocked).
    public let statusCode: Int?
    public let error: String?
    public let durationMs: Int

    public init(number: Int, attemptedAt: Date, statusCode: Int?, error: String?, durationMs: Int) {
        self.number = number
        self.attemptedAt = attemptedAt
        self.statusCode = statusCode
        self.error = error
        self.durationMs = durationMs
    }
}

/// An event owed to a receiver. It is written in the same transaction that finishes its
/// generation or batch, so no finished work ever goes unannounced; its id is the event id.
public struct WebhookDelivery: Sendable, Equatable {
    public let id: String
    public let accountID: String
    public let keyID: String
    public let url: String
    public let event: WebhookEvent
    /// The generation or batch the event is about.
    public let subjectID: String
    /// The exact body sent, fixed at the first attempt so every retry carries the same bytes.
    public var payload: String?
    public var status: DeliveryStatus
    public var attempts: [DeliveryAttempt]
    public var nextAttemptAt: Date?
    public let createdAt: Date

    public init(
        id: String, accountID: String, keyID: String, url: String, event: WebhookEvent, subjectID: String,
        payload: String?, status: DeliveryStatus, attempts: [DeliveryAttempt], nextAttemptAt: Date?, createdAt: Date
    ) {
        self.id = id
        self.accountID = accountID
        self.keyID = keyID
        self.url = url
        self.event = event
        self.subjectID = subjectID
        self.payload = payload
        self.status = status
        self.attempts = attempts
        self.nextAttemptAt = nextAttemptAt
        self.createdAt = createdAt
    }
}

/// What became of a delivery attempt.
public enum DeliveryOutcome: Sendable, Equatable {
    case delivered
    case retry(at: Date)
    case gaveUp
}

/// What a finished render adds to its generation.
public struct GenerationOutput: Sendable, Equatable {
    public let outputFile: String
    public let fileSize: Int
    public let generationTimeMs: Int
    /// The compliance report as JSON.
    public let compliance: String?
    public let cutoutConfidence: Double?

    public init(outputFile: String, fileSize: Int, generationTimeMs: Int, compliance: String? = nil, cutoutConfidence: Double? = nil) {
        self.outputFile = outputFile
        self.fileSize = fileSize
        self.generationTimeMs = generationTimeMs
        self.compliance = compliance
        self.cutoutConfidence = cutoutConfidence
    }
}

/// What an `Idempotency-Key` means for a request.
public enum IdempotencyOutcome: Sendable, Equatable {
    /// The key's first use: process the request, then record its response.
    case first
    /// A repeat of a finished request: give its response again, charge nothing.
    case replay(statusCode: Int, response: String)
    /// The first request with this key is still being processed.
    case inFlight
    /// The key was used for a different request.
    case mismatch
}

/// One UTC day of an account's usage.
public struct DailyUsage: Sendable, Equatable {
    /// The day's start (00:00 UTC).
    public let day: Date
    /// Credits debited that day less credits refunded that day.
    public let creditsUsed: Int
    /// Generations created that day, live and test, whatever became of them.
    public let generations: Int

    public init(day: Date, creditsUsed: Int, generations: Int) {
        self.day = day
        self.creditsUsed = creditsUsed
        self.generations = generations
    }
}

/// A position in an account's history: the entry a page starts after.
public struct HistoryCursor: Sendable, Equatable {
    public let createdAt: Date
    public let id: String

    public init(createdAt: Date, id: String) {
        self.createdAt = createdAt
        self.id = id
    }
}

/// One entry of an account's /v1 history: a generation of its own, or a batch.
public enum HistoryEntry: Sendable, Equatable {
    case generation(GenerationRecord)
    case batch(BatchRecord)

    public var id: String {
        switch self {
        case .generation(let record): record.id
        case .batch(let record): record.id
        }
    }

    public var createdAt: Date {
        switch self {
        case .generation(let record): record.createdAt
        case .batch(let record): record.createdAt
        }
    }

    /// Newest first; equal times by id, descending, compared byte by byte as both databases do.
    static func newerFirst(_ a: HistoryEntry, _ b: HistoryEntry) -> Bool {
        let (ta, tb) = (SQLValue(a.createdAt).int ?? 0, SQLValue(b.createdAt).int ?? 0)
        if ta != tb { return ta > tb }
        return b.id.utf8.lexicographicallyPrecedes(a.id.utf8)
    }
}

public enum StoreError: Error, Equatable, Sendable {
    /// The balance could not cover the charge; nothing was written.
    case insufficientCredits(balance: Int)
    case notFound(String)
    case conflict(String)
    case database(String)
}
