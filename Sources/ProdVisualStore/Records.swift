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

    public init(
        id: String, accountID: String, mode: KeyMode, secretHash: String, hint: String,
        name: String, createdAt: Date, revokedAt: Date? = nil
    ) {
        self.id = id
        self.accountID = accountID
        self.mode = mode
        self.secretHash = secretHash
        self.hint = hint
        self.name = name
        self.createdAt = createdAt
        self.revokedAt = revokedAt
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

    public init(
        id: String, accountID: String, keyID: String, mode: KeyMode, status: GenerationStatus,
        style: String, platform: String, format: String, width: Int, height: Int, parameters: String,
        creditsUsed: Int, fileSize: Int? = nil, outputFile: String? = nil, generationTimeMs: Int? = nil,
        errorCode: String? = nil, errorMessage: String? = nil, createdAt: Date, completedAt: Date? = nil,
        expiresAt: Date, purgedAt: Date? = nil, compliance: String? = nil
    ) {
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
    }
}

/// What a finished render adds to its generation.
public struct GenerationOutput: Sendable, Equatable {
    public let outputFile: String
    public let fileSize: Int
    public let generationTimeMs: Int
    /// The compliance report as JSON.
    public let compliance: String?

    public init(outputFile: String, fileSize: Int, generationTimeMs: Int, compliance: String? = nil) {
        self.outputFile = outputFile
        self.fileSize = fileSize
        self.generationTimeMs = generationTimeMs
        self.compliance = compliance
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

public enum StoreError: Error, Equatable, Sendable {
    /// The balance could not cover the charge; nothing was written.
    case insufficientCredits(balance: Int)
    case notFound(String)
    case conflict(String)
    case database(String)
}
