import COpenCV

/// A product photo, measured on its pixels: its shape, where the product is and how much of the
/// frame it fills, what it stands on, how far its cutout can be trusted, how sharp and how well
/// exposed it is, its main colours, and the title its own metadata carries.
///
/// Everything is measured at the cutout's working size (512 pixels on the long side) on the
/// cutout's own mask, except sharpness, which is measured with the product resampled to
/// `ProductAnalysis.sharpnessSide` pixels on its longer side.
public struct ProductAnalysis: Sendable, Equatable, Codable {
    public enum Orientation: String, Sendable, Codable, CaseIterable {
        case landscape, portrait
        /// Width and height within 2% of each other.
        case square
    }

    /// A rectangle in fractions (0...1) of the frame's width and height.
    public struct Box: Sendable, Equatable, Codable {
        public let x: Double
        public let y: Double
        public let width: Double
        public let height: Double
    }

    /// How much of the frame the product covers.
    public struct Fill: Sendable, Equatable, Codable {
        /// The bounding box's area over the frame's.
        public let boundingBox: Double
        /// The product's own pixels (the mask) over the frame's.
        public let mask: Double
    }

    /// What the product stands on: the pixels outside the cutout's mask grown by 1.5% of the
    /// shorter side, or the frame's outer ring when the product leaves less than 5% of the
    /// frame outside it.
    public struct Background: Sendable, Equatable, Codable {
        public enum Kind: String, Sendable, Codable, CaseIterable {
            /// At least 90% of the pixels near white, every channel ≥ 220: a lit white sweep
            /// measures 235–249, not the 255 a marketplace asks for (see `pureWhiteShare`).
            case white
            /// One colour: little spread in CIELAB and almost no edges (studio paper, a grey
            /// or dark backdrop, a soft gradient).
            case uniform
            /// More colour spread, but no structure: few long edges (a paper or fabric grain,
            /// a wall above a plain table).
            case textured
            /// A scene: long edges of furniture and frames, or many distinct colour regions.
            case cluttered
            /// The photo carries its own transparency: there is no backdrop to judge.
            case transparent
        }

        public let kind: Kind
        /// Mean colour as `#rrggbb`; nil for transparency.
        public let color: String?
        /// Share of the pixels with every channel ≥ 220; `kind` is `.white` from 0.9.
        public let nearWhiteShare: Double
        /// Share of the pixels with every channel ≥ 250: white as marketplaces mean it.
        public let pureWhiteShare: Double
        /// Square root of the summed CIELAB variances.
        public let colorSpread: Double
        /// Share of the pixels on edges of the long chains a scene's objects draw.
        public let longEdgeDensity: Double
        /// The product left under 5% of the frame around it, so the frame's outer ring was
        /// measured instead (a close-up, or a cutout that kept the whole photo).
        public let measuredOnBorder: Bool
    }

    /// Variance of the Laplacian of luma (0...255) over the product and a 2-pixel rim, with its
    /// bounding box resampled to `ProductAnalysis.sharpnessSide` pixels on the longer side.
    public struct Sharpness: Sendable, Equatable, Codable {
        public let laplacianVariance: Double
        public let isBlurry: Bool
    }

    public struct Exposure: Sendable, Equatable, Codable {
        public enum Verdict: String, Sendable, Codable, CaseIterable { case under, ok, over }

        /// Mean CIELAB lightness of the product, as a fraction (L* / 100).
        public let meanLuminance: Double
        /// Share of the product's pixels with every channel ≥ 250.
        public let clippedHighlights: Double
        /// Share of the product's pixels with every channel ≤ 5.
        public let clippedShadows: Double
        public let verdict: Verdict
    }

    /// One of the product's main colours.
    public struct DominantColor: Sendable, Equatable, Codable {
        /// The cluster's mean colour, `#rrggbb`.
        public let hex: String
        /// Share (0...1) of the product's pixels.
        public let share: Double
        /// The nearest common e-commerce colour name (CIEDE2000), e.g. "navy", "charcoal".
        public let name: String
    }

    public let width: Int
    public let height: Int
    public let orientation: Orientation
    public let format: ImageFormat
    /// The product's bounding box (alpha ≥ 128 of the cutout).
    public let boundingBox: Box
    public let fill: Fill
    public let background: Background
    /// 0...1: how far the cutout's mask can be trusted.
    public let cutoutConfidence: Double
    public let sharpness: Sharpness
    public let exposure: Exposure
    /// Largest first; each at least 3% of the product.
    public let dominantColors: [DominantColor]
    /// The photo's own title from its metadata, if it carries a real one.
    public let embeddedTitle: String?

    /// The product's longer side, in pixels, at which sharpness is measured.
    public static let sharpnessSide = 512
}

extension ImageEngine {
    /// Measures a product photo (see `ProductAnalysis`). Deterministic: the same bytes give the
    /// same analysis. Costs about one cutout: the segmentation at working size, plus a decode
    /// of the product's region for sharpness that runs on the second core meanwhile.
    public func analyze(source: [UInt8]) throws(ImagingError) -> ProductAnalysis {
        ProductAnalysis(measuring: try measurements(of: source))
    }

    /// Everything the analysis decides from, as measured.
    struct AnalysisMeasurements {
        let format: ImageFormat
        let width: Int
        let height: Int
        let segmentation: Segmentation
        let background: pv_background_measure
        let fit: pv_mask_measure
        let exposure: pv_exposure_measure
        let clusters: [pv_colour_cluster]
        let laplacianVariance: Double
        let reblurredVariance: Double
        let title: String?
    }

    func measurements(of source: [UInt8]) throws(ImagingError) -> AnalysisMeasurements {
        let (format, header) = try inspect(source)
        let seeded = try seed(source, header: header)
        let workScale = Double(seeded.work.width) / Double(header.width)
        // Sharpness wants the product at least `sharpnessSide` pixels long: the seed says where
        // it is, so that resolution decodes while GrabCut runs, as the styles' renders do.
        func neededScale(_ box: PixelRect) -> Double {
            min(1, Double(ProductAnalysis.sharpnessSide) / (Double(max(1, max(box.width, box.height))) / workScale))
        }
        func decodeScale(_ needed: Double) -> Double { [1.0, 0.5, 0.25, 0.125].last { $0 >= needed * 0.98 } ?? 1 }
        @Sendable func decode(at scale: Double) throws(ImagingError) -> Raster {
            try Vips.decode(
                source, fittingIn: max(1, Int((Double(header.width) * scale).rounded(.up))),
                max(1, Int((Double(header.height) * scale).rounded(.up))))
        }
        let expected = decodeScale(neededScale(seeded.estimate))
        let pending = Concurrently { () throws(ImagingError) in try decode(at: expected) }
        let title = EmbeddedTitle.read(source)
        let segmentation = try seeded.finish()
        let speculative = try pending.result()
        let wanted = decodeScale(neededScale(segmentation.box))
        let detailed = expected >= wanted ? speculative : try decode(at: wanted)

        let work = segmentation.work
        let mask = segmentation.mask
        var background = pv_background_measure(), fit = pv_mask_measure(), exposure = pv_exposure_measure()
        var clusters = [pv_colour_cluster](repeating: pv_colour_cluster(), count: 16)
        var clusterCount: Int32 = 0
        let (measured, clustered) = work.pixels.withUnsafeBufferPointer { pixels in
            mask.withUnsafeBufferPointer { mask in
                (pv_cv_measure_photo(pixels.baseAddress, Int32(work.width), Int32(work.height), Int32(work.bands), work.width * work.bands, mask.baseAddress,
                                     &background, &fit, &exposure),
                 clusters.withUnsafeMutableBufferPointer {
                     pv_cv_colour_clusters(pixels.baseAddress, Int32(work.width), Int32(work.height), Int32(work.bands), work.width * work.bands, mask.baseAddress,
                                           Int32(ProductAnalysis.clusterCount), $0.baseAddress, &clusterCount)
                 })
            }
        }
        guard measured == 0 else { throw .processingFailed("measuring the photo failed (\(measured))") }
        guard clustered == 0 || clustered == Int32(PV_CV_NO_SUBJECT.rawValue) else {
            throw .processingFailed("clustering the product's colours failed (\(clustered))")
        }

        var variance = 0.0, reblurred = 0.0
        let sharpness = detailed.pixels.withUnsafeBufferPointer { pixels in
            mask.withUnsafeBufferPointer {
                pv_cv_sharpness(pixels.baseAddress, Int32(detailed.width), Int32(detailed.height), Int32(detailed.bands),
                                detailed.width * detailed.bands,
                                $0.baseAddress, Int32(work.width), Int32(work.height), Int32(ProductAnalysis.sharpnessSide),
                                &variance, &reblurred)
            }
        }
        guard sharpness == 0 else { throw .processingFailed("measuring sharpness failed (\(sharpness))") }
        return AnalysisMeasurements(
            format: format, width: header.width, height: header.height, segmentation: segmentation,
            background: background, fit: fit, exposure: exposure, clusters: Array(clusters.prefix(Int(clusterCount))),
            laplacianVariance: variance, reblurredVariance: reblurred, title: title)
    }
}

// MARK: Decisions

extension ProductAnalysis {
    /// Colour clusters before merging: enough for a two-tone product with its shading.
    static let clusterCount = 8
    /// Clusters closer than this (CIEDE2000) are one colour: shading within a material.
    static let mergeDistance = 10.0
    /// Colours under this share of the product are details, not its colours.
    static let minimumShare = 0.03

    init(measuring m: ImageEngine.AnalysisMeasurements) {
        width = m.width
        height = m.height
        let ratio = Double(abs(m.width - m.height)) / Double(max(m.width, m.height))
        orientation = ratio <= 0.02 ? .square : (m.width > m.height ? .landscape : .portrait)
        format = m.format

        let work = m.segmentation.work
        let box = m.segmentation.box
        boundingBox = Box(
            x: Double(box.x) / Double(work.width), y: Double(box.y) / Double(work.height),
            width: Double(box.width) / Double(work.width), height: Double(box.height) / Double(work.height))
        fill = Fill(boundingBox: boundingBox.width * boundingBox.height, mask: m.fit.mask_share)

        background = Self.background(m)
        cutoutConfidence = Self.confidence(m)
        sharpness = Sharpness(laplacianVariance: m.laplacianVariance, isBlurry: Self.isBlurry(m))
        exposure = Exposure(
            meanLuminance: m.exposure.mean_lightness / 100, clippedHighlights: m.exposure.clipped_highlights,
            clippedShadows: m.exposure.clipped_shadows, verdict: Self.exposureVerdict(m.exposure))
        dominantColors = Self.dominantColors(m.clusters)
        embeddedTitle = m.title
    }

    static func background(_ m: ImageEngine.AnalysisMeasurements) -> Background {
        let b = m.background
        let mean = RGBColor(
            r: UInt8(clamping: Int(b.mean_rgb.0.rounded())), g: UInt8(clamping: Int(b.mean_rgb.1.rounded())),
            b: UInt8(clamping: Int(b.mean_rgb.2.rounded())))
        if m.segmentation.hadAlpha {
            return Background(
                kind: .transparent, color: nil, nearWhiteShare: 0, pureWhiteShare: 0, colorSpread: 0, longEdgeDensity: 0,
                measuredOnBorder: false)
        }
        return Background(
            kind: backgroundKind(b), color: mean.hex, nearWhiteShare: b.near_white_share, pureWhiteShare: b.pure_white_share,
            colorSpread: b.lab_spread, longEdgeDensity: b.long_edge_density, measuredOnBorder: b.from_border != 0)
    }

    /// Thresholds from the bench (AnalysisTests prints the table): lit white sweeps measure
    /// 235–249 a channel, grey studio backdrops at most 210; paper and fabric grain has a local
    /// L* spread of 1.3–1.4 where plain backdrops have 0.2–0.3; a wall above a table spreads
    /// ~22 in CIELAB but draws almost no long edges (≤ 0.23% of the pixels) where rooms draw
    /// 0.3–9% or show six or more distinct colour cells.
    static func backgroundKind(_ b: pv_background_measure) -> Background.Kind {
        if b.near_white_share >= 0.9 { return .white }
        if b.long_edge_density > 0.003 || b.colour_regions >= 6 { return .cluttered }
        if b.local_spread < 0.7 && b.lab_spread < 8 { return .uniform }
        return .textured
    }

    /// The product of what makes a mask trustworthy, each 0...1:
    /// - its outline follows the photo: half the share of outline pixels with a colour step
    ///   above 10 across them, half the share within 2 px of a strong edge;
    /// - the segmentation's own confidence in its backdrop model (weighted half);
    /// - it does not run off the frame (each 1% of the frame's edge it covers costs 3%);
    /// - it is one piece: the largest component's share of the mask;
    /// - on a busy background, it is not a large part of the frame (a scene's mask that takes
    ///   in half the room is more likely furniture than product).
    /// On the bench's studio set it correlates with the IoU against the true masks (AnalysisTests).
    static func confidence(_ m: ImageEngine.AnalysisMeasurements) -> Double {
        if m.segmentation.hadAlpha { return 1 }
        let f = m.fit
        func unit(_ x: Double) -> Double { min(1, max(0, x)) }
        let outline = 0.5 * f.contrasted_share + 0.5 * f.boundary_on_edges
        let prior = 0.5 + 0.5 * m.segmentation.confidence
        let framed = unit(1 - 3 * f.frame_contact)
        let busy = unit(m.background.long_edge_density / 0.01)
        let crowded = 1 - busy * unit((f.mask_share - 0.3) / 0.3)
        return unit(outline * prior * framed * f.main_component * crowded)
    }

    /// Blurry: the finest detail is gone. A sharp photo loses most of its Laplacian energy to a
    /// further blur of sigma 1 (the bench's originals keep at most 1/3.9 of it); one blurred by
    /// about a pixel or more at this scale keeps more than 1/3.5. Below a variance of 25 there is
    /// too little detail to tell, and too little to look sharp.
    static func isBlurry(_ m: ImageEngine.AnalysisMeasurements) -> Bool {
        m.laplacianVariance < 25 || m.laplacianVariance < 3.5 * m.reblurredVariance
    }

    /// Under: nothing in the frame comes near white; its brightest 0.1% stay below L* 60 (the
    /// bench's low-key studio shots keep specular highlights at 65 and above; every bench photo
    /// darkened to half its values stays under 54).
    /// Over: a quarter of the product blown to white, the product light overall, and no deep
    /// shadow left anywhere in the frame (its darkest 0.1% above L* 30). A label printed black
    /// on white paper, or a white product whose pins or base stay dark, is a white subject, not
    /// an overexposed one.
    static func exposureVerdict(_ e: pv_exposure_measure) -> Exposure.Verdict {
        if e.frame_peak < 60 { return .under }
        if e.clipped_highlights >= 0.25 && e.mean_lightness >= 75 && e.frame_floor > 30 { return .over }
        return .ok
    }

    /// Merges clusters closer than `mergeDistance` (the closest pair first, weighted by share),
    /// drops those under `minimumShare`, and names each.
    static func dominantColors(_ clusters: [pv_colour_cluster]) -> [DominantColor] {
        var colours = clusters.map { (lab: CIELAB(l: $0.lab.0, a: $0.lab.1, b: $0.lab.2), share: $0.share) }
        while colours.count > 1 {
            var best: (i: Int, j: Int, distance: Double)?
            for i in 0..<colours.count {
                for j in (i + 1)..<colours.count {
                    let distance = colours[i].lab.deltaE2000(colours[j].lab)
                    if distance < (best?.distance ?? mergeDistance) { best = (i, j, distance) }
                }
            }
            guard let (i, j, _) = best else { break }
            let total = colours[i].share + colours[j].share
            let weight = colours[j].share / total
            colours[i] = (colours[i].lab.mixed(with: colours[j].lab, weight: weight), total)
            colours.remove(at: j)
        }
        // Clusters that take the same name are one colour to a reader (two shades of navy).
        var named: [(name: String, lab: CIELAB, share: Double)] = []
        for colour in colours.sorted(by: { $0.share > $1.share }) {
            let name = ColorNames.nearest(to: colour.lab)
            if let index = named.firstIndex(where: { $0.name == name }) {
                let total = named[index].share + colour.share
                named[index].lab = named[index].lab.mixed(with: colour.lab, weight: colour.share / total)
                named[index].share = total
            } else {
                named.append((name, colour.lab, colour.share))
            }
        }
        return named.filter { $0.share >= minimumShare }.sorted { $0.share > $1.share }.map {
            DominantColor(hex: $0.lab.rgb.hex, share: $0.share, name: $0.name)
        }
    }
}
