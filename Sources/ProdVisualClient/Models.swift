import Foundation

/// A generation's or a batch's status: `pending`, `processing`, `completed` or `failed`
/// (any other value the server may add later is kept as is).
public struct GenerationStatus: RawRepresentable, Codable, Hashable, Sendable, CustomStringConvertible {
    public let rawValue: String
    public init(rawValue: String) { self.rawValue = rawValue }

    public static let pending = GenerationStatus(rawValue: "pending")
    public static let processing = GenerationStatus(rawValue: "processing")
    public static let completed = GenerationStatus(rawValue: "completed")
    public static let failed = GenerationStatus(rawValue: "failed")

    /// True for `completed` and `failed`: the generation or batch no longer changes.
    public var isTerminal: Bool { self == .completed || self == .failed }

    public init(from decoder: any Decoder) throws {
        rawValue = try decoder.singleValueContainer().decode(String.self)
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(rawValue)
    }

    public var description: String { rawValue }
}

/// The parameters of `POST /v1/generate`, and of each item of a batch.
public struct GenerateRequest: Encodable, Sendable, Hashable {
    /// Words for the text-bearing styles.
    public struct Text: Encodable, Sendable, Hashable {
        public var headline: String?
        public var subheadline: String?
        public var features: [String]?
        public var badge: String?
        public var widthLabel: String?
        public var heightLabel: String?

        public init(
            headline: String? = nil, subheadline: String? = nil, features: [String]? = nil, badge: String? = nil,
            widthLabel: String? = nil, heightLabel: String? = nil
        ) {
            self.headline = headline
            self.subheadline = subheadline
            self.features = features
            self.badge = badge
            self.widthLabel = widthLabel
            self.heightLabel = heightLabel
        }

        enum CodingKeys: String, CodingKey {
            case headline, subheadline, features, badge, widthLabel = "width_label", heightLabel = "height_label"
        }
    }

    /// http(s) URL of the source image (JPEG, PNG or WebP, at most 10 MB).
    public var imageURL: String?
    /// The source image inline, base64; instead of `imageURL`.
    public var imageBase64: String?
    /// A style id from `styles()`.
    public var style: String
    /// A platform preset (amazon, ebay, etsy, shopify, generic, ...); the server's default is generic.
    public var platform: String?
    /// `WxH`, e.g. `1500x1500`.
    public var dimensions: String?
    /// `#rrggbb` or `transparent`.
    public var background: String?
    /// `png`, `jpeg` or `webp`.
    public var format: String?
    /// JPEG/WebP quality, 1-100.
    public var quality: Int?
    /// Queue the generation and POST its result here: the call answers at once, status pending.
    public var webhookURL: String?
    public var text: Text?
    public var scene: String?
    public var seed: Int?
    public var compareStyle: String?
    public var colors: [String]?

    public init(
        imageURL: String? = nil, imageBase64: String? = nil, imageData: Data? = nil, style: String, platform: String? = nil,
        dimensions: String? = nil, background: String? = nil, format: String? = nil, quality: Int? = nil,
        webhookURL: String? = nil, text: Text? = nil, scene: String? = nil, seed: Int? = nil,
        compareStyle: String? = nil, colors: [String]? = nil
    ) {
        self.imageURL = imageURL
        self.imageBase64 = imageBase64 ?? imageData?.base64EncodedString()
        self.style = style
        self.platform = platform
        self.dimensions = dimensions
        self.background = background
        self.format = format
        self.quality = quality
        self.webhookURL = webhookURL
        self.text = text
        self.scene = scene
        self.seed = seed
        self.compareStyle = compareStyle
        self.colors = colors
    }

    enum CodingKeys: String, CodingKey {
        case imageURL = "image_url", imageBase64 = "image_base64", style, platform, dimensions, background, format, quality
        case webhookURL = "webhook_url", text, scene, seed, compareStyle = "compare_style", colors
    }
}

/// Why a generation failed.
public struct GenerationFailure: Codable, Sendable, Hashable {
    public let code: String
    public let message: String
}

/// Where a webhook goes and every delivery made to it, attempt by attempt.
public struct WebhookStatus: Codable, Sendable, Hashable {
    public struct Delivery: Codable, Sendable, Hashable {
        public let eventID: String
        public let event: String
        public let status: String
        public let nextAttemptAt: String?
        public let attempts: [Attempt]

        enum CodingKeys: String, CodingKey {
            case eventID = "event_id", event, status, nextAttemptAt = "next_attempt_at", attempts
        }
    }

    public struct Attempt: Codable, Sendable, Hashable {
        public let number: Int
        public let attemptedAt: String
        public let statusCode: Int?
        public let error: String?
        public let durationMs: Int?

        enum CodingKeys: String, CodingKey {
            case number, attemptedAt = "attempted_at", statusCode = "status_code", error, durationMs = "duration_ms"
        }
    }

    public let url: String
    public let deliveries: [Delivery]
}

/// One generation: the answer of `generate`, an item of a batch, or a status look-up.
public struct Generation: Decodable, Sendable, Hashable {
    public let id: String
    public let status: GenerationStatus
    /// The signed URL of the image; nil until completed and after expiry.
    public let outputURL: String?
    public let style: String?
    public let platform: String?
    public let dimensions: String?
    public let format: String?
    public let fileSize: Int?
    public let creditsUsed: Int?
    /// Only on the answer of the call that spent the credit.
    public let creditsRemaining: Int?
    public let generationTimeMs: Int?
    public let createdAt: String?
    public let expiresAt: String?
    public let error: GenerationFailure?
    /// The output judged against its platform's image rules; nil unless completed.
    public let compliance: JSONValue?
    public let batchID: String?
    public let webhook: WebhookStatus?
    /// True when the server replayed the first answer to this Idempotency-Key.
    public internal(set) var idempotentReplayed = false
    /// The JSON as received.
    public internal(set) var raw: JSONValue = .null

    enum CodingKeys: String, CodingKey {
        case id, status, outputURL = "output_url", style, platform, dimensions, format, fileSize = "file_size"
        case creditsUsed = "credits_used", creditsRemaining = "credits_remaining", generationTimeMs = "generation_time_ms"
        case createdAt = "created_at", expiresAt = "expires_at", error, compliance, batchID = "batch_id", webhook
    }
}

/// A batch: the answer of `generateBatch` or a look-up of its id.
public struct Batch: Decodable, Sendable, Hashable {
    public let batchID: String
    public let status: GenerationStatus
    public let totalItems: Int
    public let completedItems: Int?
    public let failedItems: Int?
    public let creditsUsed: Int?
    /// Only on the answer of `generateBatch`.
    public let creditsRemaining: Int?
    /// Only on the answer of `generateBatch`.
    public let estimatedTimeMs: Int?
    public let resultsURL: String?
    public let createdAt: String?
    public let completedAt: String?
    /// Every item, in request order.
    public internal(set) var items: [Generation]
    public let webhook: WebhookStatus?
    public internal(set) var idempotentReplayed = false
    public internal(set) var raw: JSONValue = .null

    enum CodingKeys: String, CodingKey {
        case batchID = "batch_id", status, totalItems = "total_items", completedItems = "completed_items"
        case failedItems = "failed_items", creditsUsed = "credits_used", creditsRemaining = "credits_remaining"
        case estimatedTimeMs = "estimated_time_ms", resultsURL = "results_url", createdAt = "created_at"
        case completedAt = "completed_at", items, webhook
    }
}

/// What `GET /v1/generations/{id}` returned: a generation or a batch.
public enum GenerationLookup: Sendable, Hashable {
    case generation(Generation)
    case batch(Batch)

    public var status: GenerationStatus {
        switch self {
        case .generation(let generation): generation.status
        case .batch(let batch): batch.status
        }
    }
}

public struct Style: Decodable, Sendable, Hashable {
    public let id: String
    public let name: String
    public let description: String
    /// The parameters the style uses.
    public let parameters: [String]?
    /// Fields it cannot render without; one of them suffices.
    public let requires: [String]?
    /// Named variants accepted by `scene`.
    public let scenes: [String]?
}

public struct StyleList: Decodable, Sendable, Hashable {
    public let styles: [Style]
    public let total: Int
}

public struct Platform: Decodable, Sendable, Hashable {
    public let id: String
    public let name: String
    public let defaultDimensions: String
    public let productFill: Double
    public let background: String
    public let defaultFormat: String
    public let formats: [String]
    public let maxFileSize: Int?
    public let minLongestSide: Int?

    enum CodingKeys: String, CodingKey {
        case id, name, defaultDimensions = "default_dimensions", productFill = "product_fill", background
        case defaultFormat = "default_format", formats, maxFileSize = "max_file_size", minLongestSide = "min_longest_side"
    }
}

public struct PlatformList: Decodable, Sendable, Hashable {
    public let platforms: [Platform]
    public let total: Int
}

/// The account's balance and usage.
public struct Credits: Decodable, Sendable, Hashable {
    public struct Purchase: Decodable, Sendable, Hashable {
        public let amount: Int
        public let date: String
    }

    public let creditsRemaining: Int
    public let creditsUsedTotal: Int
    public let creditsUsedToday: Int
    public let lastPurchase: Purchase?

    enum CodingKeys: String, CodingKey {
        case creditsRemaining = "credits_remaining", creditsUsedTotal = "credits_used_total"
        case creditsUsedToday = "credits_used_today", lastPurchase = "last_purchase"
    }
}

/// A verified webhook delivery.
public struct WebhookEvent: Sendable, Hashable {
    /// `generation.completed`, `generation.failed` or `batch.completed`.
    public let event: String
    /// The generation, or the batch for `batch.completed`, as JSON.
    public let data: JSONValue
    public let timestamp: String?
    /// `X-ProdVisual-Event-Id`: the same on every retry of one event.
    public let eventID: String?
    /// The raw body.
    public let body: Data

    /// `data` as a Generation, for `generation.*` events.
    public var generation: Generation? {
        guard event.hasPrefix("generation.") else { return nil }
        return try? WebhookEvent.decodeData(Generation.self, from: body)
    }

    /// `data` as a Batch, for `batch.*` events.
    public var batch: Batch? {
        guard event.hasPrefix("batch.") else { return nil }
        return try? WebhookEvent.decodeData(Batch.self, from: body)
    }

    private struct Envelope<T: Decodable>: Decodable { let data: T }

    static func decodeData<T: Decodable>(_ type: T.Type, from body: Data) throws -> T {
        try JSONDecoder().decode(Envelope<T>.self, from: body).data
    }
}
