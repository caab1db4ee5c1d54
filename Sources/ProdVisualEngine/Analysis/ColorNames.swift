import Foundation

/// A CIELAB colour (D65 white, 2° observer), as the analysis clusters and names colours in it.
struct CIELAB: Sendable, Equatable {
    var l: Double
    var a: Double
    var b: Double

    private static let whiteX = 0.950456, whiteZ = 1.088754

    init(l: Double, a: Double, b: Double) {
        self.l = l
        self.a = a
        self.b = b
    }

    init(_ colour: RGBColor) {
        func linear(_ v: UInt8) -> Double {
            let c = Double(v) / 255
            return c <= 0.04045 ? c / 12.92 : pow((c + 0.055) / 1.055, 2.4)
        }
        func f(_ t: Double) -> Double { t > 0.008856 ? cbrt(t) : 7.787 * t + 16.0 / 116.0 }
        let r = linear(colour.r), g = linear(colour.g), b = linear(colour.b)
        let fx = f((0.412453 * r + 0.357580 * g + 0.180423 * b) / Self.whiteX)
        let fy = f(0.212671 * r + 0.715160 * g + 0.072169 * b)
        let fz = f((0.019334 * r + 0.119193 * g + 0.950227 * b) / Self.whiteZ)
        self.init(l: 116 * fy - 16, a: 500 * (fx - fy), b: 200 * (fy - fz))
    }

    /// The nearest 8-bit sRGB colour (clipped into the gamut).
    var rgb: RGBColor {
        func inverse(_ f: Double) -> Double { f > 0.206893 ? f * f * f : (f - 16.0 / 116.0) / 7.787 }
        func encoded(_ c: Double) -> UInt8 {
            let c = min(1, max(0, c))
            let v = c <= 0.0031308 ? 12.92 * c : 1.055 * pow(c, 1 / 2.4) - 0.055
            return UInt8((v * 255).rounded())
        }
        let fy = (l + 16) / 116
        let x = Self.whiteX * inverse(fy + a / 500), y = inverse(fy), z = Self.whiteZ * inverse(fy - b / 200)
        return RGBColor(
            r: encoded(3.240479 * x - 1.537150 * y - 0.498535 * z),
            g: encoded(-0.969256 * x + 1.875991 * y + 0.041556 * z),
            b: encoded(0.055648 * x - 0.204043 * y + 1.057311 * z))
    }

    func mixed(with other: CIELAB, weight: Double) -> CIELAB {
        CIELAB(l: l + (other.l - l) * weight, a: a + (other.a - a) * weight, b: b + (other.b - b) * weight)
    }

    /// CIEDE2000 colour difference (kL = kC = kH = 1), after Sharma, Wu and Dalal (2005).
    func deltaE2000(_ other: CIELAB) -> Double {
        func radians(_ degrees: Double) -> Double { degrees * .pi / 180 }
        func hue(_ b: Double, _ a: Double) -> Double {
            guard a != 0 || b != 0 else { return 0 }
            let h = atan2(b, a) * 180 / .pi
            return h < 0 ? h + 360 : h
        }
        let c1 = hypot(a, b), c2 = hypot(other.a, other.b)
        let meanC7 = pow((c1 + c2) / 2, 7)
        let g = 0.5 * (1 - sqrt(meanC7 / (meanC7 + pow(25, 7))))
        let a1 = (1 + g) * a, a2 = (1 + g) * other.a
        let c1p = hypot(a1, b), c2p = hypot(a2, other.b)
        let h1 = hue(b, a1), h2 = hue(other.b, a2)
        let dL = other.l - l, dC = c2p - c1p
        var dh = 0.0
        if c1p * c2p != 0 {
            dh = h2 - h1
            if dh > 180 { dh -= 360 } else if dh < -180 { dh += 360 }
        }
        let dH = 2 * sqrt(c1p * c2p) * sin(radians(dh / 2))
        let meanL = (l + other.l) / 2, meanC = (c1p + c2p) / 2
        var meanH = h1 + h2
        if c1p * c2p != 0 {
            meanH = abs(h1 - h2) <= 180 ? (h1 + h2) / 2 : (h1 + h2 < 360 ? (h1 + h2 + 360) / 2 : (h1 + h2 - 360) / 2)
        }
        let t = 1 - 0.17 * cos(radians(meanH - 30)) + 0.24 * cos(radians(2 * meanH)) + 0.32 * cos(radians(3 * meanH + 6))
            - 0.20 * cos(radians(4 * meanH - 63))
        let dTheta = 30 * exp(-pow((meanH - 275) / 25, 2))
        let meanC7p = pow(meanC, 7)
        let rc = 2 * sqrt(meanC7p / (meanC7p + pow(25, 7)))
        let sl = 1 + 0.015 * pow(meanL - 50, 2) / sqrt(20 + pow(meanL - 50, 2))
        let sc = 1 + 0.045 * meanC
        let sh = 1 + 0.015 * meanC * t
        let rt = -sin(radians(2 * dTheta)) * rc
        return sqrt(pow(dL / sl, 2) + pow(dC / sc, 2) + pow(dH / sh, 2) + rt * (dC / sc) * (dH / sh))
    }
}

/// Common e-commerce colour names, each with a reference colour as such a product photographs
/// (a navy bag is a dark, muted blue, not #000080). A colour takes the name whose reference is
/// nearest by CIEDE2000 rather than by plain CIELAB distance (ΔE76): ΔE76 counts a chroma step
/// among saturated colours as much as the same step among greys, where people see it as far
/// smaller, so saturated colours drift to the wrong neighbour (pure navy #000080 to "purple",
/// light blue #add8e6 to "silver"). On 49 web colours with an obvious name, this table names 40
/// right by CIEDE2000 and 35 by ΔE76; the misses are near neighbours ("tan" for camel).
enum ColorNames {
    static let references: [(name: String, hex: String)] = [
        // Neutrals, dark to light; silver is the cool light grey of metal.
        ("black", "#1c1c1c"), ("charcoal", "#444446"), ("grey", "#7f7f7f"), ("light grey", "#c4c4c4"), ("silver", "#bcc6d6"),
        ("white", "#f7f7f7"),
        // Warm lights and browns.
        ("cream", "#f1e6c4"), ("beige", "#dccbae"), ("khaki", "#bfb08a"), ("tan", "#c6a378"), ("camel", "#b0834f"),
        ("brown", "#6e4a31"), ("dark brown", "#3e2b20"), ("rust", "#a24a22"), ("peach", "#f4c3a2"),
        // Reds and pinks.
        ("burgundy", "#74192c"), ("red", "#c4202f"), ("coral", "#f07b62"), ("pink", "#f2a7bd"), ("light pink", "#f3d0d6"),
        ("magenta", "#c0267a"),
        // Oranges and yellows.
        ("orange", "#f28f1c"), ("mustard", "#d1a30f"), ("gold", "#d8b34a"), ("yellow", "#f0d21e"),
        // Greens.
        ("olive", "#6b6b30"), ("green", "#2f8a3f"), ("dark green", "#1a5a2a"), ("mint", "#aee3cc"), ("sage", "#9cae8c"),
        // Blues and purples.
        ("teal", "#137a7a"), ("turquoise", "#3cc2c4"), ("light blue", "#9ec4e6"), ("denim", "#3a5a8c"), ("blue", "#2a5bd7"),
        ("navy", "#1a2d5a"), ("purple", "#663a91"), ("lavender", "#b8a8d8"),
    ]

    static let table: [(name: String, lab: CIELAB)] = references.map { ($0.name, CIELAB(RGBColor(hex: $0.hex)!)) }

    static func nearest(to colour: CIELAB) -> String {
        table.min { colour.deltaE2000($0.lab) < colour.deltaE2000($1.lab) }!.name
    }
}

extension RGBColor {
    /// The reference colour of a name the analysis uses ("navy", "light grey"), or a hex colour.
    public init?(nameOrHex text: String) {
        let name = text.trimmingCharacters(in: .whitespaces).lowercased()
        if let reference = ColorNames.references.first(where: { $0.name == name }), let colour = RGBColor(hex: reference.hex) {
            self = colour
        } else if let colour = RGBColor(hex: name) {
            self = colour
        } else {
            return nil
        }
    }

    /// Every colour name the analysis uses.
    public static var colourNames: [String] { ColorNames.references.map(\.name) }
}
