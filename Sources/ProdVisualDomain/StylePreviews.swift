import Foundation
import ProdVisualEngine

extension GenerationRequest {
    /// Sample words and colours for the styles that cannot render without them: what a contact
    /// sheet and the console's style previews show.
    public mutating func fillSampleContent(for style: Style) {
        guard style.parameters.contains("text") || style.id == "color_variants" else { return }
        switch style.id {
        case "infographic":
            text = [.headline: .string("Built for every day"),
                    .features: .list(["Water-resistant fabric", "Padded laptop sleeve", "Lifetime warranty", "Fits carry-on limits"])]
        case "hero_banner":
            text = [.headline: .string("The new collection"), .subheadline: .string("Designed to last. Free shipping this week.")]
        case "sale_badge":
            text = [.badge: .string("-30%"), .headline: .string("Summer sale")]
        case "dimensions":
            text = [.widthLabel: .string("45 cm"), .heightLabel: .string("30 cm")]
        case "social_square", "social_story":
            text = [.headline: .string("New in"), .subheadline: .string("Shop the look today"), .badge: .string("NEW")]
        case "color_variants":
            colors = ["#1f3a93", "#c0392b", "#27ae60", "#f1c40f"]
        default:
            break
        }
    }
}

/// A small render of every style, for the console's style picker. The photo they are rendered
/// from is drawn here, a teal bottle on a light backdrop: no customer's upload (one account's
/// photo must never show in another's console) and no bench photo (those stay out of the
/// repository). Each style is rendered once per process, on its first request.
public actor StylePreviews {
    /// The long side of a preview, in pixels.
    public static let longSide = 360

    private let engine: ImageEngine
    private let pool: WorkPool
    private var renders: [String: Task<[UInt8], any Error>] = [:]
    private var photo: Task<[UInt8], any Error>?

    public init(generations: GenerationService) {
        engine = generations.engine
        pool = generations.pool
    }

    /// The style's preview as JPEG; nil for an unknown style. Concurrent first requests share
    /// one render; a failed render is tried again at the next request.
    public func jpeg(style id: String) async throws -> [UInt8]? {
        guard let style = StyleCatalog.style(id: id) else { return nil }
        if let running = renders[id] { return try await running.value }
        let task = Task { [engine, pool] in
            let source = try await self.samplePhoto()
            return try await pool.run { try Self.render(style, from: source, engine: engine) }
        }
        renders[id] = task
        do {
            return try await task.value
        } catch {
            renders[id] = nil
            throw error
        }
    }

    private func samplePhoto() async throws -> [UInt8] {
        if let photo { return try await photo.value }
        let task = Task { [engine, pool] in try await pool.run { try engine.encode(Self.drawBottle(), as: .png) } }
        photo = task
        return try await task.value
    }

    static func render(_ style: Style, from source: [UInt8], engine: ImageEngine) throws -> [UInt8] {
        var request = GenerationRequest(source: .bytes(source), style: style.id, platform: "generic")
        request.fillSampleContent(for: style)
        let plan = try GenerationPlan(validating: request)
        let scale = min(1, Double(longSide) / Double(max(plan.width, plan.height)))
        var spec = plan.renderSpec(watermark: nil)
        spec.width = max(50, Int(Double(plan.width) * scale))
        spec.height = max(50, Int(Double(plan.height) * scale))
        spec.seed = 7
        guard plan.style.requiresAlpha else {
            spec.format = .jpeg
            spec.quality = 82
            return try engine.render(source: source, spec: spec).bytes
        }
        // A transparent result is shown on a checkerboard, as image editors show transparency.
        spec.format = .png
        let cutout = try engine.decodePixels(try engine.render(source: source, spec: spec).bytes)
        return try engine.encode(checkerboarded(cutout), as: .jpeg, quality: 82)
    }

    static func checkerboarded(_ image: PixelImage) -> PixelImage {
        var rgb = [UInt8](repeating: 0, count: image.width * image.height * 3)
        for y in 0..<image.height {
            for x in 0..<image.width {
                let square: Double = ((x / 12) + (y / 12)) % 2 == 0 ? 255 : 226
                let alpha = Double(image.alpha(x: x, y: y)) / 255
                let pixel = image.rgb(x: x, y: y)
                for band in 0..<3 {
                    rgb[(y * image.width + x) * 3 + band] = UInt8((Double(pixel[band]) * alpha + square * (1 - alpha)).rounded())
                }
            }
        }
        return PixelImage(width: image.width, height: image.height, bands: 3, data: rgb)
    }

    /// An 800×800 product photo: a teal bottle with a cream label and a dark cap, lit from the
    /// left, standing on a light backdrop with a soft contact shadow.
    static func drawBottle(size: Int = 800) -> PixelImage {
        let s = Double(size) / 800
        let centre = 400 * s
        /// The bottle's half-width at a row; 0 outside it.
        func halfWidth(_ y: Double) -> Double {
            let y = y / s
            let width: Double = switch y {
            case 150..<200: 44
            case 200..<250: 34
            case 250..<330:
                { t in 34 + 76 * t * t * (3 - 2 * t) }((y - 250) / 80)
            case 330..<660: 110
            case 660..<690: 110 * (1 - pow((y - 660) / 30, 2)).squareRoot()
            default: 0
            }
            return width * s
        }
        var pixels = [UInt8](repeating: 0, count: size * size * 3)
        for row in 0..<size {
            let y = Double(row) + 0.5
            let half = halfWidth(y)
            let unscaledY = y / s
            let base: (Double, Double, Double) = switch unscaledY {
            case ..<200: (38, 40, 46)
            case 430..<560 where !(486..<500).contains(unscaledY): (241, 233, 212)
            case 486..<500: (16, 84, 92)
            default: (22, 128, 138)
            }
            for column in 0..<size {
                let x = Double(column) + 0.5
                // The backdrop: a faint vertical falloff and the contact shadow under the base.
                var background = 247 - 10 * (y / Double(size))
                let dx = (x - centre) / (150 * s), dy = (y - 690 * s) / (16 * s)
                background *= 1 - 0.28 * exp(-2 * (dx * dx + dy * dy))
                var colour = (background, background, background - 2)
                let coverage = max(0, min(1, half - abs(x - centre) + 0.5))
                if coverage > 0 {
                    // A cylinder: darker towards its sides, a highlight a little left of centre.
                    let t = max(-1, min(1, (x - centre) / max(half, 1)))
                    let shade = 0.5 + 0.5 * (1 - t * t).squareRoot()
                    let highlight = 0.45 * exp(-pow((t + 0.45) / 0.13, 2))
                    let lit = (
                        min(255, base.0 * shade + 255 * highlight), min(255, base.1 * shade + 255 * highlight),
                        min(255, base.2 * shade + 255 * highlight))
                    colour = (
                        lit.0 * coverage + colour.0 * (1 - coverage), lit.1 * coverage + colour.1 * (1 - coverage),
                        lit.2 * coverage + colour.2 * (1 - coverage))
                }
                let offset = (row * size + column) * 3
                pixels[offset] = UInt8(max(0, min(255, colour.0.rounded())))
                pixels[offset + 1] = UInt8(max(0, min(255, colour.1.rounded())))
                pixels[offset + 2] = UInt8(max(0, min(255, colour.2.rounded())))
            }
        }
        return PixelImage(width: size, height: size, bands: 3, data: pixels)
    }
}
