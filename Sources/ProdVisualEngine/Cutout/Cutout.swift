import COpenCV

/// The product cut out of its photo: segmentation at a small working size, then the edge refined
/// at the size the output needs.
extension ImageEngine {
    /// Long side of the image the segmentation works on: large enough for thin straps,
    /// small enough for GrabCut to take a fraction of a second.
    static let workingSide = 512
    /// The cutout command never decodes larger than this.
    static let cutoutSide = 4096

    /// The product on transparency over the whole frame, as an RGBA PNG, with what was learned.
    public func cutout(source: [UInt8]) throws(ImagingError) -> Cutout {
        let (_, header) = try inspect(source)
        let longSide = max(header.width, header.height)
        let scale = min(1, Double(Self.cutoutSide) / Double(longSide))
        // The whole frame is wanted whatever the segmentation finds: decode it meanwhile.
        let pending = Concurrently { () throws(ImagingError) in
            try Vips.decode(source, fittingIn: Int((Double(header.width) * scale).rounded(.up)), Int((Double(header.height) * scale).rounded(.up)))
        }
        let segmentation = try seed(source, header: header).finish()
        let full = try pending.result()
        let layer: Raster
        if segmentation.hadAlpha {
            layer = full
        } else {
            let work = segmentation.work
            layer = try Vision.refine(
                full, coarse: segmentation.mask, coarseWidth: work.width, coarseHeight: work.height,
                region: (0, 0, Double(work.width), Double(work.height)))
        }
        let toSource = Double(header.width) / Double(segmentation.work.width)
        let box = segmentation.box
        let sourceBox = PixelRect(
            x: Int(Double(box.x) * toSource), y: Int(Double(box.y) * toSource),
            width: Int((Double(box.width) * toSource).rounded()), height: Int((Double(box.height) * toSource).rounded()))
        let report = CutoutReport(
            boundingBox: sourceBox,
            fillRatio: Double(sourceBox.width * sourceBox.height) / Double(header.width * header.height),
            confidence: segmentation.confidence, uniformBackground: segmentation.uniformBackground,
            hadAlpha: segmentation.hadAlpha, shadowStrength: segmentation.shadowStrength)
        let png = try Vips.encode(layer, as: .png, quality: 100)
        return Cutout(png: png, width: layer.width, height: layer.height, report: report)
    }

    struct Segmentation {
        let work: Raster
        /// 255 = product, at the working resolution.
        let mask: [UInt8]
        let box: PixelRect
        let confidence: Double
        let uniformBackground: Bool
        let shadowStrength: Double
        let hadAlpha: Bool
    }

    /// Below this classical confidence the learned saliency map is fused in, where the models are
    /// installed: the backdrop model was unsure (a room, a hand, glass, a textured surface).
    static let classicalTrusted = 0.75
    /// Below this backdrop fit the learned map is started at once, on the second core, while the
    /// classical GrabCut runs: the classical cut is unlikely to be trusted.
    static let speculateBelowFit = 0.7
    /// From this share of the product in the backdrop's own colour (a white label on white, a
    /// dark product on black) the learned models are asked too, however sure the classical cut is:
    /// its outline there was drawn through colour it cannot tell apart.
    static let backdropColouredFrom = 0.2

    /// Segmentation between its phases: the working image, where the product is expected, and
    /// GrabCut still to run (unless the answer is already final).
    struct Seeded {
        let work: Raster
        /// Where the product is expected, in working pixels.
        let estimate: PixelRect
        private let outcome: Outcome

        /// What the learned models see in the working image.
        typealias Learned = (saliency: [UInt8], text: [PixelRect])

        private enum Outcome {
            case final(Segmentation)
            case cutting(Vision.Segmenter, models: ModelSet, learned: Concurrently<Learned?>?)
        }

        init(work: Raster, final segmentation: Segmentation) {
            self.work = work
            estimate = segmentation.box
            outcome = .final(segmentation)
        }

        init(work: Raster, cutting segmenter: Vision.Segmenter, models: ModelSet) {
            self.work = work
            estimate = segmenter.estimate
            let learned = models.offersSaliency && segmenter.backdropFit < ImageEngine.speculateBelowFit
                ? Concurrently { () throws(ImagingError) in try Self.learned(work, models) } : nil
            outcome = .cutting(segmenter, models: models, learned: learned)
        }

        /// The whole frame: nothing stands out of the background.
        static func wholeFrame(_ work: Raster) -> Segmentation {
            let mask = [UInt8](repeating: 255, count: work.width * work.height)
            return Segmentation(
                work: work, mask: mask, box: PixelRect(x: 0, y: 0, width: work.width, height: work.height),
                confidence: 0, uniformBackground: false, shadowStrength: 0, hadAlpha: false)
        }

        /// Nil when the saliency model is not to be had (it failed its hash check or to load).
        private static func learned(_ work: Raster, _ models: ModelSet) throws(ImagingError) -> Learned? {
            guard let saliency = models.saliency else { return nil }
            let map = try saliency.saliency(of: work.rgb)
            guard let text = models.text else { return (map, []) }
            return (map, try text.regions(in: work).map(\.box))
        }

        func finish() throws(ImagingError) -> Segmentation {
            switch outcome {
            case .final(let segmentation):
                return segmentation
            case .cutting(let segmenter, let models, let speculative):
                var found = try segmenter.finish(framingFallback: !models.offersSaliency)
                // The speculative map is always collected, so no work outlives the render.
                let early: Learned? = try speculative?.result() ?? nil
                // Confidence first: a trusted classical cut must not even load the model.
                let unsure = (found?.report.confidence ?? 0) < ImageEngine.classicalTrusted
                    || (found?.report.backdrop_coloured ?? 0) >= ImageEngine.backdropColouredFrom
                if unsure, models.offersSaliency {
                    let learned: Learned?
                    if let early { learned = early } else { learned = try Self.learned(work, models) }
                    if let learned {
                        found = try segmenter.fuse(saliency: learned.saliency, text: learned.text) ?? found
                        if let cut = found { found = try segmenter.printedOutline(cut, text: learned.text) }
                    }
                }
                // Below this the mask is more likely fragments than the product (a close-up that
                // fills the frame, a cluttered scene): keeping the whole photo is the honest answer.
                let minimumConfidence = 0.1
                guard let found, found.report.confidence >= minimumConfidence else { return Self.wholeFrame(work) }
                let report = found.report
                return Segmentation(
                    work: work, mask: found.mask,
                    box: PixelRect(x: Int(report.box_x), y: Int(report.box_y), width: Int(report.box_width), height: Int(report.box_height)),
                    confidence: report.confidence, uniformBackground: report.uniform_background != 0,
                    shadowStrength: report.shadow_strength, hadAlpha: false)
            }
        }
    }

    /// What is being cut out: a product (a hand holding it is left out), or a try-on photo (a
    /// person or a garment), whose analysis was built on the classical cut: that alone, skin kept.
    enum Subject {
        case product, tryOnPhoto
    }

    /// The working image and the first, cheap phase of the product's segmentation: the input's
    /// own alpha where it has a real one, else the backdrop model's seed.
    func seed(_ source: [UInt8], header: Vips.Header, subject: Subject = .product) throws(ImagingError) -> Seeded {
        let side = Self.workingSide(forLongSide: max(header.width, header.height))
        let work = try Vips.decode(source, fittingIn: side, side)
        let alpha = work.bands == 4 ? work.alpha : []
        let transparentShare = Double(alpha.lazy.filter { $0 < 128 }.count) / Double(max(1, alpha.count))
        if transparentShare > 0.01, transparentShare < 0.995 {
            let mask = alpha.map { $0 >= 128 ? UInt8(255) : 0 }
            return Seeded(work: work, final: Segmentation(
                work: work, mask: mask, box: Self.boundingBox(mask, width: work.width, height: work.height),
                confidence: 1, uniformBackground: true, shadowStrength: 0, hadAlpha: true))
        }
        return Seeded(
            work: work, cutting: try Vision.Segmenter(work, dropsHands: subject == .product),
            models: subject == .product ? models : .none)
    }

    /// `workingSide`, or a little less where a JPEG or WebP shrink-on-load factor lands exactly:
    /// decoding then skips most of the work.
    static func workingSide(forLongSide longSide: Int) -> Int {
        let shrunk = [8, 4, 2].map { (longSide + $0 - 1) / $0 }
        return shrunk.first { $0 <= workingSide && Double($0) >= 0.85 * Double(workingSide) } ?? workingSide
    }

    struct Product {
        /// RGBA at output scale.
        let layer: Raster
        /// The product's bounding box inside the layer.
        let box: PixelRect
        /// How far the cutout can be trusted (`CutoutReport.confidence`).
        let confidence: Double
    }

    /// Cuts the product out at exactly the scale at which its bounding box fits the target box.
    func isolate(_ source: [UInt8], header: Vips.Header, fitting target: (width: Double, height: Double)) throws(ImagingError) -> Product {
        let seeded = try seed(source, header: header)
        let workScale = Double(seeded.work.width) / Double(header.width)
        // The scale of the source at which a working-pixel box fits the target.
        func scaleFitting(_ box: PixelRect) -> Double {
            min(target.width / (Double(box.width) / workScale), target.height / (Double(box.height) / workScale))
        }
        // Decode only as large as the output needs. JPEG and WebP shrink on load by powers of two
        // at a fraction of a full decode's cost: take such a scale when it loses at most 15% of
        // the resolution needed, and let the final resize make up the rest.
        func decodeScale(_ needed: Double) -> Double {
            min(needed, [1.0, 0.5, 0.25, 0.125].last { $0 >= needed * 0.85 } ?? 1)
        }
        @Sendable func decode(at scale: Double) throws(ImagingError) -> Raster {
            try Vips.decode(
                source, fittingIn: max(1, Int((Double(header.width) * scale).rounded(.up))),
                max(1, Int((Double(header.height) * scale).rounded(.up))))
        }
        // The seed says where the product is: decode that while GrabCut refines it, and decode
        // again only in the rare case the final box needs more resolution than the seed's did.
        let expectedScale = decodeScale(min(1, scaleFitting(seeded.estimate)))
        let pending = Concurrently { () throws(ImagingError) in try decode(at: expectedScale) }
        let segmentation = try seeded.finish()
        let work = segmentation.work
        let box = segmentation.box
        let fitScale = scaleFitting(box)
        let needed = min(1, fitScale)
        // The speculative decode is always collected, so no work outlives the render.
        let speculative = try pending.result()
        let detailed = expectedScale >= 0.85 * needed ? speculative : try decode(at: decodeScale(needed))
        let ratio = Double(detailed.width) / Double(work.width)

        // A margin around the box leaves room for the soft edge.
        let margin = max(2.0, 0.03 * Double(max(box.width, box.height)))
        let left = max(0, Int(((Double(box.x) - margin) * ratio).rounded(.down)))
        let top = max(0, Int(((Double(box.y) - margin) * ratio).rounded(.down)))
        let right = min(detailed.width, Int(((Double(box.x + box.width) + margin) * ratio).rounded(.up)))
        let bottom = min(detailed.height, Int(((Double(box.y + box.height) + margin) * ratio).rounded(.up)))
        let crop = PixelRect(x: left, y: top, width: right - left, height: bottom - top)
        let outScale = fitScale / (Double(detailed.width) / Double(header.width))
        let outWidth = max(1, Int((Double(crop.width) * outScale).rounded()))
        let outHeight = max(1, Int((Double(crop.height) * outScale).rounded()))

        let scaled: Raster
        if segmentation.hadAlpha {
            scaled = try Vision.resize(detailed, region: crop, width: outWidth, height: outHeight)
        } else {
            // Refine at output scale: the colour crop is resized in 8 bits first, so the soft edge
            // is computed once, at the size it will be seen.
            scaled = try Vision.refine(
                try Vision.resize(detailed.rgb, region: crop, width: outWidth, height: outHeight),
                coarse: segmentation.mask, coarseWidth: work.width, coarseHeight: work.height,
                region: (Double(left) / ratio, Double(top) / ratio, Double(crop.width) / ratio, Double(crop.height) / ratio))
        }
        let toOutput = ratio * outScale
        let placed = PixelRect(
            x: Int(((Double(box.x) * ratio - Double(left)) * outScale).rounded()),
            y: Int(((Double(box.y) * ratio - Double(top)) * outScale).rounded()),
            width: Int((Double(box.width) * toOutput).rounded()),
            height: Int((Double(box.height) * toOutput).rounded()))
        return Product(layer: scaled, box: placed, confidence: segmentation.confidence)
    }

    static func boundingBox(_ mask: [UInt8], width: Int, height: Int) -> PixelRect {
        var minX = width, minY = height, maxX = -1, maxY = -1
        for y in 0..<height {
            for x in 0..<width where mask[y * width + x] >= 128 {
                minX = min(minX, x)
                maxX = max(maxX, x)
                minY = min(minY, y)
                maxY = max(maxY, y)
            }
        }
        guard maxX >= 0 else { return PixelRect(x: 0, y: 0, width: width, height: height) }
        return PixelRect(x: minX, y: minY, width: maxX - minX + 1, height: maxY - minY + 1)
    }
}
