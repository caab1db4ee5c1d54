import Foundation
import COpenCV

extension ImageEngine {
    /// Largest side the try-on composes at: person and garment photos are decoded no larger.
    static let tryOnSide = 2048
    /// The second, finer face search: faces from this share of the photo's long side, the
    /// photo enlarged towards this long side (at most 4 times).
    static let smallFaceShare = 0.025
    static let smallFaceSide = 1536

    /// A person photo measured for the try-on: the public analysis, and the photo and silhouette
    /// at the size the garment is laid at.
    struct PersonModel {
        let analysis: PersonAnalysis
        /// RGB at composition size.
        let photo: Raster
        /// Soft silhouette (0–255) at composition size.
        let silhouette: [UInt8]
        /// Face and landmarks at composition size.
        let face: PixelRect
        let landmarks: PersonLandmarks
        let torsoPolygon: [ImagePoint]
    }

    struct GarmentModel {
        let analysis: GarmentAnalysis
        /// The cutout, straight-alpha RGBA at composition size.
        var layer: Raster
        /// Landmarks in the layer's pixels.
        let landmarks: GarmentLandmarks
    }

    /// The person in a photo: silhouette, face and the landmarks a garment is laid on.
    ///
    /// The cutout's segmentation gives the silhouette; the largest face the Haar cascades find
    /// (as `detectFaces(source:)`) anchors it; the landmarks come from the silhouette's width
    /// profile read in head units. `height` (50–250 cm) and `weight` (10–300 kg) refine the
    /// proportions: fewer head heights for a child, wider torso widths for a higher body mass index.
    ///
    /// - Throws: `invalidSpec` naming the problem when the photo shows no person (no face, or no
    ///   body under it) or height or weight is out of range; decoding errors as elsewhere.
    public func analyzePerson(source: [UInt8], height: Double? = nil, weight: Double? = nil) throws(ImagingError) -> PersonAnalysis {
        try Self.validateBody(height: height, weight: weight)
        return try personModel(source, height: height, weight: weight, composing: false).analysis
    }

    /// The garment in a product photo: its cutout, its category (`category` if given, else read
    /// from the shape) and its landmarks (collar, shoulder seams, sleeve ends, hem; waistband,
    /// crotch and leg hems for bottoms).
    ///
    /// - Throws: `invalidSpec` naming the problem when nothing garment-like stands out of the
    ///   photo's background; decoding errors as elsewhere.
    public func analyzeGarment(source: [UInt8], category: GarmentCategory? = nil) throws(ImagingError) -> GarmentAnalysis {
        try garmentModel(source, category: category, composing: false).analysis
    }

    static func validateBody(height: Double?, weight: Double?) throws(ImagingError) {
        if let height, !(TryOnOptions.heightRange.contains(height)) || !height.isFinite {
            throw .invalidSpec("height must be between 50 and 250 cm (got \(height))")
        }
        if let weight, !(TryOnOptions.weightRange.contains(weight)) || !weight.isFinite {
            throw .invalidSpec("weight must be between 10 and 300 kg (got \(weight))")
        }
    }

    /// The person from the cutout's silhouette, the Haar cascades' face and the silhouette's
    /// width profile read in head units: the path without the person models.
    func classicalPerson(_ source: [UInt8], header: Vips.Header, height: Double?, weight: Double?) throws(ImagingError) -> PersonMeasurement {
        let (faces, segmentation) = try personFaces(source, header: header)
        let work = segmentation.work
        let toWork = Double(work.width) / Double(header.width)
        let rgb = try work.flattened()
        let subject = segmentation.confidence > 0 || segmentation.hadAlpha
        var found = faces.first
        if found == nil, subject { found = try Self.headlessFace(rgb, mask: segmentation.mask, toSource: 1 / toWork) }
        guard let candidate = found else {
            throw .invalidSpec("person image: no person found (no face was detected, and no body whose head the frame cuts off; the try-on needs a person facing the camera)")
        }
        guard subject else {
            throw .invalidSpec("person image: the person could not be separated from the background")
        }
        var person = pv_vto_person()
        var silhouette = [UInt8](repeating: 0, count: work.width * work.height)
        func landmarks(_ face: PixelRect) throws(ImagingError) -> Bool {
            // The cutout, repaired where it lost part of the body.
            var mask = segmentation.mask
            var repaired: Int32 = 0
            let repair = rgb.pixels.withUnsafeBufferPointer { pixels in
                mask.withUnsafeMutableBufferPointer {
                    pv_cv_vto_person_mask(pixels.baseAddress, rgb.width * 3, $0.baseAddress, Int32(work.width), Int32(work.height),
                                          Int32((Double(face.x) * toWork).rounded()), Int32((Double(face.y) * toWork).rounded()),
                                          Int32((Double(face.width) * toWork).rounded()), Int32((Double(face.height) * toWork).rounded()), &repaired)
                }
            }
            guard repair == 0 else { throw .processingFailed("person mask repair failed (\(repair))") }
            let status = rgb.pixels.withUnsafeBufferPointer { pixels in
                mask.withUnsafeBufferPointer { mask in
                    silhouette.withUnsafeMutableBufferPointer { out in
                        pv_cv_vto_person(pixels.baseAddress, rgb.width * 3, mask.baseAddress, Int32(work.width), Int32(work.height),
                                         Int32((Double(face.x) * toWork).rounded()), Int32((Double(face.y) * toWork).rounded()),
                                         Int32((Double(face.width) * toWork).rounded()), Int32((Double(face.height) * toWork).rounded()),
                                         height ?? 0, weight ?? 0, &person, out.baseAddress)
                    }
                }
            }
            switch Int(status) {
            case Int(PV_CV_OK.rawValue): return true
            case Int(PV_CV_NO_SUBJECT.rawValue): return false
            default: throw .processingFailed("person analysis failed (\(status))")
            }
        }
        var face = candidate
        var detected = !faces.isEmpty
        if try !landmarks(face) {
            // A face with no body under it (a print, a reflection): perhaps the frame cut the real head off.
            guard detected, subject, let headless = try Self.headlessFace(rgb, mask: segmentation.mask, toSource: 1 / toWork),
                  try landmarks(headless) else {
                throw .invalidSpec("person image: no person found (a face was detected but no body below it)")
            }
            face = headless
            detected = false
        }
        return PersonMeasurement(work: rgb, person: person, silhouette: silhouette, face: face, faceDetected: detected)
    }

    /// A person measured at the analysis' working size: the photo there, the landmarks and the
    /// cleaned silhouette in its pixels, and the face in source pixels.
    struct PersonMeasurement {
        let work: Raster
        let person: pv_vto_person
        let silhouette: [UInt8]
        let face: PixelRect
        let faceDetected: Bool
    }

    func personModel(_ source: [UInt8], height: Double?, weight: Double?, composing: Bool) throws(ImagingError) -> PersonModel {
        let header = try checkedHeader(source).header
        let measured = models.seesPeople
            ? try posedPerson(source, header: header, height: height, weight: weight)
            : try classicalPerson(source, header: header, height: height, weight: weight)
        let work = measured.work, silhouette = measured.silhouette, person = measured.person
        let face = measured.face, detected = measured.faceDetected
        let toWork = Double(work.width) / Double(header.width)
        // A silhouette filling the frame is the background taken for the person.
        let share = Double(silhouette.lazy.filter { $0 >= 128 }.count) / Double(silhouette.count)
        guard share < 0.9 else { throw .invalidSpec("person image: the person could not be separated from the background") }

        let sourceLandmarks = PersonLandmarks(person, scale: 1 / toWork)
        let analysis = PersonAnalysis(
            width: header.width, height: header.height, mask: silhouette, maskWidth: work.width, maskHeight: work.height,
            face: face, faceDetected: detected, landmarks: sourceLandmarks, torsoPolygon: sourceLandmarks.torsoPolygon, heightCm: height, weightKg: weight)
        guard composing else {
            return PersonModel(analysis: analysis, photo: work, silhouette: [], face: face, landmarks: sourceLandmarks, torsoPolygon: [])
        }

        // At composition size: the photo, and the silhouette refined to a soft edge there.
        let photo = try Vips.decode(source, fittingIn: Self.tryOnSide, Self.tryOnSide).flattened()
        let refined = try Vision.refine(photo, coarse: silhouette, coarseWidth: work.width, coarseHeight: work.height,
                                        region: (0, 0, Double(work.width), Double(work.height)))
        let toPhoto = Double(photo.width) / Double(work.width)
        let landmarks = PersonLandmarks(person, scale: toPhoto)
        let scaleFace = Double(photo.width) / Double(header.width)
        let photoFace = PixelRect(x: Int((Double(face.x) * scaleFace).rounded()), y: Int((Double(face.y) * scaleFace).rounded()),
                                  width: Int((Double(face.width) * scaleFace).rounded()), height: Int((Double(face.height) * scaleFace).rounded()))
        return PersonModel(analysis: analysis, photo: photo, silhouette: refined.alpha, face: photoFace, landmarks: landmarks,
                           torsoPolygon: landmarks.torsoPolygon)
    }

    /// Where the face of a person whose head the frame cuts off would be, in source pixels.
    static func headlessFace(_ rgb: Raster, mask: [UInt8], toSource: Double) throws(ImagingError) -> PixelRect? {
        var x: Int32 = 0, y: Int32 = 0, w: Int32 = 0, h: Int32 = 0
        let status = rgb.pixels.withUnsafeBufferPointer { pixels in
            mask.withUnsafeBufferPointer { pv_cv_vto_headless(pixels.baseAddress, rgb.width * 3, $0.baseAddress, Int32(rgb.width), Int32(rgb.height), &x, &y, &w, &h) }
        }
        switch Int(status) {
        case Int(PV_CV_OK.rawValue):
            return PixelRect(x: Int((Double(x) * toSource).rounded()), y: Int((Double(y) * toSource).rounded()),
                             width: Int((Double(w) * toSource).rounded()), height: Int((Double(h) * toSource).rounded()))
        case Int(PV_CV_NO_SUBJECT.rawValue): return nil
        default: throw .processingFailed("person analysis failed (\(status))")
        }
    }

    /// Faces and the segmentation as `detectFaces` finds them. When it finds none, the top of
    /// the silhouette (where a standing person's head is) is searched again, enlarged: a
    /// full-body shot's face is 3–5% of the photo's height, below what the cascades find reliably
    /// at `detectFaces`' working size.
    func personFaces(_ source: [UInt8], header: Vips.Header) throws(ImagingError) -> (faces: [PixelRect], segmentation: Segmentation) {
        let found = try faces(source, header: header)
        guard found.faces.isEmpty else { return found }
        let segmentation = found.segmentation
        guard segmentation.confidence > 0 || segmentation.hadAlpha else { return found }
        let detector = try Vision.FaceDetector.shared.get()
        let work = segmentation.work
        let toSource = Double(header.width) / Double(work.width)
        let box = segmentation.box
        let margin = Int(0.03 * Double(max(header.width, header.height)))
        let left = max(0, Int(Double(box.x) * toSource) - margin), top = max(0, Int(Double(box.y) * toSource) - margin)
        let right = min(header.width, Int(Double(box.x + box.width) * toSource) + margin)
        let bottom = min(header.height, top + Int(0.4 * Double(box.height) * toSource) + margin)
        guard right - left >= 24, bottom - top >= 24 else { return found }
        let (crop, origin) = try Vips.decodeRegion(source, shrink: 1, region: PixelRect(x: left, y: top, width: right - left, height: bottom - top))
        let long = max(header.width, header.height)
        let factor = min(4, max(1, Double(Self.smallFaceSide) / Double(long)))
        let image = try crop.flattened()
        let enlarged = factor > 1.05
            ? try Vision.resize(image, width: Int(Double(image.width) * factor), height: Int(Double(image.height) * factor)) : image
        let scale = Double(image.width) / Double(enlarged.width)
        let minSide = max(24, Int(Self.smallFaceShare * Double(long) / scale))
        var faces: [PixelRect] = []
        for candidate in try detector.candidates(in: enlarged, minSide: minSide) {
            let b = candidate.box
            let inSource = PixelRect(x: origin.x + Int((Double(b.x) * scale).rounded()), y: origin.y + Int((Double(b.y) * scale).rounded()),
                                     width: Int((Double(b.width) * scale).rounded()), height: Int((Double(b.height) * scale).rounded()))
            if !candidate.strong {
                let inMask = PixelRect(x: Int(Double(inSource.x) / toSource), y: Int(Double(inSource.y) / toSource),
                                       width: max(1, Int(Double(inSource.width) / toSource)), height: max(1, Int(Double(inSource.height) / toSource)))
                guard try Vision.headOnSubject(segmentation.mask, width: work.width, height: work.height, face: inMask) else { continue }
            }
            faces.append(inSource)
        }
        return (faces.sorted { $0.width * $0.height > $1.width * $1.height }, segmentation)
    }

    func garmentModel(_ source: [UInt8], category: GarmentCategory?, composing: Bool) throws(ImagingError) -> GarmentModel {
        let header = try checkedHeader(source).header
        let segmentation = try productSegmentation(source, header: header, subject: .tryOnPhoto)
        guard segmentation.confidence > 0 || segmentation.hadAlpha else {
            throw .invalidSpec("garment image: no garment found (nothing stands out from the background)")
        }
        let work = segmentation.work
        let rgb = try work.flattened()
        var garment = pv_vto_garment()
        var cleaned = [UInt8](repeating: 0, count: work.width * work.height)
        let forced: Int32 = switch category {
        case nil: -1
        case .top: Int32(PV_VTO_TOP.rawValue)
        case .bottom: Int32(PV_VTO_BOTTOM.rawValue)
        case .dress: Int32(PV_VTO_DRESS.rawValue)
        case .outerwear: Int32(PV_VTO_OUTERWEAR.rawValue)
        }
        let status = rgb.pixels.withUnsafeBufferPointer { pixels in
            segmentation.mask.withUnsafeBufferPointer { mask in
                cleaned.withUnsafeMutableBufferPointer { out in
                    pv_cv_vto_garment(pixels.baseAddress, rgb.width * 3, mask.baseAddress, Int32(work.width), Int32(work.height),
                                      forced, &garment, out.baseAddress)
                }
            }
        }
        switch Int(status) {
        case Int(PV_CV_OK.rawValue): break
        case Int(PV_CV_NO_SUBJECT.rawValue): throw .invalidSpec("garment image: no garment found (no garment-sized shape stands out)")
        default: throw .processingFailed("garment analysis failed (\(status))")
        }
        let toSource = Double(header.width) / Double(work.width)
        let evidence = GarmentShapeEvidence(garment)
        let decided = GarmentCategory(code: garment.category)
        let decision: GarmentAnalysis.CategoryDecision = category != nil ? .given : .shape(evidence.explanation(for: decided))
        let analysis = GarmentAnalysis(
            width: header.width, height: header.height, mask: cleaned, maskWidth: work.width, maskHeight: work.height,
            category: decided, categoryDecision: decision, landmarks: GarmentLandmarks(garment, category: decided, scale: toSource),
            evidence: evidence)
        guard composing else { return GarmentModel(analysis: analysis, layer: work, landmarks: analysis.landmarks) }

        let full = try Vips.decode(source, fittingIn: Self.tryOnSide, Self.tryOnSide)
        let layer: Raster
        if segmentation.hadAlpha {
            // The photo's own alpha, limited to the garment's piece.
            var rgba = full.rgba
            let scale = Double(work.width) / Double(full.width)
            for y in 0..<full.height {
                let wy = min(work.height - 1, Int(Double(y) * scale))
                for x in 0..<full.width where cleaned[wy * work.width + min(work.width - 1, Int(Double(x) * scale))] < 128 {
                    rgba.pixels[(y * full.width + x) * 4 + 3] = 0
                }
            }
            layer = rgba
        } else {
            layer = try Vision.refine(full.rgb, coarse: cleaned, coarseWidth: work.width, coarseHeight: work.height,
                                      region: (0, 0, Double(work.width), Double(work.height)))
        }
        let toLayer = Double(layer.width) / Double(work.width)
        return GarmentModel(analysis: analysis, layer: layer, landmarks: GarmentLandmarks(garment, category: decided, scale: toLayer))
    }
}

// MARK: - From the C structs

private func point(_ p: pv_vto_point, _ scale: Double) -> ImagePoint { ImagePoint(x: p.x * scale, y: p.y * scale) }

private func pair(_ t: (pv_vto_point, pv_vto_point), _ scale: Double) -> Sides<ImagePoint> {
    Sides(left: point(t.0, scale), right: point(t.1, scale))
}

private func outlineArray<T>(_ tuple: T) -> [Double] {
    withUnsafeBytes(of: tuple) { Array($0.bindMemory(to: Double.self)) }
}

extension PersonLandmarks {
    init(_ p: pv_vto_person, scale: Double) {
        headHeight = p.head_unit * scale
        headsTall = p.heads_tall
        buildFactor = p.width_factor
        chinY = p.chin_y * scale
        neck = point(p.neck, scale)
        neckWidth = p.neck_width * scale
        shoulders = pair(p.shoulder, scale)
        shoulderWidth = p.shoulder_width * scale
        armpits = pair(p.armpit, scale)
        chest = pair(p.chest, scale)
        waist = pair(p.waist, scale)
        hips = pair(p.hip, scale)
        crotch = point(p.crotch, scale)
        elbows = pair(p.elbow, scale)
        wrists = pair(p.wrist, scale)
        hands = pair(p.hand, scale)
        armOuterEdges = pair(p.arm_outer, scale)
        armInnerEdges = pair(p.arm_inner, scale)
        armWidths = Sides(left: p.arm_width.0 * scale, right: p.arm_width.1 * scale)
        armsSeen = Sides(left: p.arm_seen.0 != 0, right: p.arm_seen.1 != 0)
        knees = pair(p.knee, scale)
        ankles = pair(p.ankle, scale)
        legWidths = Sides(left: p.leg_width.0 * scale, right: p.leg_width.1 * scale)
        legsSeen = p.legs_seen != 0
        cutOffAtBottom = p.runs_off_bottom != 0
        let ys = outlineArray(p.torso_y), lefts = outlineArray(p.torso_left), rights = outlineArray(p.torso_right)
        let measured = withUnsafeBytes(of: p.torso_measured) { Array($0.bindMemory(to: Int32.self)) }
        torsoOutline = (0..<ys.count).map { (ys[$0] * scale, lefts[$0] * scale, rights[$0] * scale, measured[$0] != 0) }
    }

    /// Left shoulder, down the left edge, across at the crotch, up the right edge, right shoulder.
    var torsoPolygon: [ImagePoint] {
        var points = [shoulders.left]
        points += torsoOutline.map { ImagePoint(x: $0.left, y: $0.y) }
        points += torsoOutline.reversed().map { ImagePoint(x: $0.right, y: $0.y) }
        points.append(shoulders.right)
        points.append(ImagePoint(x: neck.x + neckWidth / 2, y: neck.y))
        points.append(ImagePoint(x: neck.x - neckWidth / 2, y: neck.y))
        return points
    }

    /// The torso's edges at a row, interpolated along the outline (clamped at its ends).
    func torsoEdges(at y: Double) -> (left: Double, right: Double) {
        let rows = torsoOutline
        guard let first = rows.first, let last = rows.last else { return (neck.x - shoulderWidth / 2, neck.x + shoulderWidth / 2) }
        if y <= first.y { return (first.left, first.right) }
        if y >= last.y { return (last.left, last.right) }
        for index in 1..<rows.count where y <= rows[index].y {
            let a = rows[index - 1], b = rows[index]
            let t = (y - a.y) / max(1e-9, b.y - a.y)
            return (a.left + (b.left - a.left) * t, a.right + (b.right - a.right) * t)
        }
        return (last.left, last.right)
    }
}

extension GarmentCategory {
    init(code: Int32) {
        switch code {
        case Int32(PV_VTO_BOTTOM.rawValue): self = .bottom
        case Int32(PV_VTO_DRESS.rawValue): self = .dress
        case Int32(PV_VTO_OUTERWEAR.rawValue): self = .outerwear
        default: self = .top
        }
    }
}

extension GarmentShapeEvidence {
    init(_ g: pv_vto_garment) {
        aspect = g.aspect
        legSplit = g.leg_split
        sleeveReach = g.sleeve_reach
        neckDip = g.neck_dip
        topCoverage = g.top_coverage
        strapShare = g.strap_share
        centreOpening = g.centre_opening
        hasSleeves = g.has_sleeves != 0
        longSleeves = g.long_sleeves != 0
    }

    /// The rule that decided, in words, with its numbers.
    func explanation(for category: GarmentCategory) -> String {
        func f(_ value: Double) -> String { String(format: "%.2f", value) }
        let flatTop = neckDip < 0.03 && strapShare < 0.2 && topCoverage > 0.6 && sleeveReach <= 1.25
        switch category {
        case .bottom where legSplit >= 0.5:
            return "two legs: \(Int((legSplit * 100).rounded()))% of the lower rows split around the centre line"
        case .bottom:
            return "a flat waistband (covers \(Int((topCoverage * 100).rounded()))% of the width, no neckline or straps, no sleeves) and skirt proportions (height/width \(f(aspect)))"
        case .dress where flatTop:
            return "a flat top edge with no neckline or sleeves and a long body (height/width \(f(aspect)) > 2.8): a strapless dress"
        case .dress:
            return "a neckline or straps and a long body (height/width \(f(aspect)) > 2.8)"
        case .outerwear:
            return "long sleeves and a front opening (vertical centre edge on \(Int((centreOpening * 100).rounded()))% of rows, neckline dip \(f(neckDip)))"
        case .top where flatTop:
            return "a flat top edge with no sleeves and a short body (height/width \(f(aspect)) < 0.75): a tube top"
        case .top:
            let parts = hasSleeves ? (longSleeves ? "long sleeves" : "short sleeves") : (strapShare >= 0.2 ? "straps" : "no sleeves")
            return "a neckline or straps (\(parts)) and a body no longer than a top's (height/width \(f(aspect)) ≤ 2.8), no front opening"
        }
    }
}

extension GarmentLandmarks {
    init(_ g: pv_vto_garment, category: GarmentCategory, scale: Double) {
        collar = point(g.collar, scale)
        neck = pair(g.neck, scale)
        shoulders = pair(g.shoulder, scale)
        armpits = pair(g.armpit, scale)
        if g.has_sleeves != 0 {
            let outer = pair(g.sleeve_outer, scale), inner = pair(g.sleeve_inner, scale)
            // A side without a sleeve reports its shoulder and armpit: no sleeve there.
            let left: (outer: ImagePoint, inner: ImagePoint)? = outer.left == point(g.shoulder.0, scale) ? nil : (outer.left, inner.left)
            let right: (outer: ImagePoint, inner: ImagePoint)? = outer.right == point(g.shoulder.1, scale) ? nil : (outer.right, inner.right)
            sleeveEnds = Sides(left: left, right: right)
        } else {
            sleeveEnds = Sides(left: nil, right: nil)
        }
        hem = pair(g.hem, scale)
        waistband = category == .bottom || category == .dress ? pair(g.waist, scale) : nil
        let trousers = category == .bottom && g.two_legs != 0
        crotch = trousers ? point(g.crotch, scale) : nil
        legHems = trousers
            ? Sides(left: (point(g.leg_outer.0, scale), point(g.leg_inner.0, scale)), right: (point(g.leg_outer.1, scale), point(g.leg_inner.1, scale)))
            : nil
        let ys = outlineArray(g.body_y), lefts = outlineArray(g.body_left), rights = outlineArray(g.body_right)
        outline = (0..<ys.count).map { (ys[$0] * scale, lefts[$0] * scale, rights[$0] * scale) }
    }
}
