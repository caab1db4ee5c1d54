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
    /// Text fields the style cannot render without; at least one of them must be given.
    let requiredText: [TextField]
    /// What the style cannot render without, by wire name (one of them suffices).
    public var requires: [String] {
        composition == .colorVariants ? ["colors"] : requiredText.map { "text.\($0.rawValue)" }
    }
    /// A fixed aspect the style is designed for, used when no `dimensions` are given.
    let defaultSize: (width: Int, height: Int)?
    /// Named variants of a scene style (`scene`).
    public let scenes: [String]
    /// What compliance needs to know: whether it can be a main image, whether it draws text.
    public let traits: StyleTraits

    public static func == (lhs: Style, rhs: Style) -> Bool { lhs.id == rhs.id }
}

/// The `text` object's fields, by their wire names.
public enum TextField: String, Sendable, CaseIterable {
    case headline, subheadline, features, badge
    case widthLabel = "width_label"
    case heightLabel = "height_label"
}

/// Every style the engine renders. The first eight are the API document's own.
public enum StyleCatalog {
    private static let common = ["platform", "dimensions", "format", "quality"]
    private static let scene = common + ["scene", "seed"]

    /// A plain product on a backdrop: fit to be a listing's main image.
    private static let packshot = StyleTraits(addsText: false, mainImageEligible: true)
    /// Scenes, props and layouts: additional images only.
    private static let additional = StyleTraits(addsText: false, mainImageEligible: false)
    private static let graphic = StyleTraits(addsText: true, mainImageEligible: false)

    private static func style(
        _ id: String, _ name: String, _ description: String, _ composition: Composition, parameters: [String],
        background: Bool = false, alpha: Bool = false, requiredText: [TextField] = [], size: (Int, Int)? = nil,
        traits: StyleTraits = additional
    ) -> Style {
        Style(id: id, name: name, description: description, parameters: parameters, composition: composition,
              usesBackground: background, requiresAlpha: alpha, requiredText: requiredText,
              defaultSize: size, scenes: SceneCatalog.names(for: composition), traits: traits)
    }

    public static let all: [Style] = [
        style("lifestyle", "Lifestyle Shot", "The product on a table in a room (living room, kitchen, office, bathroom), with window light, depth of field and shadows that follow its shape",
              .lifestyle, parameters: scene),
        style("white_bg", "Clean White Background", "Studio-quality white background: the product cut out and centred on pure white at the platform's fill",
              .whiteBackground, parameters: common + ["background"], background: true, traits: packshot),
        style("mockup", "Product Mockup", "The product on a clean studio surface receding to a horizon, with a soft reflection and contact shadow",
              .mockup, parameters: scene),
        style("infographic", "Infographic", "The product beside feature cards with leader lines; needs text.features, takes text.headline",
              .infographic, parameters: common + ["background", "text"], background: true, requiredText: [.features], traits: graphic),
        style("social_square", "Social Media (1:1)", "Square post for Instagram and Facebook: gradient backdrop, optional headline and badge",
              .socialSquare, parameters: common + ["background", "text", "seed"], background: true, size: (1440, 1440), traits: graphic),
        style("social_story", "Social Media (9:16)", "Vertical story or reel: text kept out of the top 14% and bottom 20% the apps cover",
              .socialStory, parameters: common + ["background", "text", "seed"], background: true, size: (1080, 1920), traits: graphic),
        style("hero_banner", "Hero Banner", "Wide storefront banner: headline and subheadline on the left, the product on the right; needs text.headline",
              .heroBanner, parameters: common + ["background", "text", "seed"], background: true, requiredText: [.headline], size: (2400, 900), traits: graphic),
        style("comparison", "Before/After", "The original photo beside the processed one (white_bg unless compare_style says otherwise), labelled",
              .comparison, parameters: common + ["compare_style"], size: (2000, 1100)),
        style("transparent", "Transparent Cutout", "The product cut out on a transparent background (PNG or WebP with alpha)",
              .transparent, parameters: common, alpha: true, traits: packshot),
        style("drop_shadow", "Drop Shadow", "The product on a plain background with a soft drop shadow beneath it",
              .dropShadow, parameters: common + ["background"], background: true, traits: packshot),
        style("reflection", "Glossy Reflection", "The product standing on a glossy white floor that mirrors it",
              .reflection, parameters: common, traits: packshot),
        style("gradient", "Gradient Backdrop", "A two-tone studio gradient (from background, or chosen by seed) with a contact shadow",
              .gradient, parameters: common + ["background", "seed"], background: true, traits: packshot),
        style("pastel", "Pastel", "A soft pastel backdrop with a gentle light pool and shadow",
              .pastel, parameters: common + ["background", "seed"], background: true, traits: packshot),
        style("dark_luxury", "Dark Luxury", "A near-black backdrop with a warm glow, a faint reflection and a vignette",
              .darkLuxury, parameters: common + ["seed"]),
        style("marble", "Marble Surface", "The product on white or black marble receding in perspective",
              .marble, parameters: scene),
        style("wooden_table", "Wooden Table", "The product on an oak or walnut table, the wall behind out of focus",
              .woodenTable, parameters: scene),
        style("podium", "Podium", "The product on a round display podium against a soft backdrop",
              .podium, parameters: common + ["background", "seed"], background: true),
        style("flat_lay", "Flat Lay", "Top-down on linen, wood, concrete or marble, with a close drop shadow",
              .flatLay, parameters: common + ["seed"]),
        style("outdoor", "Outdoor", "The product outdoors, on a garden path or a terrace, under an open sky",
              .outdoor, parameters: scene),
        style("sale_badge", "Sale Badge", "The product with a round sale badge; needs text.badge, takes text.headline",
              .saleBadge, parameters: common + ["background", "text", "seed"], background: true, requiredText: [.badge], traits: graphic),
        style("color_variants", "Colour Variants", "The product recoloured into each of the given colours, side by side; needs colors",
              .colorVariants, parameters: common + ["background", "colors"], background: true, size: (2400, 1200)),
        style("dimensions", "Dimensions", "The product with measurement arrows; needs text.width_label or text.height_label",
              .dimensions, parameters: common + ["text"], requiredText: [.widthLabel, .heightLabel], traits: graphic),
    ]

    public static func style(id: String) -> Style? { all.first { $0.id == id } }
}
