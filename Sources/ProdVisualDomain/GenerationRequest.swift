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
    public var text: [TextField: TextValue] = [:]
    public var scene: String?
    public var seed: Int?
    public var compareStyle: String?
    public var colors: [String]?

    /// A `text` field's value: most are one string, `features` a list.
    public enum TextValue: Sendable, Equatable {
        case string(String)
        case list([String])
    }

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
    public let text: StyleText
    public let scene: String?
    /// Nil: derived from the image's bytes, so each product gets its own variant.
    public let seed: UInt64?
    public let compareStyle: Style?
    public let colors: [RGBColor]

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

        var width = style.defaultSize?.width ?? platform.defaultWidth
        var height = style.defaultSize?.height ?? platform.defaultHeight
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
                guard style.composition == .whiteBackground else {
                    throw .invalid("Style '\(style.id)' paints its own background; only white_bg takes \"transparent\" (or use style 'transparent').")
                }
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

        let compareStyle = try Self.compareStyle(request.compareStyle, for: style)
        text = try Self.text(request.text, for: style, comparing: compareStyle)
        scene = try Self.scene(request.scene, for: style)
        if let seed = request.seed {
            guard style.parameters.contains("seed") else { throw .invalid("Style '\(style.id)' has no variants to seed; omit 'seed'.") }
            guard seed >= 0 else { throw .invalid("Parameter 'seed' must be a non-negative integer; got \(seed).") }
            self.seed = UInt64(seed)
        } else {
            self.seed = nil
        }
        colors = try Self.colors(request.colors, for: style)
        self.compareStyle = compareStyle
        self.source = source
        self.style = style
        self.platform = platform
        self.width = width
        self.height = height
        self.background = background
        self.format = format
        self.quality = quality
    }

    static let maxTextLength = 160
    static let maxFeatures = 6

    /// The `text` object checked against what the style lays out.
    static func text(_ fields: [TextField: GenerationRequest.TextValue], for style: Style, comparing: Style?) throws(ServiceError) -> StyleText {
        guard style.parameters.contains("text") || fields.isEmpty else {
            throw .invalid("Style '\(style.id)' draws no text; omit 'text'. Text styles: \(StyleCatalog.all.filter { $0.parameters.contains("text") }.map(\.id).joined(separator: ", ")).")
        }
        var text = StyleText()
        for (field, value) in fields {
            switch (field, value) {
            case (.features, .list(let items)):
                guard items.count <= maxFeatures else { throw .invalid("'text.features' takes at most \(maxFeatures) items; got \(items.count).") }
                text.features = try items.enumerated().map { index, item throws(ServiceError) in
                    try checked(item, name: "text.features[\(index)]")
                }
            case (.features, .string):
                throw .invalid("'text.features' must be an array of strings.")
            case (_, .list):
                throw .invalid("'text.\(field.rawValue)' must be a string.")
            case (.headline, .string(let value)): text.headline = try checked(value, name: "text.headline")
            case (.subheadline, .string(let value)): text.subheadline = try checked(value, name: "text.subheadline")
            case (.badge, .string(let value)): text.badge = try checked(value, name: "text.badge")
            case (.widthLabel, .string(let value)): text.widthLabel = try checked(value, name: "text.width_label")
            case (.heightLabel, .string(let value)): text.heightLabel = try checked(value, name: "text.height_label")
            }
        }
        for required in [style] + (comparing.map { [$0] } ?? []) where !required.requiredText.isEmpty {
            let given = required.requiredText.contains { field in
                switch field {
                case .headline: text.headline != nil
                case .subheadline: text.subheadline != nil
                case .features: !text.features.isEmpty
                case .badge: text.badge != nil
                case .widthLabel: text.widthLabel != nil
                case .heightLabel: text.heightLabel != nil
                }
            }
            guard given else {
                let names = required.requiredText.map { "'text.\($0.rawValue)'" }.joined(separator: " or ")
                throw .invalid("Style '\(required.id)' needs \(names).")
            }
        }
        return text
    }

    private static func checked(_ value: String, name: String) throws(ServiceError) -> String {
        // A NUL or an escape code would reach the text renderer; layouts break lines themselves.
        if let control = value.unicodeScalars.first(where: { $0.properties.generalCategory == .control }) {
            let code = String(control.value, radix: 16, uppercase: true)
            throw .invalid("'\(name)' contains a control character (U+\(String(repeating: "0", count: max(0, 4 - code.count)) + code)); send plain text on one line.")
        }
        let trimmed = value.trimmingCharacters(in: .whitespacesAndNewlines)
        guard !trimmed.isEmpty else { throw .invalid("'\(name)' is empty.") }
        guard trimmed.unicodeScalars.contains(where: { !$0.properties.isWhitespace && !$0.properties.isDefaultIgnorableCodePoint }) else {
            throw .invalid("'\(name)' has no visible characters.")
        }
        guard trimmed.count <= maxTextLength else {
            throw .invalid("'\(name)' is \(trimmed.count) characters; at most \(maxTextLength) fit a layout.")
        }
        return trimmed
    }

    static func scene(_ name: String?, for style: Style) throws(ServiceError) -> String? {
        guard let name else { return nil }
        guard !style.scenes.isEmpty else { throw .invalid("Style '\(style.id)' has no scenes; omit 'scene'.") }
        guard style.scenes.contains(name) else {
            throw .invalid("Unknown scene '\(name)' for style '\(style.id)'. Available scenes: \(style.scenes.joined(separator: ", ")).")
        }
        return name
    }

    static func compareStyle(_ id: String?, for style: Style) throws(ServiceError) -> Style? {
        guard let id else { return style.composition == .comparison ? StyleCatalog.style(id: "white_bg") : nil }
        guard style.composition == .comparison else { throw .invalid("'compare_style' applies to the comparison style only.") }
        guard let compared = StyleCatalog.style(id: id), ![.comparison, .colorVariants].contains(compared.composition) else {
            throw .invalid("Parameter 'compare_style' must be a single-image style such as white_bg or lifestyle; got '\(id)'.")
        }
        return compared
    }

    static let colourRange = 2...6

    static func colors(_ values: [String]?, for style: Style) throws(ServiceError) -> [RGBColor] {
        guard style.composition == .colorVariants else {
            guard values == nil else { throw .invalid("'colors' applies to the color_variants style only.") }
            return []
        }
        guard let values else { throw .invalid("Style 'color_variants' needs 'colors': 2 to 6 hex colours, e.g. [\"#1f3a93\", \"#c0392b\"].") }
        guard colourRange.contains(values.count) else {
            throw .invalid("'colors' takes \(colourRange.lowerBound) to \(colourRange.upperBound) hex colours; got \(values.count).")
        }
        return try values.enumerated().map { index, value throws(ServiceError) in
            guard let colour = RGBColor(hex: value) else { throw .invalid("'colors[\(index)]' must be a hex colour like #1f3a93; got '\(value)'.") }
            return colour
        }
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
    /// The style's traits as this request uses it: social formats draw text only when given some.
    public var styleTraits: StyleTraits {
        StyleTraits(addsText: style.traits.addsText && text != StyleText(), mainImageEligible: style.traits.mainImageEligible)
    }

    /// What the engine is asked to draw for this plan.
    public func renderSpec(watermark: String?) -> RenderSpec {
        // A transparent background on the plain white style is the transparent composition.
        let composition = background == .transparent && style.composition == .whiteBackground ? .transparent : style.composition
        var spec = RenderSpec(
            composition: composition, width: width, height: height, productFill: platform.productFill,
            background: background, format: format, quality: quality, watermark: watermark)
        spec.text = text
        spec.scene = scene
        spec.seed = seed
        spec.colors = colors
        spec.compareWith = compareStyle?.composition ?? .whiteBackground
        spec.checksAddedText = platform.forbidsTextOnMainImage
        return spec
    }
}

/// Queued jobs keep their request as JSON in the store and are validated again when rendered,
/// so a worker renders exactly what the API accepted.
extension GenerationRequest: Codable {
    private enum CodingKeys: String, CodingKey {
        case imageURL = "image_url", imageBase64 = "image_base64", style, platform, dimensions, background, format, quality
        case webhookURL = "webhook_url", text, scene, seed, compareStyle = "compare_style", colors
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        if let url = try container.decodeIfPresent(String.self, forKey: .imageURL) {
            source = .url(url)
        } else if let base64 = try container.decodeIfPresent(String.self, forKey: .imageBase64), let data = Data(base64Encoded: base64) {
            source = .bytes(Array(data))
        }
        style = try container.decodeIfPresent(String.self, forKey: .style)
        platform = try container.decodeIfPresent(String.self, forKey: .platform)
        dimensions = try container.decodeIfPresent(String.self, forKey: .dimensions)
        background = try container.decodeIfPresent(String.self, forKey: .background)
        format = try container.decodeIfPresent(String.self, forKey: .format)
        quality = try container.decodeIfPresent(Int.self, forKey: .quality)
        webhookURL = try container.decodeIfPresent(String.self, forKey: .webhookURL)
        scene = try container.decodeIfPresent(String.self, forKey: .scene)
        seed = try container.decodeIfPresent(Int.self, forKey: .seed)
        compareStyle = try container.decodeIfPresent(String.self, forKey: .compareStyle)
        colors = try container.decodeIfPresent([String].self, forKey: .colors)
        let text = try container.decodeIfPresent([String: TextCoding].self, forKey: .text) ?? [:]
        for (name, value) in text {
            guard let field = TextField(rawValue: name) else { continue }
            self.text[field] = value.value
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        switch source {
        case .url(let url)?: try container.encode(url, forKey: .imageURL)
        case .bytes(let bytes)?: try container.encode(Data(bytes).base64EncodedString(), forKey: .imageBase64)
        case nil: break
        }
        try container.encodeIfPresent(style, forKey: .style)
        try container.encodeIfPresent(platform, forKey: .platform)
        try container.encodeIfPresent(dimensions, forKey: .dimensions)
        try container.encodeIfPresent(background, forKey: .background)
        try container.encodeIfPresent(format, forKey: .format)
        try container.encodeIfPresent(quality, forKey: .quality)
        try container.encodeIfPresent(webhookURL, forKey: .webhookURL)
        try container.encodeIfPresent(scene, forKey: .scene)
        try container.encodeIfPresent(seed, forKey: .seed)
        try container.encodeIfPresent(compareStyle, forKey: .compareStyle)
        try container.encodeIfPresent(colors, forKey: .colors)
        if !text.isEmpty {
            try container.encode(Dictionary(uniqueKeysWithValues: text.map { ($0.key.rawValue, TextCoding(value: $0.value)) }), forKey: .text)
        }
    }

    private struct TextCoding: Codable {
        let value: TextValue

        init(value: TextValue) { self.value = value }

        init(from decoder: any Decoder) throws {
            let container = try decoder.singleValueContainer()
            if let list = try? container.decode([String].self) {
                value = .list(list)
            } else {
                value = .string(try container.decode(String.self))
            }
        }

        func encode(to encoder: any Encoder) throws {
            var container = encoder.singleValueContainer()
            switch value {
            case .string(let string): try container.encode(string)
            case .list(let list): try container.encode(list)
            }
        }
    }
}
