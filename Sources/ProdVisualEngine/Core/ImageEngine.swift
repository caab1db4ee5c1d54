import COpenCV

/// Decodes product photos, cuts the product out and composes marketplace images.
///
/// Every method is synchronous and CPU-bound: callers run it on a bounded pool of threads.
/// The pipeline is a list of small steps: sniff → header check → decode small (shrink-on-load)
/// → segment → decode at the output's scale → refine the edge → compose → encode.
public final class ImageEngine: Sendable {
    let limits: DecodeLimits
    /// The optional learned prior; nil runs the classical backdrop model alone.
    let segmentationModel: Vision.SaliencyModel?


    /// - Parameter segmentationModel: path of an ONNX salient-object model (U²-Net style:
    ///   1x3x320x320 RGB in, ImageNet-normalised; a saliency map out) to seed the cutout with.
    public init(limits: DecodeLimits = .default, segmentationModel: String? = nil) throws {
        try Vips.start()
        self.limits = limits
        self.segmentationModel = try segmentationModel.map { path throws(ImagingError) in try Vision.SaliencyModel(path: path) }
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

    public func render(source: [UInt8], spec: RenderSpec) throws(ImagingError) -> RenderedImage {
        try validate(spec)
        let (_, header) = try inspect(source)
        var canvas = try compose(source, header: header, spec: spec, seed: spec.seed ?? Self.contentSeed(source))
        if let watermark = spec.watermark, !watermark.isEmpty {
            let size = max(12, min(spec.width, spec.height) / 9)
            let text = try Vips.fittedText(watermark, font: "DejaVu Sans Bold 64", width: size * 12, height: size, align: .leading)
            try Vision.watermark(&canvas, mask: text.pixels, maskWidth: text.width, maskHeight: text.height)
        }
        let bytes = try Vips.encode(canvas, as: spec.format, quality: spec.quality)
        return RenderedImage(bytes: bytes, width: spec.width, height: spec.height, format: spec.format)
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
    func plain(_ source: [UInt8], header: Vips.Header, spec: RenderSpec) throws(ImagingError) -> Raster {
        let transparent = spec.composition == .transparent || spec.background == .transparent
        let product = try isolate(
            source, header: header,
            fitting: (Double(spec.width) * spec.productFill, Double(spec.height) * spec.productFill))
        var canvas = Raster(width: spec.width, height: spec.height, background: transparent ? .transparent : spec.background)
        // Centre the product's own bounding box, not the crop around it.
        let x = (spec.width - product.box.width) / 2 - product.box.x
        let y = (spec.height - product.box.height) / 2 - product.box.y
        try Vision.composite(product.layer, onto: &canvas, x: x, y: y)
        return canvas
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
        return (format, header)
    }
}
