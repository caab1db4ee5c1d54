import COpenCV
import CVips
import Foundation

/// A canvas the styles paint on, back to front: backdrop, surfaces, shadows, the product, text.
/// Each method is one small step through the C facades.
struct Stage {
    var canvas: Raster
    /// Where products cover the canvas (their alpha), as opposed to backdrops, text and badges:
    /// what tells a product's own label from text a style adds.
    private(set) var productCoverage: [UInt8]
    var width: Int { canvas.width }
    var height: Int { canvas.height }

    init(width: Int, height: Int, background: Background = .color(.white)) {
        canvas = Raster(width: width, height: height, background: background)
        productCoverage = [UInt8](repeating: 0, count: width * height)
    }

    /// The canvas with where its products are.
    var composition: Composed { Composed(canvas: canvas, productCoverage: productCoverage, cutoutConfidence: cutoutConfidence) }
    /// The least trusted cutout placed so far.
    private(set) var cutoutConfidence: Double?

    /// Records that `layer` at (x, y) shows product (its alpha), whether or not `place` drew it.
    mutating func markProduct(_ layer: Raster, x: Int, y: Int) throws(ImagingError) {
        let rgba = layer.rgba
        let (w, h) = (Int32(canvas.width), Int32(canvas.height))
        let status = productCoverage.withUnsafeMutableBufferPointer { coverage in
            rgba.pixels.withUnsafeBufferPointer {
                pv_cv_cover(coverage.baseAddress, w, h, $0.baseAddress, Int32(rgba.width), Int32(rgba.height), Int32(x), Int32(y))
            }
        }
        guard status == 0 else { throw .processingFailed("product coverage failed (\(status))") }
    }

    private mutating func paint(_ step: String, _ body: (UnsafeMutablePointer<UInt8>, Int32, Int32, Int32) -> Int32) throws(ImagingError) {
        let (w, h, b) = (Int32(canvas.width), Int32(canvas.height), Int32(canvas.bands))
        let status = canvas.pixels.withUnsafeMutableBufferPointer { body($0.baseAddress!, w, h, b) }
        guard status == 0 else { throw .processingFailed("\(step) failed (\(status))") }
    }

    mutating func linearGradient(_ from: RGBColor, _ to: RGBColor, angle: Double = 90) throws(ImagingError) {
        try paint("gradient") { c, w, h, b in
            withColours(from, to) { pv_cv_fill_gradient(c, w, h, b, $0, $1, 0, 0.5, 0.5, angle) }
        }
    }

    mutating func radialGradient(_ centre: RGBColor, _ edge: RGBColor, at point: (x: Double, y: Double) = (0.5, 0.45)) throws(ImagingError) {
        try paint("gradient") { c, w, h, b in
            withColours(centre, edge) { pv_cv_fill_gradient(c, w, h, b, $0, $1, 1, point.x, point.y, 0) }
        }
    }

    enum Surface: Int32 {
        case marble = 0, wood = 1, linen = 2, concrete = 3
    }

    /// A procedural surface over a region; `squeeze` below 1 makes it recede to a horizon at the
    /// region's top.
    mutating func surface(_ kind: Surface, in region: PixelRect, base: RGBColor, accent: RGBColor, seed: UInt64,
                          squeeze: Double = 1, scale: Double) throws(ImagingError) {
        try paint("surface") { c, w, h, b in
            withColours(base, accent) {
                pv_cv_fill_surface(c, w, h, b, Int32(region.x), Int32(region.y), Int32(region.width), Int32(region.height),
                                   kind.rawValue, $0, $1, seed, squeeze, scale)
            }
        }
    }

    mutating func vignette(strength: Double, centre: (x: Double, y: Double) = (0.5, 0.5)) throws(ImagingError) {
        try paint("vignette") { c, w, h, b in pv_cv_shade(c, w, h, b, Int32(PV_SHADE_VIGNETTE.rawValue), centre.x, centre.y, 0.75, strength) }
    }

    mutating func lightPool(at centre: (x: Double, y: Double), radius: Double, strength: Double) throws(ImagingError) {
        try paint("light") { c, w, h, b in pv_cv_shade(c, w, h, b, Int32(PV_SHADE_LIGHT_POOL.rawValue), centre.x, centre.y, radius, strength) }
    }

    mutating func blur(_ region: PixelRect, sigma: Double) throws(ImagingError) {
        try paint("blur") { c, w, h, b in
            pv_cv_blur_region(c, w, h, b, Int32(region.x), Int32(region.y), Int32(region.width), Int32(region.height), sigma)
        }
    }

    /// Contact and cast shadows of a product standing on its box's bottom edge.
    mutating func groundShadow(of product: Placed, contact: Double, cast: Double = 0, angle: Double = 25, softness: Double = 1) throws(ImagingError) {
        try paint("shadow") { c, w, h, b in
            product.layer.pixels.withUnsafeBufferPointer {
                pv_cv_shadow(c, w, h, b, $0.baseAddress, Int32(product.layer.width), Int32(product.layer.height),
                             Int32(product.x), Int32(product.y), Int32(product.baseY), contact, cast, angle, softness)
            }
        }
    }

    mutating func dropShadow(of product: Placed, offset: (x: Double, y: Double), blur: Double, strength: Double) throws(ImagingError) {
        try paint("drop shadow") { c, w, h, b in
            product.layer.pixels.withUnsafeBufferPointer {
                pv_cv_drop_shadow(c, w, h, b, $0.baseAddress, Int32(product.layer.width), Int32(product.layer.height),
                                  Int32(product.x), Int32(product.y), offset.x, offset.y, blur, strength)
            }
        }
    }

    mutating func reflection(of product: Placed, opacity: Double, fade: Double = 0.45) throws(ImagingError) {
        // The mirror starts at the product's base, from the layer row that holds the base.
        let rowsBelowBase = product.layer.height - (product.baseY - product.y)
        var layer = product.layer
        if rowsBelowBase > 0 {
            layer = Raster(width: layer.width, height: layer.height - rowsBelowBase, bands: 4,
                           pixels: Array(layer.pixels.prefix(layer.width * (layer.height - rowsBelowBase) * 4)))
        }
        try paint("reflection") { c, w, h, b in
            layer.pixels.withUnsafeBufferPointer {
                pv_cv_reflection(c, w, h, b, $0.baseAddress, Int32(layer.width), Int32(layer.height),
                                 Int32(product.x), Int32(product.baseY), opacity, fade)
            }
        }
    }

    mutating func place(_ product: Placed) throws(ImagingError) {
        try Vision.composite(product.layer, onto: &canvas, x: product.x, y: product.y)
        try markProduct(product.layer, x: product.x, y: product.y)
        cutoutConfidence = min(cutoutConfidence ?? 1, product.confidence)
    }

    enum Shape: Int32 {
        case roundedRect = 0, ellipse = 1, line = 2, arrow = 3
    }

    mutating func draw(_ shape: Shape, from start: (x: Double, y: Double), to end: (x: Double, y: Double), size: Double = 0,
                       colour: RGBColor, opacity: Double = 1) throws(ImagingError) {
        try paint("draw") { c, w, h, b in
            withColours(colour, colour) { rgb, _ in
                pv_cv_draw(c, w, h, b, shape.rawValue, start.x, start.y, end.x, end.y, size, rgb, opacity)
            }
        }
    }

    /// Text fitted into a box (wrapped, as large as fits, never overflowing), aligned within it;
    /// returns the rectangle the text actually covers.
    @discardableResult
    mutating func text(_ string: String, in box: PixelRect, font: Typeface, colour: RGBColor,
                       align: TextAlignment = .leading, vertical: VerticalAlignment = .centre) throws(ImagingError) -> PixelRect {
        let mask = try Vips.fittedText(string, font: font.pango, width: box.width, height: box.height, align: align)
        let x = switch align {
        case .leading: box.x
        case .centre: box.x + (box.width - mask.width) / 2
        case .trailing: box.x + box.width - mask.width
        }
        let y = switch vertical {
        case .top: box.y
        case .centre: box.y + (box.height - mask.height) / 2
        case .bottom: box.y + box.height - mask.height
        }
        try paint("text") { c, w, h, b in
            mask.pixels.withUnsafeBufferPointer { pixels in
                withColours(colour, colour) { rgb, _ in
                    pv_cv_blend_mask(c, w, h, b, pixels.baseAddress, Int32(mask.width), Int32(mask.height), Int32(x), Int32(y), rgb, 1)
                }
            }
        }
        return PixelRect(x: x, y: y, width: mask.width, height: mask.height)
    }

    /// Mean colour of a region: text picks its colour against what it sits on.
    func meanColour(_ region: PixelRect) -> RGBColor {
        var sums = (0, 0, 0)
        var count = 0
        let bands = canvas.bands
        for y in stride(from: max(0, region.y), to: min(height, region.y + region.height), by: 2) {
            for x in stride(from: max(0, region.x), to: min(width, region.x + region.width), by: 2) {
                let offset = (y * width + x) * bands
                sums.0 += Int(canvas.pixels[offset])
                sums.1 += Int(canvas.pixels[offset + 1])
                sums.2 += Int(canvas.pixels[offset + 2])
                count += 1
            }
        }
        guard count > 0 else { return .white }
        return RGBColor(r: UInt8(sums.0 / count), g: UInt8(sums.1 / count), b: UInt8(sums.2 / count))
    }
}

/// A product layer placed on a stage: its top-left corner and the line it stands on.
/// A finished canvas and where its products are (see `Stage.productCoverage`).
struct Composed {
    var canvas: Raster
    var productCoverage: [UInt8]
    /// The least trusted cutout among the products placed; nil where none was cut out.
    var cutoutConfidence: Double?
}

struct Placed {
    var layer: Raster
    var x: Int
    var y: Int
    /// The product's bounding box on the canvas.
    var box: PixelRect
    /// How far its cutout can be trusted.
    var confidence: Double
    var baseY: Int { box.y + box.height }
}

enum TextAlignment: Int32 {
    case leading = 0, centre = 1, trailing = 2
}

enum VerticalAlignment {
    case top, centre, bottom
}

/// The typefaces the styles use: Lato (fonts-lato), an open sans-serif made for display and
/// reading alike.
enum Typeface {
    case heavy, bold, regular

    var pango: String {
        switch self {
        // One size each, scaled to fit afterwards: see pv_vips_text_fit.
        case .heavy: "Lato Heavy 64"
        case .bold: "Lato Bold 64"
        case .regular: "Lato 64"
        }
    }
}

extension RGBColor {
    static let ink = RGBColor(r: 28, g: 30, b: 34)

    /// Relative luminance (WCAG), 0 black to 1 white.
    var luminance: Double {
        func linear(_ value: UInt8) -> Double {
            let c = Double(value) / 255
            return c <= 0.03928 ? c / 12.92 : pow((c + 0.055) / 1.055, 2.4)
        }
        return 0.2126 * linear(r) + 0.7152 * linear(g) + 0.0722 * linear(b)
    }

    /// WCAG contrast ratio between two colours, 1 to 21.
    func contrast(with other: RGBColor) -> Double {
        let (a, b) = (luminance, other.luminance)
        return (max(a, b) + 0.05) / (min(a, b) + 0.05)
    }

    /// Dark ink on light backdrops, white on dark ones: whichever contrasts more.
    var readableInk: RGBColor { contrast(with: .ink) >= contrast(with: .white) ? .ink : .white }

    func mixed(with other: RGBColor, _ amount: Double) -> RGBColor {
        func mix(_ a: UInt8, _ b: UInt8) -> UInt8 { UInt8(max(0, min(255, (Double(a) * (1 - amount) + Double(b) * amount).rounded()))) }
        return RGBColor(r: mix(r, other.r), g: mix(g, other.g), b: mix(b, other.b))
    }
}

private func withColours<T>(_ a: RGBColor, _ b: RGBColor, _ body: (UnsafePointer<UInt8>, UnsafePointer<UInt8>) -> T) -> T {
    let first = [a.r, a.g, a.b], second = [b.r, b.g, b.b]
    return first.withUnsafeBufferPointer { x in second.withUnsafeBufferPointer { y in body(x.baseAddress!, y.baseAddress!) } }
}
