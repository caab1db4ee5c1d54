import ProdVisualEngine

/// What a marketplace wants of its images: a preset for defaults, and (later) the rules
/// that compliance checks. Figures from docs/platforms.md.
public struct Platform: Sendable, Equatable {
    public enum BackgroundRule: String, Sendable {
        /// Pure white RGB 255,255,255 is required for a main image.
        case pureWhiteRequired = "pure_white_required"
        case whiteRecommended = "white_recommended"
        case any
    }

    public let id: String
    public let name: String
    public let defaultWidth: Int
    public let defaultHeight: Int
    /// Fraction of the frame the product's longer side spans.
    public let productFill: Double
    public let backgroundRule: BackgroundRule
    public let defaultFormat: ImageFormat
    public let acceptedFormats: [ImageFormat]
    /// Largest file the platform accepts, in bytes; nil where it sets none.
    public let maxFileBytes: Int?
    public let minLongestSide: Int?
    /// Longest side the platform takes (Mercado Libre documents 1920).
    public var maxLongestSide: Int { id == "mercadolibre" ? 1920 : 10_000 }
    /// The platform's content rules forbid text, logos or watermarks on a main image.
    public var forbidsTextOnMainImage: Bool { ["amazon", "ebay", "walmart", "google_shopping", "mercadolibre"].contains(id) }
}

public enum PlatformCatalog {
    private static let megabyte = 1_000_000
    private static let everyFormat: [ImageFormat] = [.png, .jpeg, .webp]

    /// PNG stays the default, as the API document says, except where a platform refuses PNG.
    public static let all: [Platform] = [
        Platform(id: "generic", name: "Generic", defaultWidth: 1500, defaultHeight: 1500, productFill: 0.80,
                 backgroundRule: .any, defaultFormat: .png, acceptedFormats: everyFormat, maxFileBytes: nil, minLongestSide: nil),
        Platform(id: "amazon", name: "Amazon", defaultWidth: 2000, defaultHeight: 2000, productFill: 0.85,
                 backgroundRule: .pureWhiteRequired, defaultFormat: .png, acceptedFormats: [.jpeg, .png],
                 maxFileBytes: 10 * megabyte, minLongestSide: 1000),
        Platform(id: "ebay", name: "eBay", defaultWidth: 1600, defaultHeight: 1600, productFill: 0.80,
                 backgroundRule: .whiteRecommended, defaultFormat: .png, acceptedFormats: everyFormat,
                 maxFileBytes: 12 * megabyte, minLongestSide: 500),
        Platform(id: "etsy", name: "Etsy", defaultWidth: 2000, defaultHeight: 2000, productFill: 0.80,
                 backgroundRule: .any, defaultFormat: .png, acceptedFormats: [.jpeg, .png], maxFileBytes: nil, minLongestSide: 2000),
        Platform(id: "shopify", name: "Shopify", defaultWidth: 2048, defaultHeight: 2048, productFill: 0.80,
                 backgroundRule: .any, defaultFormat: .png, acceptedFormats: everyFormat, maxFileBytes: 20 * megabyte, minLongestSide: nil),
        Platform(id: "woocommerce", name: "WooCommerce", defaultWidth: 1200, defaultHeight: 1200, productFill: 0.80,
                 backgroundRule: .any, defaultFormat: .png, acceptedFormats: everyFormat, maxFileBytes: nil, minLongestSide: nil),
        Platform(id: "mercadolibre", name: "Mercado Libre", defaultWidth: 1200, defaultHeight: 1200, productFill: 0.95,
                 backgroundRule: .whiteRecommended, defaultFormat: .png, acceptedFormats: [.jpeg, .png],
                 maxFileBytes: 10 * megabyte, minLongestSide: 500),
        Platform(id: "walmart", name: "Walmart", defaultWidth: 2200, defaultHeight: 2200, productFill: 0.85,
                 backgroundRule: .pureWhiteRequired, defaultFormat: .png, acceptedFormats: [.jpeg, .png],
                 maxFileBytes: 5 * megabyte, minLongestSide: 1500),
        Platform(id: "google_shopping", name: "Google Shopping", defaultWidth: 1500, defaultHeight: 1500, productFill: 0.85,
                 backgroundRule: .whiteRecommended, defaultFormat: .png, acceptedFormats: everyFormat,
                 maxFileBytes: 16 * megabyte, minLongestSide: 500),
        Platform(id: "instagram", name: "Instagram feed", defaultWidth: 1440, defaultHeight: 1440, productFill: 0.75,
                 backgroundRule: .any, defaultFormat: .png, acceptedFormats: [.jpeg, .png], maxFileBytes: 30 * megabyte, minLongestSide: 600),
        Platform(id: "facebook", name: "Facebook feed", defaultWidth: 1440, defaultHeight: 1440, productFill: 0.75,
                 backgroundRule: .any, defaultFormat: .png, acceptedFormats: [.jpeg, .png], maxFileBytes: 30 * megabyte, minLongestSide: 600),
        Platform(id: "tiktok", name: "TikTok", defaultWidth: 1080, defaultHeight: 1920, productFill: 0.70,
                 backgroundRule: .any, defaultFormat: .png, acceptedFormats: [.jpeg, .png], maxFileBytes: 30 * megabyte, minLongestSide: 500),
        Platform(id: "zalando", name: "Zalando", defaultWidth: 1801, defaultHeight: 2600, productFill: 0.85,
                 backgroundRule: .whiteRecommended, defaultFormat: .jpeg, acceptedFormats: [.jpeg],
                 maxFileBytes: 20 * megabyte, minLongestSide: 1100),
    ]

    public static func platform(id: String) -> Platform? { all.first { $0.id == id } }
}
