import Foundation

@testable import ProdVisualEngine

/// Small synthetic photos with known answers, drawn pixel by pixel.
struct Synthetic {
    let width: Int
    let height: Int
    var pixels: [UInt8]
    /// 255 where the product is: the ground truth.
    var truth: [UInt8]

    init(width: Int, height: Int, background: (Int, Int) -> (Double, Double, Double)) {
        self.width = width
        self.height = height
        pixels = [UInt8](repeating: 0, count: width * height * 3)
        truth = [UInt8](repeating: 0, count: width * height)
        for y in 0..<height {
            for x in 0..<width { set(x, y, background(x, y)) }
        }
    }

    mutating func set(_ x: Int, _ y: Int, _ colour: (Double, Double, Double)) {
        let offset = (y * width + x) * 3
        pixels[offset] = UInt8(max(0, min(255, colour.0.rounded())))
        pixels[offset + 1] = UInt8(max(0, min(255, colour.1.rounded())))
        pixels[offset + 2] = UInt8(max(0, min(255, colour.2.rounded())))
    }

    func get(_ x: Int, _ y: Int) -> (Double, Double, Double) {
        let offset = (y * width + x) * 3
        return (Double(pixels[offset]), Double(pixels[offset + 1]), Double(pixels[offset + 2]))
    }

    /// Paints the product wherever `inside` holds, with a little texture so it looks photographed.
    mutating func paint(_ colour: (Double, Double, Double), where inside: (Int, Int) -> Bool) {
        for y in 0..<height {
            for x in 0..<width where inside(x, y) {
                let grain = Double((x * 7 + y * 13) % 5) - 2
                set(x, y, (colour.0 + grain, colour.1 + grain, colour.2 + grain))
                truth[y * width + x] = 255
            }
        }
    }

    /// Darkens the backdrop like a soft cast shadow: strongest at `centre`, fading over `radius`.
    mutating func shadow(centre: (Double, Double), radius: (Double, Double), depth: Double) {
        for y in 0..<height {
            for x in 0..<width where truth[y * width + x] == 0 {
                let dx = (Double(x) - centre.0) / radius.0, dy = (Double(y) - centre.1) / radius.1
                let reach = max(0, 1 - (dx * dx + dy * dy))
                let factor = 1 - depth * reach * reach
                let c = get(x, y)
                set(x, y, (c.0 * factor, c.1 * factor, c.2 * factor))
            }
        }
    }

    func encoded(_ format: ImageFormat = .png) throws -> [UInt8] {
        try Vips.encode(Raster(width: width, height: height, bands: 3, pixels: pixels), as: format, quality: 95)
    }
}

/// IoU of (alpha ≥ 128) against the truth, and the mean absolute alpha error.
func score(_ cutout: PixelImage, against truth: [UInt8]) -> (iou: Double, mae: Double) {
    var intersection = 0, union = 0, error = 0.0
    for index in 0..<truth.count {
        let alpha = Int(cutout.data[index * cutout.bands + cutout.bands - 1])
        let product = alpha >= 128, expected = truth[index] >= 128
        if product && expected { intersection += 1 }
        if product || expected { union += 1 }
        error += abs(Double(alpha - Int(truth[index]))) / 255
    }
    return (Double(intersection) / Double(max(1, union)), error / Double(truth.count))
}

/// A JPEG with an EXIF block that says "rotate 90° clockwise to display" (orientation 6).
func withOrientation6(_ jpeg: [UInt8]) -> [UInt8] {
    let tiff: [UInt8] = [
        0x4D, 0x4D, 0x00, 0x2A, 0x00, 0x00, 0x00, 0x08,  // big-endian TIFF, first IFD at 8
        0x00, 0x01,  // one entry
        0x01, 0x12, 0x00, 0x03, 0x00, 0x00, 0x00, 0x01, 0x00, 0x06, 0x00, 0x00,  // Orientation = 6
        0x00, 0x00, 0x00, 0x00,  // no next IFD
    ]
    let payload = Array("Exif".utf8) + [0, 0] + tiff
    let length = payload.count + 2
    let segment: [UInt8] = [0xFF, 0xE1, UInt8(length >> 8), UInt8(length & 0xFF)] + payload
    return Array(jpeg[0..<2]) + segment + Array(jpeg[2...])
}

/// Real bench photos, read in place from the shared folder beside the checkout.
enum Bench {
    static let root = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("../shared/bench").standardizedFileURL

    static func bytes(_ path: String) throws -> [UInt8] {
        Array(try Data(contentsOf: root.appendingPathComponent(path)))
    }
}
