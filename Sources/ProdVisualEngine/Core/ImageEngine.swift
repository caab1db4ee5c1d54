import COpenCV

/// Decodes product photos, cuts the product out and composes marketplace images.
///
/// Every method is synchronous and CPU-bound: callers run it on a bounded pool of threads.
/// The pipeline is a list of small steps: sniff → header check → decode small (shrink-on-load)
/// → segment → decode at the output's scale → refine the edge → compose → encode.
public final class ImageEngine: Sendable {
    let limits: DecodeLimits
    /// The learned models; each task without one runs on the classical path.
    let models: ModelSet


    /// - Parameter models: the learned models (`ModelSet.load(directory:)`); `.none` runs the
    ///   classical vision path alone.
    public init(limits: DecodeLimits = .default, models: ModelSet = .none) throws {
        try Vips.start()
        self.limits = limits
        self.models = models
    }

    public func imageInfo(source: [UInt8]) throws(ImagingError) -> (format: ImageFormat, width: Int, height: Int) {
        let (format, header) = try inspect(source)
        return (format, header.width, header.height)
    }

    /// Every pixel, oriented and in 8-bit sRGB.
    public func decodePixels(_ bytes: [UInt8]) throws(ImagingError) -> PixelImage {
        let (_, header) = try inspect(bytes)
        let raster = try Vips.decode(bytes, fittingIn: header.width, header.height)
        return PixelImage(width: raster.width, height: raster.height, bands: raster.bands, data: raster.pixels)
    }

    /// Encodes pixels made in memory (a synthesised sample photo), metadata-free like every output.
    public func encode(_ image: PixelImage, as format: ImageFormat, quality: Int = 90) throws(ImagingError) -> [UInt8] {
        try Vips.encode(Raster(width: image.width, height: image.height, bands: image.bands, pixels: image.data), as: format, quality: quality)
    }

    public func render(source: [UInt8], spec: RenderSpec) throws(ImagingError) -> RenderedImage {
        try validate(spec)
        let (_, header) = try inspect(source)
        let composed = try compose(source, header: header, spec: spec, seed: spec.seed ?? Self.contentSeed(source))
        var canvas = composed.canvas
        let addedText = spec.checksAddedText ? try self.addedText(in: composed) : nil
        if let watermark = spec.watermark, !watermark.isEmpty {
            let size = max(12, min(spec.width, spec.height) / 9)
            let text = try Vips.fittedText(watermark, font: "DejaVu Sans Bold 64", width: size * 12, height: size, align: .leading)
            try Vision.watermark(&canvas, mask: text.pixels, maskWidth: text.width, maskHeight: text.height)
        }
        let bytes = try Vips.encode(canvas, as: spec.format, quality: spec.quality)
        return RenderedImage(
            bytes: bytes, width: spec.width, height: spec.height, format: spec.format,
            cutoutConfidence: composed.cutoutConfidence, addedText: addedText)
    }

    /// Text on the canvas outside its products: what a style added (a headline, a badge, a
    /// label), as opposed to the product's own printing. Nil without the text model. Where the
    /// canvas around the products has no sharp step between neighbouring pixels (one colour, a
    /// soft shadow, a gradient) there is no text to find, and the network does not run.
    func addedText(in composed: Composed) throws(ImagingError) -> [TextRegion]? {
        guard models.offersText else { return nil }
        let canvas = composed.canvas
        let coverage = composed.productCoverage
        // A product covers a pixel when at least half opaque there.
        let covered: UInt8 = 128
        if Self.isSmoothAroundProducts(canvas, coverage: coverage) { return [] }
        guard let detector = models.text else { return nil }
        return try detector.regions(in: canvas).filter { region in
            let box = region.box
            var inside = 0
            for y in box.y..<(box.y + box.height) {
                for x in box.x..<(box.x + box.width) where coverage[y * canvas.width + x] >= covered { inside += 1 }
            }
            // Mostly on the product: its own label or print.
            return Double(inside) < 0.5 * Double(box.width * box.height)
        }
    }

    /// Whether no two neighbouring pixels that no product touches differ by more than a
    /// shadow's or a gradient's step: letters, even small and pale, are drawn with sharper ones.
    static func isSmoothAroundProducts(_ canvas: Raster, coverage: [UInt8]) -> Bool {
        let (width, height, bands) = (canvas.width, canvas.height, canvas.bands)
        let step = 12
        return canvas.pixels.withUnsafeBufferPointer { pixels in
            func differ(_ first: Int, _ second: Int) -> Bool {
                (0..<bands).contains { abs(Int(pixels[first * bands + $0]) - Int(pixels[second * bands + $0])) > step }
            }
            for y in 0..<height {
                for x in 0..<width where coverage[y * width + x] == 0 {
                    let here = y * width + x
                    if x + 1 < width, coverage[here + 1] == 0, differ(here, here + 1) { return false }
                    if y + 1 < height, coverage[here + width] == 0, differ(here, here + width) { return false }
                }
            }
            return true
        }
    }

    /// FNV-1a of the bytes' length and their first 64 KB: cheap, and stable across machines.
    static func contentSeed(_ bytes: [UInt8]) -> UInt64 {
        var hash: UInt64 = 0xCBF2_9CE4_8422_2325
        for byte in bytes.prefix(65536) + withUnsafeBytes(of: UInt64(bytes.count).littleEndian, Array.init) {
            hash = (hash ^ UInt64(byte)) &* 0x0000_0100_0000_01B3
        }
        return hash
    }

    /// The product alone, centred on a plain background or transparency.
    func plain(_ source: [UInt8], header: Vips.Header, spec: RenderSpec) throws(ImagingError) -> Composed {
        let transparent = spec.composition == .transparent || spec.background == .transparent
        let product = try isolate(
            source, header: header,
            fitting: (Double(spec.width) * spec.productFill, Double(spec.height) * spec.productFill))
        var stage = Stage(width: spec.width, height: spec.height, background: transparent ? .transparent : spec.background)
        // Centre the product's own bounding box, not the crop around it.
        let x = (spec.width - product.box.width) / 2 - product.box.x
        let y = (spec.height - product.box.height) / 2 - product.box.y
        try stage.place(Placed(
            layer: product.layer, x: x, y: y,
            box: PixelRect(x: x + product.box.x, y: y + product.box.y, width: product.box.width, height: product.box.height),
            confidence: product.confidence))
        return stage.composition
    }

    // MARK: Steps

    private func validate(_ spec: RenderSpec) throws(ImagingError) {
        guard (1...10_000).contains(spec.width), (1...10_000).contains(spec.height) else {
            throw .invalidSpec("width and height must be between 1 and 10000 pixels")
        }
        guard spec.productFill > 0, spec.productFill <= 1 else { throw .invalidSpec("product fill must be in (0, 1]") }
        guard (1...100).contains(spec.quality) else { throw .invalidSpec("quality must be between 1 and 100") }
        let transparent = spec.composition == .transparent || spec.background == .transparent
        if transparent, !spec.format.supportsAlpha {
            throw .invalidSpec("a transparent background needs png or webp; jpeg has no alpha channel")
        }
    }

    /// The format from the bytes and the header's size, checked before any pixel is decoded.
    func inspect(_ source: [UInt8]) throws(ImagingError) -> (ImageFormat, Vips.Header) {
        guard let format = FormatSniffer.sniff(source) else { throw .unsupportedFormat }
        let header = try Vips.header(source)
        guard header.width > 0, header.height > 0 else { throw .undecodable("empty image") }
        guard header.width * header.height <= limits.maxPixels else {
            throw .tooManyPixels(width: header.width, height: header.height, limit: limits.maxPixels)
        }
        let (short, long) = (min(header.width, header.height), max(header.width, header.height))
        guard short >= DecodeLimits.minimumSide, long <= short * DecodeLimits.maximumAspectRatio else {
            throw .unusableShape(width: header.width, height: header.height)
        }
        return (format, header)
    }
}
