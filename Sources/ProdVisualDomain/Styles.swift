import ProdVisualEngine

/// A style the API offers: its public id and description, and the engine composition that renders it.
public struct Style: Sendable, Equatable {
    public let id: String
    public let name: String
    public let description: String
    /// Request parameters this style reads, besides `image_url` and `style`.
    public let parameters: [String]
    let composition: Composition
    /// Whether the style can show a background colour (`background` applies).
    let usesBackground: Bool
    /// The output needs an alpha channel (PNG or WebP).
    let requiresAlpha: Bool
}

/// The styles that really render today. Only these are listed and accepted.
public enum StyleCatalog {
    public static let all: [Style] = [
        Style(
            id: "white_bg", name: "Clean White Background",
            description: "Studio-quality white background: the product cut out and centred on pure white at the platform's fill",
            parameters: ["platform", "dimensions", "background", "format", "quality"],
            composition: .whiteBackground, usesBackground: true, requiresAlpha: false),
        Style(
            id: "transparent", name: "Transparent Cutout",
            description: "The product cut out on a transparent background (PNG or WebP with alpha)",
            parameters: ["platform", "dimensions", "format", "quality"],
            composition: .transparent, usesBackground: false, requiresAlpha: true),
    ]

    public static func style(id: String) -> Style? { all.first { $0.id == id } }
}
