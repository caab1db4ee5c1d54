/// What an encoded output really is, read back from its bytes: the facts a marketplace's image
/// rules are judged on.
///
/// Definitions:
/// - **Backdrop**: for an output with transparent pixels, transparency; otherwise the dominant
///   colour of the border ring (quantised to 16 levels a channel, then averaged within the winning bin).
/// - **Content**: pixels with alpha > 8 (transparent outputs), or pixels that differ from the
///   backdrop colour by more than `contentThreshold` in any channel (opaque outputs).
/// - **Border ring**: the outermost `max(1, shorter side / 50)` pixels on every side.
/// - **Background**: every pixel outside the content's bounding box, plus the border ring even
///   where the content reaches it, so a full-frame scene is judged on its edges instead of on nothing.
public struct OutputMeasurement: Sendable, Equatable {
    public let width: Int
    public let height: Int
    public let format: ImageFormat
    public let fileBytes: Int
    /// The file carries an alpha channel.
    public let hasAlpha: Bool
    /// Share (0...1) of background pixels that are opaque and pure white: every channel ≥ 254,
    /// which admits JPEG's rounding of 255. Transparent pixels are not white.
    public let pureWhiteBackgroundShare: Double
    /// Bounding box of the content; nil when nothing stands out from the backdrop.
    public let contentBox: PixelRect?
    /// How much of the frame the content spans along its tighter side:
    /// max(box width / width, box height / height); 0 without content.
    public let productFill: Double
    /// Text found outside the products by the text model (`RenderedImage.addedText`); nil when
    /// it was not looked for or the model is not installed.
    public var addedText: [TextRegion]?

    public init(
        width: Int, height: Int, format: ImageFormat, fileBytes: Int, hasAlpha: Bool,
        pureWhiteBackgroundShare: Double, contentBox: PixelRect?, productFill: Double
    ) {
        self.width = width
        self.height = height
        self.format = format
        self.fileBytes = fileBytes
        self.hasAlpha = hasAlpha
        self.pureWhiteBackgroundShare = pureWhiteBackgroundShare
        self.contentBox = contentBox
        self.productFill = productFill
    }

    /// Above JPEG's noise on a flat backdrop at ordinary qualities, below any visible product edge.
    static let contentThreshold = 16
    /// Alpha at or below this is background: the faint fringe of a soft edge is not product.
    static let contentAlpha: UInt8 = 8
    /// 254 counts as white: JPEG rounds a flat 255 down by one now and then.
    static let whiteFloor: UInt8 = 254

    static func ringWidth(width: Int, height: Int) -> Int { max(1, min(width, height) / 50) }
}

extension ImageEngine {
    /// Decodes `output` and measures it (see `OutputMeasurement` for the definitions).
    public func measure(output: [UInt8]) throws(ImagingError) -> OutputMeasurement {
        guard let format = FormatSniffer.sniff(output) else { throw .unsupportedFormat }
        let image = try decodePixels(output)
        let (box, whiteShare) = image.data.withUnsafeBufferPointer { pixels in
            let scan = OutputScan(image: image, pixels: pixels)
            let box = scan.contentBox()
            return (box, scan.pureWhiteShare(outside: box))
        }
        let fill = box.map { max(Double($0.width) / Double(image.width), Double($0.height) / Double(image.height)) } ?? 0
        return OutputMeasurement(
            width: image.width, height: image.height, format: format, fileBytes: output.count,
            hasAlpha: image.bands == 4, pureWhiteBackgroundShare: whiteShare, contentBox: box, productFill: fill)
    }
}

/// Scans decoded pixels through a raw buffer: per-pixel array access would make a 2000² scan
/// take seconds in debug builds.
private struct OutputScan {
    let width: Int
    let height: Int
    let bands: Int
    let pixels: UnsafeBufferPointer<UInt8>
    let ring: Int

    init(image: PixelImage, pixels: UnsafeBufferPointer<UInt8>) {
        width = image.width
        height = image.height
        bands = image.bands
        self.pixels = pixels
        ring = OutputMeasurement.ringWidth(width: image.width, height: image.height)
    }

    /// Column ranges of row `y` that lie in the border ring, or the whole row in the top and bottom bands.
    func ringSpans(row y: Int) -> [Range<Int>] {
        if y < ring || y >= height - ring { return [0..<width] }
        return [0..<min(ring, width), max(ring, width - ring)..<width]
    }

    /// Judged by alpha when some pixel is see-through: an alpha channel that is opaque everywhere says nothing.
    var isTransparent: Bool {
        guard bands == 4 else { return false }
        return stride(from: 3, to: pixels.count, by: 4).contains { pixels[$0] < 255 }
    }

    func contentBox() -> PixelRect? {
        let transparent = isTransparent
        let backdrop = transparent ? (0, 0, 0) : dominantRingColour()
        let threshold = OutputMeasurement.contentThreshold
        var minX = width, minY = height, maxX = -1, maxY = -1
        for y in 0..<height {
            var offset = y * width * bands
            for x in 0..<width {
                let isContent =
                    transparent
                    ? pixels[offset + 3] > OutputMeasurement.contentAlpha
                    : abs(Int(pixels[offset]) - backdrop.0) > threshold || abs(Int(pixels[offset + 1]) - backdrop.1) > threshold
                        || abs(Int(pixels[offset + 2]) - backdrop.2) > threshold
                if isContent {
                    minX = min(minX, x)
                    maxX = max(maxX, x)
                    minY = min(minY, y)
                    maxY = y
                }
                offset += bands
            }
        }
        guard maxX >= 0 else { return nil }
        return PixelRect(x: minX, y: minY, width: maxX - minX + 1, height: maxY - minY + 1)
    }

    /// The ring's most common colour at 16 levels a channel, refined to the mean of that bin.
    func dominantRingColour() -> (Int, Int, Int) {
        var counts = [Int](repeating: 0, count: 4096)
        var sums = [Int](repeating: 0, count: 4096 * 3)
        for y in 0..<height {
            for span in ringSpans(row: y) {
                for x in span {
                    let offset = (y * width + x) * bands
                    let (r, g, b) = (Int(pixels[offset]), Int(pixels[offset + 1]), Int(pixels[offset + 2]))
                    let bin = (r >> 4) << 8 | (g >> 4) << 4 | b >> 4
                    counts[bin] += 1
                    sums[bin * 3] += r
                    sums[bin * 3 + 1] += g
                    sums[bin * 3 + 2] += b
                }
            }
        }
        let top = counts.indices.max { counts[$0] < counts[$1] } ?? 0
        let count = max(1, counts[top])
        let mean = { (channel: Int) in (sums[top * 3 + channel] + count / 2) / count }
        return (mean(0), mean(1), mean(2))
    }

    func pureWhiteShare(outside box: PixelRect?) -> Double {
        let floor = OutputMeasurement.whiteFloor
        var white = 0, total = 0
        for y in 0..<height {
            // Background columns of this row: the whole row above, below or beside the box,
            // else the ring and whatever lies left and right of the box.
            let spans: [Range<Int>]
            if let box, y >= box.y, y < box.y + box.height, y >= ring, y < height - ring {
                let left = 0..<max(ring, box.x)
                spans = [left, max(left.upperBound, min(width - ring, box.x + box.width))..<width]
            } else {
                spans = [0..<width]
            }
            for span in spans {
                total += span.count
                for x in span {
                    let offset = (y * width + x) * bands
                    if pixels[offset] >= floor, pixels[offset + 1] >= floor, pixels[offset + 2] >= floor,
                        bands == 3 || pixels[offset + 3] >= floor
                    {
                        white += 1
                    }
                }
            }
        }
        return total == 0 ? 0 : Double(white) / Double(total)
    }
}
