import COpenCV

/// A printed mark found on the product (a logo, a brand name, a line of text).
public struct MarkRegion: Sendable, Equatable {
    public enum Kind: Sendable, Equatable {
        /// Found by the classical mark finder: a logo or a word standing alone.
        case mark
        /// A line of words found by the text model (a label's copy too).
        case words
    }

    /// Where it is, as fractions of the photo's width and height (after EXIF orientation).
    public let rect: NormalizedRect
    /// Mean CIELAB distance of its pixels from the product's surface around it; nil for words
    /// found by the text model, which does not measure it.
    public let contrast: Double?
    public let kind: Kind
}

extension ImageEngine {
    /// Long side of the image marks are looked for in.
    static let markAnalysisSide = 1200
    /// At most this many marks are removed from one photo, the largest first.
    static let maximumMarks = 32

    /// The photo with the printed marks on its product removed, for rendering styles from.
    ///
    /// Detection, on the product as the cutout finds it and off its outline band: pixels far (in
    /// CIELAB) from the product's surface, estimated at two scales (strokes by top-hat and
    /// black-hat, solid graphics against a wide median), grouped into words and graphics. A
    /// group is a mark when it stands out clearly from the one surface around it, is compact or
    /// made of letters, and is small beside the product; seams, straps, rims and edges are the
    /// product's structure and stay. What was chosen where the issue leaves it open:
    /// - **Words too, with the text model**: every line of words the text model finds on the
    ///   product (wholly inside its cutout) is removed as well, a label's copy included.
    ///   Without the model, logo-like marks only: a brand name or a logo standing alone on its
    ///   line is removed, and two lines of text or more together stay.
    /// - **One surface**: a mark with two surfaces around it (a word woven into a strap, with
    ///   strap on one side and bag on the other) stays, since a fill would smear one into the
    ///   other.
    /// - **No product, no marks**: when the cutout finds no product (a close-up filling the frame,
    ///   a grid of products) nothing is removed: there, a compact part (a bulb's pins) cannot be
    ///   told from a logo.
    ///
    /// Removal: each mark is inpainted (Telea) at a working size where it is at most 256 pixels
    /// across, scaled back, and given the surface's own texture from the nearest clear stretch
    /// of product beside it; blended with a feathered edge. Pixels away from the marks are the
    /// source's.
    ///
    /// - Returns: the cleaned photo at source resolution (capped at 4096 pixels along its long
    ///   side, as the cutout is): a JPEG source as JPEG at quality 95 without chroma subsampling,
    ///   anything else as PNG (alpha kept). Without marks, the source's own bytes. And the marks
    ///   removed, largest first.
    public func removingMarks(source: [UInt8]) throws(ImagingError) -> (bytes: [UInt8], marks: [MarkRegion]) {
        let (format, header) = try checkedHeader(source)
        let found = try marks(source, header: header)
        guard !found.marks.isEmpty else { return (source, []) }

        let longSide = max(header.width, header.height)
        let scale = min(1, Double(Self.cutoutSide) / Double(longSide))
        var full = try Vips.decode(source, fittingIn: Int((Double(header.width) * scale).rounded(.up)), Int((Double(header.height) * scale).rounded(.up)))
        let (width, height, bands) = (full.width, full.height, full.bands)
        let segmentation = found.segmentation, work = segmentation.work
        let status = full.pixels.withUnsafeMutableBufferPointer { pixels in
            found.mask.withUnsafeBufferPointer { mask in
                found.raw.withUnsafeBufferPointer { marks in
                    segmentation.mask.withUnsafeBufferPointer { subject in
                        pv_cv_marks_remove(pixels.baseAddress, Int32(width), Int32(height), Int32(bands), width * bands,
                                           mask.baseAddress, Int32(found.analysis.width), Int32(found.analysis.height),
                                           marks.baseAddress, Int32(marks.count),
                                           subject.baseAddress, Int32(work.width), Int32(work.height))
                    }
                }
            }
        }
        guard status == PV_CV_OK.rawValue else { throw .processingFailed("mark removal failed (\(status))") }
        return (try Self.encodePhoto(full, like: format), found.marks)
    }

    /// The marks `removingMarks` would remove, without removing them.
    public func findMarks(source: [UInt8]) throws(ImagingError) -> [MarkRegion] {
        let header = try checkedHeader(source).header
        return try marks(source, header: header).marks
    }

    struct FoundMarks {
        let marks: [MarkRegion]
        /// As the detector reported them, in the analysis image's pixels.
        let raw: [pv_mark]
        /// 255 on the marks' pixels, at the analysis image's size.
        let mask: [UInt8]
        let analysis: (width: Int, height: Int)
        let segmentation: Segmentation
    }

    func marks(_ source: [UInt8], header: Vips.Header) throws(ImagingError) -> FoundMarks {
        // The analysis image decodes on the second core while the product is segmented.
        let pending = Concurrently { () throws(ImagingError) in
            try Vips.decode(source, fittingIn: Self.markAnalysisSide, Self.markAnalysisSide).flattened()
        }
        let segmentation = try productSegmentation(source, header: header)
        let analysis = try pending.result()
        let size = (width: analysis.width, height: analysis.height)
        // No product found: nothing to look for marks on (see `removingMarks`).
        guard segmentation.confidence > 0 || segmentation.hadAlpha else {
            return FoundMarks(marks: [], raw: [], mask: [], analysis: size, segmentation: segmentation)
        }
        var raw = [pv_mark](repeating: pv_mark(), count: Self.maximumMarks)
        var mask = [UInt8](repeating: 0, count: analysis.width * analysis.height)
        var count: Int32 = 0
        let work = segmentation.work
        let status = analysis.pixels.withUnsafeBufferPointer { pixels in
            segmentation.mask.withUnsafeBufferPointer { subject in
                raw.withUnsafeMutableBufferPointer { marks in
                    mask.withUnsafeMutableBufferPointer { out in
                        pv_cv_marks_find(pixels.baseAddress, Int32(analysis.width), Int32(analysis.height), analysis.width * 3,
                                         subject.baseAddress, Int32(work.width), Int32(work.height),
                                         marks.baseAddress, Int32(marks.count), &count, out.baseAddress)
                    }
                }
            }
        }
        switch Int(status) {
        case Int(PV_CV_OK.rawValue): break
        case Int(PV_CV_NO_SUBJECT.rawValue): return FoundMarks(marks: [], raw: [], mask: [], analysis: size, segmentation: segmentation)
        default: throw .processingFailed("mark detection failed (\(status))")
        }
        var reported = Array(raw.prefix(Int(count)))
        var marks = reported.map {
            MarkRegion(rect: NormalizedRect(PixelRect(x: Int($0.x), y: Int($0.y), width: Int($0.width), height: Int($0.height)),
                                            width: analysis.width, height: analysis.height),
                       contrast: $0.contrast, kind: .mark)
        }
        for words in try wordsOnProduct(analysis, segmentation: segmentation, besides: reported).prefix(Self.maximumMarks - reported.count) {
            let box = words.box
            reported.append(pv_mark(x: Int32(box.x), y: Int32(box.y), width: Int32(box.width), height: Int32(box.height), contrast: 0))
            for y in box.y..<(box.y + box.height) {
                for x in box.x..<(box.x + box.width) { mask[y * analysis.width + x] = 255 }
            }
            marks.append(MarkRegion(rect: NormalizedRect(box, width: analysis.width, height: analysis.height), contrast: nil, kind: .words))
        }
        return FoundMarks(marks: marks, raw: reported, mask: mask, analysis: size, segmentation: segmentation)
    }

    /// Lines of words the text model finds wholly on the product (every corner of the box inside
    /// the cutout, so that a fill never reaches the backdrop) and not already marked.
    private func wordsOnProduct(_ analysis: Raster, segmentation: Segmentation, besides marked: [pv_mark]) throws(ImagingError) -> [TextRegion] {
        guard let detector = models.text else { return [] }
        let work = segmentation.work
        func onProduct(_ x: Int, _ y: Int) -> Bool {
            let wx = min(work.width - 1, x * work.width / analysis.width), wy = min(work.height - 1, y * work.height / analysis.height)
            return segmentation.mask[wy * work.width + wx] >= 128
        }
        return try detector.regions(in: analysis).filter { region in
            let box = region.box
            let corners = [(box.x, box.y), (box.x + box.width - 1, box.y), (box.x, box.y + box.height - 1),
                           (box.x + box.width - 1, box.y + box.height - 1)]
            guard corners.allSatisfy({ onProduct($0.0, $0.1) }) else { return false }
            return !marked.contains { mark in
                let overlapWidth = min(box.x + box.width, Int(mark.x + mark.width)) - max(box.x, Int(mark.x))
                let overlapHeight = min(box.y + box.height, Int(mark.y + mark.height)) - max(box.y, Int(mark.y))
                return overlapWidth > 0 && overlapHeight > 0 && overlapWidth * overlapHeight * 2 > box.width * box.height
            }
        }
    }
}
