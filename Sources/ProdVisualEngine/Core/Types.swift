/// Output (and accepted input) image formats.
public enum ImageFormat: String, Sendable, CaseIterable, Codable {
    case png
    case jpeg
    case webp

    public var mimeType: String { "image/\(rawValue)" }
    public var fileExtension: String { self == .jpeg ? "jpg" : rawValue }
    public var supportsAlpha: Bool { self != .jpeg }
}

public struct RGBColor: Sendable, Hashable {
    public var r: UInt8
    public var g: UInt8
    public var b: UInt8

    public init(r: UInt8, g: UInt8, b: UInt8) {
        self.r = r
        self.g = g
        self.b = b
    }

    /// `#ffffff`, `ffffff` or `#fff`, any case; nil for anything else.
    public init?(hex: String) {
        var digits = Substring(hex)
        if digits.hasPrefix("#") { digits = digits.dropFirst() }
        if digits.count == 3 { digits = Substring(digits.flatMap { [$0, $0] }) }
        guard digits.count == 6, digits.allSatisfy(\.isHexDigit), let value = UInt32(digits, radix: 16) else { return nil }
        self.init(r: UInt8(value >> 16), g: UInt8(value >> 8 & 0xFF), b: UInt8(value & 0xFF))
    }

    public var hex: String {
        "#" + [r, g, b].map { ($0 < 16 ? "0" : "") + String($0, radix: 16) }.joined()
    }

    public static let white = RGBColor(r: 255, g: 255, b: 255)
}

public enum Background: Sendable, Hashable {
    case color(RGBColor)
    case transparent
}

/// How the cut-out product is laid out. Each case is one composition the engine can draw.
/// What the engine draws around the product. Raw values are the API's style ids.
public enum Composition: String, Sendable, CaseIterable {
    /// Centred on a plain colour (pure white by default).
    case whiteBackground = "white_bg"
    /// Centred on transparency.
    case transparent
    case lifestyle, mockup, infographic
    case socialSquare = "social_square"
    case socialStory = "social_story"
    case heroBanner = "hero_banner"
    case comparison
    case dropShadow = "drop_shadow"
    case reflection, gradient, pastel
    case darkLuxury = "dark_luxury"
    case marble
    case woodenTable = "wooden_table"
    case podium
    case flatLay = "flat_lay"
    case outdoor
    case saleBadge = "sale_badge"
    case colorVariants = "color_variants"
    case dimensions
}

/// Words a text-bearing style lays out. Every field is optional here; styles that cannot work
/// without one are refused before rendering.
public struct StyleText: Sendable, Equatable {
    public var headline: String?
    public var subheadline: String?
    public var features: [String]
    public var badge: String?
    public var widthLabel: String?
    public var heightLabel: String?

    public init(headline: String? = nil, subheadline: String? = nil, features: [String] = [], badge: String? = nil,
                widthLabel: String? = nil, heightLabel: String? = nil) {
        self.headline = headline
        self.subheadline = subheadline
        self.features = features
        self.badge = badge
        self.widthLabel = widthLabel
        self.heightLabel = heightLabel
    }
}

public struct RenderSpec: Sendable {
    public var composition: Composition
    public var width: Int
    public var height: Int
    /// The product's bounding box is scaled, never stretched, to span this fraction of the
    /// frame along its tighter side.
    public var productFill: Double
    public var background: Background
    public var format: ImageFormat
    public var quality: Int
    /// Tiled diagonally across the whole image when set (sandbox outputs).
    public var watermark: String?
    public var text = StyleText()
    /// A named variant of a scene style; nil picks one from the seed.
    public var scene: String?
    /// Same seed, same image: textures, palettes and variants derive from it. Nil derives it
    /// from the source's bytes, so each product gets its own variant, the same every time.
    public var seed: UInt64?
    /// Target colours for color_variants.
    public var colors: [RGBColor] = []
    /// The style comparison shows beside the original.
    public var compareWith: Composition = .whiteBackground
    /// Look for text outside the products (a marketplace that forbids text on a main image).
    public var checksAddedText = false

    public init(
        composition: Composition, width: Int, height: Int, productFill: Double, background: Background,
        format: ImageFormat, quality: Int, watermark: String?
    ) {
        self.composition = composition
        self.width = width
        self.height = height
        self.productFill = productFill
        self.background = background
        self.format = format
        self.quality = quality
        self.watermark = watermark
    }
}

public struct DecodeLimits: Sendable {
    /// Largest width × height accepted, checked from the header before any pixel is decoded.
    public var maxPixels: Int

    public init(maxPixels: Int) { self.maxPixels = maxPixels }

    /// The shortest side a product photo may have, and how many times longer its long side may
    /// be: below and beyond these the cutout's working copy keeps too few pixels across.
    public static let minimumSide = 16
    public static let maximumAspectRatio = 20

    public static let `default` = DecodeLimits(maxPixels: 40_000_000)
}

public enum ImagingError: Error, Sendable, Equatable {
    /// Not JPEG, PNG or WebP, judged from the bytes.
    case unsupportedFormat
    case tooManyPixels(width: Int, height: Int, limit: Int)
    /// Too small, or too long for its width, to find a product in (see `DecodeLimits`).
    case unusableShape(width: Int, height: Int)
    case undecodable(String)
    case invalidSpec(String)
    case processingFailed(String)
}

public struct RenderedImage: Sendable {
    public let bytes: [UInt8]
    public let width: Int
    public let height: Int
    public let format: ImageFormat
    /// How far the product's cutout can be trusted (0...1); nil where the style cut none out.
    public var cutoutConfidence: Double? = nil
    /// Text the text model found outside the products (see `RenderSpec.checksAddedText`); nil
    /// when not looked for, or without the model.
    public var addedText: [TextRegion]? = nil
}

public struct PixelRect: Sendable, Equatable {
    public let x: Int
    public let y: Int
    public let width: Int
    public let height: Int
}

/// What the cutout learned, for layout and for deciding whether to trust it.
public struct CutoutReport: Sendable {
    /// Bounding box of alpha ≥ 128, in source pixels (after EXIF orientation).
    public let boundingBox: PixelRect
    /// Bounding-box area over image area.
    public let fillRatio: Double
    /// 0...1: low on cluttered scenes or when the product runs off the frame.
    public let confidence: Double
    /// The border is one smooth colour field (a sweep or backdrop).
    public let uniformBackground: Bool
    /// The input carried its own alpha channel, which was kept.
    public let hadAlpha: Bool
    /// 0...1: how dark the strongest cast shadow on the backdrop is (0 when none was seen).
    public let shadowStrength: Double
}

public struct Cutout: Sendable {
    /// RGBA PNG of the whole image at source resolution (capped by the engine's working limit).
    public let png: [UInt8]
    public let width: Int
    public let height: Int
    public let report: CutoutReport
}

/// Decoded 8-bit pixels, interleaved: 3 bands (RGB) or 4 (RGBA).
public struct PixelImage: Sendable {
    public let width: Int
    public let height: Int
    public let bands: Int
    public let data: [UInt8]

    public init(width: Int, height: Int, bands: Int, data: [UInt8]) {
        precondition(bands == 3 || bands == 4, "PixelImage holds RGB or RGBA")
        precondition(data.count == width * height * bands, "PixelImage: \(data.count) bytes for \(width)x\(height)x\(bands)")
        self.width = width
        self.height = height
        self.bands = bands
        self.data = data
    }

    public func rgb(x: Int, y: Int) -> [UInt8] {
        let offset = (y * width + x) * bands
        return Array(data[offset..<offset + 3])
    }

    /// 255 for images without alpha.
    public func alpha(x: Int, y: Int) -> UInt8 {
        bands == 4 ? data[(y * width + x) * 4 + 3] : 255
    }
}

public enum FormatSniffer {
    /// The format from the file's magic bytes; never from a name or a header someone sent.
    public static func sniff(_ bytes: [UInt8]) -> ImageFormat? {
        if bytes.count >= 3, bytes[0] == 0xFF, bytes[1] == 0xD8, bytes[2] == 0xFF { return .jpeg }
        if bytes.count >= 8, bytes[0..<8].elementsEqual([0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]) { return .png }
        if bytes.count >= 12, bytes[0..<4].elementsEqual(Array("RIFF".utf8)), bytes[8..<12].elementsEqual(Array("WEBP".utf8)) {
            return .webp
        }
        return nil
    }
}
