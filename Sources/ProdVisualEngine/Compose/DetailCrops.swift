import COpenCV

/// Where one close-up is cut from the photo.
public struct DetailWindow: Sendable, Equatable {
    /// In source pixels (after EXIF orientation), at the output's aspect ratio.
    public let rect: PixelRect
    /// How detailed and how well framed the window is; comparable within one photo only.
    public let score: Double
    /// Output pixels per source pixel: above 1 the crop is enlarged (see `detailMaxUpscale`).
    public let upscale: Double
}

extension ImageEngine {
    /// Close-ups are never enlarged more than this from the source's pixels, so they stay sharp,
    /// unless the product itself is too small for a close-up that large (see `detailMinimumSide`).
    public static let detailMaxUpscale = 1.5
    /// The shorter side of a close-up, in source pixels, never goes below this: a product smaller
    /// than the sharpness floor gets tighter (and softer) crops, down to this size and no further.
    public static let detailMinimumSide = 160
    /// A close-up's area is about this share of the product's bounding box when the photo has
    /// the pixels for it: close enough to show the weave or the print, wide enough to say where.
    static let detailShareOfProduct = 0.16
    /// Long side of the image the detail is measured on.
    static let detailAnalysisSide = 1024
    /// Two close-ups never overlap by this IoU or more.
    static let detailMaxOverlap = 0.3

    /// Up to `count` close-ups of the product's most detailed regions (texture, print, labels,
    /// hardware, stitching), each rendered at exactly `width` × `height`, most detailed first.
    ///
    /// The product is cut out as for every style; windows at the output's aspect ratio are scored
    /// inside it by their colour detail above the product's typical level, framed so that the
    /// detail sits inside and is not cut by the crop's edges (a window may grow up to 1.44× to
    /// take in a whole label). Windows overlap by an IoU under 0.3. Each is decoded alone, at the
    /// largest shrink-on-load that still leaves at least the output's pixels, and resized once.
    /// Fewer than `count` crops come back when the rest would be flat or mostly off the product.
    /// Deterministic.
    public func detailCrops(source: [UInt8], count: Int, width: Int, height: Int, format: ImageFormat, quality: Int) throws(ImagingError) -> [RenderedImage] {
        guard (1...100).contains(quality) else { throw .invalidSpec("quality must be between 1 and 100") }
        let windows = try detailCropWindows(source: source, count: count, width: width, height: height)
        guard !windows.isEmpty else { return [] }

        // One decode for all of them: the union of the windows, at the coarsest shrink that leaves
        // every window at least the output's size.
        let smallest = windows.map(\.rect.width).min()!
        let shrink = [8, 4, 2].first { smallest / $0 >= width } ?? 1
        let left = windows.map(\.rect.x).min()!, top = windows.map(\.rect.y).min()!
        let right = windows.map { $0.rect.x + $0.rect.width }.max()!
        let bottom = windows.map { $0.rect.y + $0.rect.height }.max()!
        let union = PixelRect(x: left / shrink, y: top / shrink,
                              width: (right + shrink - 1) / shrink - left / shrink, height: (bottom + shrink - 1) / shrink - top / shrink)
        let (decoded, origin) = try Vips.decodeRegion(source, shrink: shrink, region: union)
        let region = try decoded.flattened()

        return try windows.map { window throws(ImagingError) in
            let r = window.rect
            let x = min(max(0, r.x / shrink - origin.x), region.width - 1)
            let y = min(max(0, r.y / shrink - origin.y), region.height - 1)
            let crop = PixelRect(x: x, y: y, width: min(region.width - x, max(1, r.width / shrink)),
                                 height: min(region.height - y, max(1, r.height / shrink)))
            let scaled = try Vision.resize(region, region: crop, width: width, height: height)
            return RenderedImage(bytes: try Vips.encode(scaled, as: format, quality: quality), width: width, height: height, format: format)
        }
    }

    /// Where `detailCrops` cuts its close-ups, best first, without rendering them.
    public func detailCropWindows(source: [UInt8], count: Int, width: Int, height: Int) throws(ImagingError) -> [DetailWindow] {
        guard (1...12).contains(count) else { throw .invalidSpec("count must be between 1 and 12") }
        guard (1...10_000).contains(width), (1...10_000).contains(height) else {
            throw .invalidSpec("width and height must be between 1 and 10000 pixels")
        }
        let header = try checkedHeader(source).header
        // The analysis image decodes on the second core while the product is segmented.
        let pending = Concurrently { () throws(ImagingError) in
            try Vips.decode(source, fittingIn: Self.detailAnalysisSide, Self.detailAnalysisSide).flattened()
        }
        let segmentation = try productSegmentation(source, header: header)
        let analysis = try pending.result()

        let window = Self.detailWindowSize(
            image: (header.width, header.height), product: productBox(segmentation, header: header), output: (width, height))
        let toAnalysis = Double(analysis.width) / Double(header.width)
        let analysisWidth = min(analysis.width, max(8, Int((Double(window.width) * toAnalysis).rounded())))
        let analysisHeight = min(analysis.height, max(8, Int((Double(window.height) * toAnalysis).rounded())))
        let maxScale = 1.44

        var found = [pv_detail_window](repeating: pv_detail_window(), count: count)
        var foundCount: Int32 = 0
        let mask = segmentation.mask, work = segmentation.work
        let status = analysis.pixels.withUnsafeBufferPointer { pixels in
            mask.withUnsafeBufferPointer { subject in
                found.withUnsafeMutableBufferPointer { out in
                    pv_cv_detail_windows(pixels.baseAddress, Int32(analysis.width), Int32(analysis.height), analysis.width * 3,
                                         subject.baseAddress, Int32(work.width), Int32(work.height),
                                         Int32(analysisWidth), Int32(analysisHeight), maxScale, Int32(count), Self.detailMaxOverlap,
                                         out.baseAddress, &foundCount)
                }
            }
        }
        guard status == PV_CV_OK.rawValue else { throw .processingFailed("detail analysis failed (\(status))") }

        // Back to source pixels, at exactly the output's aspect ratio and inside the photo.
        let aspect = Double(width) / Double(height)
        return found.prefix(Int(foundCount)).map { w in
            let sourceWidth = min(header.width, max(1, Int((Double(w.width) / toAnalysis).rounded())))
            let sourceHeight = min(header.height, max(1, Int((Double(sourceWidth) / aspect).rounded())))
            let centre = ((Double(w.x) + Double(w.width) / 2) / toAnalysis, (Double(w.y) + Double(w.height) / 2) / toAnalysis)
            let x = min(max(0, Int((centre.0 - Double(sourceWidth) / 2).rounded())), header.width - sourceWidth)
            let y = min(max(0, Int((centre.1 - Double(sourceHeight) / 2).rounded())), header.height - sourceHeight)
            return DetailWindow(rect: PixelRect(x: x, y: y, width: sourceWidth, height: sourceHeight), score: w.score,
                                upscale: Double(width) / Double(sourceWidth))
        }
    }

    /// The product's bounding box in source pixels; the whole photo when the cutout kept it all.
    func productBox(_ segmentation: Segmentation, header: Vips.Header) -> PixelRect {
        let scale = Double(header.width) / Double(segmentation.work.width)
        let box = segmentation.box
        return PixelRect(x: Int(Double(box.x) * scale), y: Int(Double(box.y) * scale),
                         width: max(1, Int((Double(box.width) * scale).rounded())), height: max(1, Int((Double(box.height) * scale).rounded())))
    }

    /// A close-up's size in source pixels, at the output's aspect ratio: about
    /// `detailShareOfProduct` of the product, at least the size that keeps the enlargement
    /// within `detailMaxUpscale`; but no larger than the product's bounding box (then no smaller
    /// than `detailMinimumSide`), and never larger than the photo.
    static func detailWindowSize(image: (width: Int, height: Int), product: PixelRect, output: (width: Int, height: Int)) -> (width: Int, height: Int) {
        let aspect = Double(output.width) / Double(output.height)
        let productWidth = Double(product.width), productHeight = Double(product.height)
        let ideal = (detailShareOfProduct * productWidth * productHeight * aspect).squareRoot()
        let sharp = Double(output.width) / detailMaxUpscale
        let inside = min(productWidth, productHeight * aspect)
        var width = max(ideal, sharp)
        if width > inside { width = max(inside, Double(detailMinimumSide) * max(1, aspect)) }
        width = min(width, Double(image.width), Double(image.height) * aspect)
        let height = min(Double(image.height), width / aspect)
        return (max(1, Int(width.rounded())), max(1, Int(height.rounded())))
    }
}

extension Vision {
    /// Variance of the Laplacian of the grey image: higher is sharper.
    static func sharpness(_ image: Raster) throws(ImagingError) -> Double {
        let rgb = try image.flattened()
        var variance = 0.0
        let status = rgb.pixels.withUnsafeBufferPointer {
            pv_cv_laplacian_variance($0.baseAddress, Int32(rgb.width), Int32(rgb.height), rgb.width * 3, &variance)
        }
        guard status == PV_CV_OK.rawValue else { throw .processingFailed("sharpness failed (\(status))") }
        return variance
    }
}
