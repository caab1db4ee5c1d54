import Foundation
import ProdVisualEngine

/// Where the source image comes from.
public enum ImageSource: Sendable, Equatable {
    /// Fetched by the server, under the fetch policy.
    case url(String)
    /// Sent inline (base64 in JSON, or a multipart file).
    case bytes([UInt8])
}

/// A generation as the caller asked for it, before validation. Field names follow the API.
public struct GenerationRequest: Sendable {
    public var source: ImageSource?
    public var style: String?
    public var platform: String?
    public var dimensions: String?
    public var background: String?
    public var format: String?
    public var quality: Int?
    public var webhookURL: String?

    public init(
        source: ImageSource?, style: String?, platform: String? = nil, dimensions: String? = nil,
        background: String? = nil, format: String? = nil, quality: Int? = nil, webhookURL: String? = nil
    ) {
        self.source = source
        self.style = style
        self.platform = platform
        self.dimensions = dimensions
        self.background = background
        self.format = format
        self.quality = quality
        self.webhookURL = webhookURL
    }
}

/// A validated request: every default resolved, ready to render.
public struct GenerationPlan: Sendable, Equatable {
    public let source: ImageSource
    public let style: Style
    public let platform: Platform
    public let width: Int
    public let height: Int
    public let background: Background
    public let format: ImageFormat
    public let quality: Int

    public var dimensions: String { "\(width)x\(height)" }

    static let sideRange = 50...8000
    static let maxOutputPixels = 40_000_000
    static let qualityRange = 1...100
    static let defaultQuality = 90

    /// Checks every parameter and names the first one that is wrong, with what would be right.
    public init(validating request: GenerationRequest) throws(ServiceError) {
        guard let styleID = request.style, !styleID.isEmpty else {
            throw .invalid("Missing required parameter 'style'. See GET /v1/styles for the available styles.")
        }
        guard let style = StyleCatalog.style(id: styleID) else {
            let ids = StyleCatalog.all.map(\.id).joined(separator: ", ")
            throw .invalid("Unknown style '\(styleID)'. Available styles: \(ids).")
        }
        let platformID = request.platform ?? "generic"
        guard let platform = PlatformCatalog.platform(id: platformID) else {
            let ids = PlatformCatalog.all.map(\.id).joined(separator: ", ")
            throw .invalid("Unknown platform '\(platformID)'. Available platforms: \(ids).")
        }
        guard let source = request.source else {
            throw .invalid("Missing source image: send 'image_url', 'image_base64', or a multipart file field 'image'.")
        }
        if case .url(let url) = source, url.isEmpty {
            throw .invalid("Parameter 'image_url' is empty.")
        }

        var width = platform.defaultWidth
        var height = platform.defaultHeight
        if let dimensions = request.dimensions {
            (width, height) = try Self.parseDimensions(dimensions)
        }

        let format: ImageFormat
        if let name = request.format {
            guard let parsed = ImageFormat(rawValue: name.lowercased() == "jpg" ? "jpeg" : name.lowercased()) else {
                throw .invalid("Unsupported format '\(name)'. Use png, jpeg or webp.")
            }
            format = parsed
        } else {
            format = style.requiresAlpha && !platform.defaultFormat.supportsAlpha ? .png : platform.defaultFormat
        }

        let quality = request.quality ?? Self.defaultQuality
        guard Self.qualityRange.contains(quality) else {
            throw .invalid("Parameter 'quality' must be between 1 and 100; got \(quality).")
        }

        var background = Background.color(.white)
        if let value = request.background {
            guard style.usesBackground else {
                throw .invalid("Style '\(style.id)' has no background to colour; omit 'background'.")
            }
            if value.lowercased() == "transparent" {
                background = .transparent
            } else if let color = RGBColor(hex: value) {
                background = .color(color)
            } else {
                throw .invalid("Parameter 'background' must be a hex colour like #ffffff, or \"transparent\"; got '\(value)'.")
            }
        }
        if style.requiresAlpha || background == .transparent, !format.supportsAlpha {
            throw .invalid("A transparent background needs format png or webp; JPEG has no alpha channel.")
        }

        self.source = source
        self.style = style
        self.platform = platform
        self.width = width
        self.height = height
        self.background = background
        self.format = format
        self.quality = quality
    }

    static func parseDimensions(_ text: String) throws(ServiceError) -> (Int, Int) {
        let parts = text.lowercased().split(separator: "x", omittingEmptySubsequences: false)
        guard parts.count == 2, let width = Int(parts[0]), let height = Int(parts[1]) else {
            throw .invalid("Parameter 'dimensions' must be WxH, e.g. 1500x1500; got '\(text)'.")
        }
        guard sideRange.contains(width), sideRange.contains(height) else {
            throw .invalid("Each side in 'dimensions' must be between \(sideRange.lowerBound) and \(sideRange.upperBound) pixels; got \(text).")
        }
        guard width * height <= maxOutputPixels else {
            throw .invalid("'dimensions' \(text) exceeds the \(maxOutputPixels / 1_000_000)-megapixel output limit.")
        }
        return (width, height)
    }
}

extension GenerationPlan {
    /// What the engine is asked to draw for this plan.
    public func renderSpec(watermark: String?) -> RenderSpec {
        // A transparent background on a plain-background style is the transparent composition.
        let composition = background == .transparent ? .transparent : style.composition
        return RenderSpec(
            composition: composition, width: width, height: height, productFill: platform.productFill,
            background: background, format: format, quality: quality, watermark: watermark)
    }
}
