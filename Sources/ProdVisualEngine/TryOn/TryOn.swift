import COpenCV
import Foundation

extension ImageEngine {
    /// Dresses the person in the garments: one image per outfit.
    ///
    /// Outfits: each top or outerwear item is paired with the earliest bottom not yet paired (in
    /// request order) and the two are dressed together in one image, the top over the bottom's
    /// waistband; every other item (dresses, and tops or bottoms left without a partner) gets an
    /// image of its own. Images come in the order of their first item. `outfitGroups` gives the
    /// grouping for a list of categories.
    ///
    /// - Throws: `invalidSpec` naming the input and the problem (`person image: no person found
    ///   …`, `garments[1]: no garment found …`, out-of-range height or weight, sizes); decoding
    ///   errors as elsewhere.
    public func tryOn(person: [UInt8], garments: [TryOnGarment], options: TryOnOptions = TryOnOptions()) throws(ImagingError) -> [RenderedImage] {
        try tryOnDetailed(person: person, garments: garments, options: options).map(\.image)
    }

    /// `tryOn` with each item as a tuple.
    public func tryOn(person: [UInt8], garments: [(bytes: [UInt8], category: GarmentCategory?, info: String?, recolor: RGBColor?)],
                      options: TryOnOptions = TryOnOptions()) throws(ImagingError) -> [RenderedImage] {
        try tryOn(person: person, garments: garments.map { TryOnGarment(bytes: $0.bytes, category: $0.category, info: $0.info, recolor: $0.recolor) },
                  options: options)
    }

    /// `tryOn` with, for each image, what it shows and where: the items, the person photo's
    /// placement, the garments' coverage and the untouched face, in output pixels.
    public func tryOnDetailed(person: [UInt8], garments: [TryOnGarment], options: TryOnOptions = TryOnOptions()) throws(ImagingError) -> [TryOnResult] {
        try Self.validate(options, garmentCount: garments.count)
        // The person on the second core while the garments are cut out here.
        let pending = Concurrently { [self] () throws(ImagingError) in
            try personModel(person, height: options.height, weight: options.weight, composing: true)
        }
        let garmentOutcome = Result { () throws(ImagingError) -> [GarmentModel] in try garmentModels(garments) }
        let model = try pending.result()
        let models = try garmentOutcome.get()
        let torso = try Self.polygonMask(model.torsoPolygon, width: model.photo.width, height: model.photo.height)

        var results: [TryOnResult] = []
        for group in Self.outfitGroups(models.map(\.analysis.category)) {
            var canvas = model.photo
            var coverages: [(index: Int, coverage: [UInt8])] = []
            for index in group.sorted(by: { models[$0].analysis.category.layer < models[$1].analysis.category.layer }) {
                let coverage = try dress(models[index], on: model, canvas: &canvas, torso: torso)
                coverages.append((index, coverage))
            }
            try retouch(&canvas, person: model, torso: torso, laid: coverages.map { (models[$0.index], $0.coverage) })
            results.append(try finish(canvas, person: model, items: group, coverages: coverages,
                                      infos: group.map { garments[$0].info }, categories: group.map { models[$0].analysis.category },
                                      options: options))
        }
        return results
    }

    /// Each garment cut out, analysed and recoloured; errors name the item.
    func garmentModels(_ garments: [TryOnGarment]) throws(ImagingError) -> [GarmentModel] {
        var models: [GarmentModel] = []
        for (index, garment) in garments.enumerated() {
            do throws(ImagingError) {
                var model = try garmentModel(garment.bytes, category: garment.category, composing: true)
                if let colour = garment.recolor { try Vision.recolour(&model.layer, to: colour) }
                models.append(model)
            } catch {
                throw Self.naming(error, "garments[\(index)]")
            }
        }
        return models
    }

    /// Items dressed together, by index: each top or outerwear item with the earliest unpaired
    /// bottom; everything else alone. Ordered by each group's first item.
    public static func outfitGroups(_ categories: [GarmentCategory]) -> [[Int]] {
        var partner: [Int: Int] = [:]
        var taken = Set<Int>()
        for (index, category) in categories.enumerated() where !taken.contains(index) {
            let wanted: (GarmentCategory) -> Bool = category.upperBody ? { $0 == .bottom } : category == .bottom ? { $0.upperBody } : { _ in false }
            if let other = categories.indices.first(where: { !taken.contains($0) && $0 != index && wanted(categories[$0]) }) {
                partner[index] = other
                taken.insert(index)
                taken.insert(other)
            }
        }
        var groups: [[Int]] = []
        var placed = Set<Int>()
        for index in categories.indices where !placed.contains(index) {
            if let other = partner[index] {
                groups.append([index, other].sorted())
                placed.insert(other)
            } else {
                groups.append([index])
            }
            placed.insert(index)
        }
        return groups
    }

    static func validate(_ options: TryOnOptions, garmentCount: Int) throws(ImagingError) {
        guard garmentCount > 0 else { throw .invalidSpec("garments: at least one garment is needed") }
        guard garmentCount <= 8 else { throw .invalidSpec("garments: at most 8 garments per try-on (got \(garmentCount))") }
        try validateBody(height: options.height, weight: options.weight)
        guard options.aspectRatio.width > 0, options.aspectRatio.height > 0,
              (0.1...10).contains(options.aspectRatio.value) else {
            throw .invalidSpec("aspectRatio \(options.aspectRatio) is not a usable ratio")
        }
        guard (1...100).contains(options.quality) else { throw .invalidSpec("quality must be between 1 and 100") }
        switch options.size {
        case .automatic: break
        case .longSide(let side):
            guard (64...8000).contains(side) else { throw .invalidSpec("the output's long side must be between 64 and 8000 pixels") }
        case .exact(let width, let height):
            guard (64...8000).contains(width), (64...8000).contains(height), width * height <= 40_000_000 else {
                throw .invalidSpec("output width and height must be between 64 and 8000 pixels, at most 40 MP")
            }
        }
    }

    /// An analysis error of one input, renamed after the input's place in the request.
    static func naming(_ error: ImagingError, _ name: String) -> ImagingError {
        switch error {
        case .invalidSpec(let detail):
            let stripped = detail.hasPrefix("garment image: ") ? String(detail.dropFirst("garment image: ".count)) : detail
            return .invalidSpec("\(name): \(stripped)")
        case .undecodable(let detail): return .undecodable("\(name): \(detail)")
        default: return error
        }
    }

    // MARK: Dressing

    /// Warps one garment onto the person and lays it on the canvas; returns its coverage.
    func dress(_ garment: GarmentModel, on person: PersonModel, canvas: inout Raster, torso: [UInt8]) throws(ImagingError) -> [UInt8] {
        let fit = TryOnFit.make(garment: garment.landmarks, category: garment.analysis.category, body: Body(l: person.landmarks))
        guard fit.source.count >= 6 else { throw .processingFailed("the garment's landmarks could not be matched to the body") }
        let (width, height) = (canvas.width, canvas.height)
        let warped = try Self.warpWithSleeves(garment.layer, fit: fit, width: width, height: height)
        let face = person.face
        let photo = person.photo

        var front = [UInt8](repeating: 0, count: width * height)
        let l = person.landmarks
        let arms = Self.arms(l, sleeves: fit.sleeves)
        let armsFrom = min(l.armpits.left.y, l.armpits.right.y)
        let neckline = fit.neckline.map { pv_vto_point(x: $0.x, y: $0.y) } ?? pv_vto_point(x: 0, y: -1)
        var status = photo.pixels.withUnsafeBufferPointer { pixels in
            person.silhouette.withUnsafeBufferPointer { silhouette in
                torso.withUnsafeBufferPointer { torso in
                    warped.withUnsafeBufferPointer { garment in
                        front.withUnsafeMutableBufferPointer { out in
                            arms.withUnsafeBufferPointer { arms in
                                pv_cv_vto_occluders(pixels.baseAddress, width * 3, silhouette.baseAddress, torso.baseAddress, garment.baseAddress,
                                                    Int32(width), Int32(height), Int32(face.x), Int32(face.y), Int32(face.width), Int32(face.height),
                                                    arms.baseAddress, armsFrom, neckline, l.neckWidth / 2, out.baseAddress)
                            }
                        }
                    }
                }
            }
        }
        guard status == 0 else { throw .processingFailed("occluders failed (\(status))") }

        var allowed = [UInt8](repeating: 0, count: width * height)
        let side = Double(max(width, height))
        // A dress or a skirt hangs across the gap between the legs, from the hips down.
        let category = garment.analysis.category
        let legless = category == .dress || (category == .bottom && garment.landmarks.crotch == nil)
        let bridgeFrom = legless ? max(l.hips.left.y, l.hips.right.y) : -1
        status = person.silhouette.withUnsafeBufferPointer { silhouette in
            front.withUnsafeBufferPointer { front in
                allowed.withUnsafeMutableBufferPointer {
                    pv_cv_vto_allowed(silhouette.baseAddress, front.baseAddress, Int32(width), Int32(height), Self.silhouetteGrowth * side, bridgeFrom,
                                      Int32(face.x), Int32(face.y), Int32(face.width), Int32(face.height), person.landmarks.chinY, $0.baseAddress)
                }
            }
        }
        guard status == 0 else { throw .processingFailed("garment mask failed (\(status))") }

        var coverage = [UInt8](repeating: 0, count: width * height)
        status = canvas.pixels.withUnsafeMutableBufferPointer { canvasPixels in
            photo.pixels.withUnsafeBufferPointer { photoPixels in
                warped.withUnsafeBufferPointer { garment in
                    allowed.withUnsafeBufferPointer { allowed in
                        coverage.withUnsafeMutableBufferPointer {
                            pv_cv_vto_lay(canvasPixels.baseAddress, photoPixels.baseAddress, width * 3, Int32(width), Int32(height),
                                          garment.baseAddress, allowed.baseAddress, max(1, Self.featherShare * side), Self.shadingStrength,
                                          $0.baseAddress)
                        }
                    }
                }
            }
        }
        guard status == 0 else { throw .processingFailed("laying the garment failed (\(status))") }
        return coverage
    }

    /// Each arm as the occluders and the retouch see it, with how far down it `sleeves` cover it.
    static func arms(_ l: PersonLandmarks, sleeves: [Double]) -> [pv_vto_arm] {
        (0..<2).map { side in
            let wrist = l.wrists[side], elbow = l.elbows[side], hand = l.hands[side]
            let width = side == 0 ? l.armWidths.left : l.armWidths.right
            return pv_vto_arm(joints: (pv_vto_point(x: l.shoulders[side].x, y: l.shoulders[side].y), pv_vto_point(x: elbow.x, y: elbow.y),
                                       pv_vto_point(x: wrist.x, y: wrist.y), pv_vto_point(x: hand.x, y: hand.y)),
                              width: width, sleeve: sleeves[side] > 0 ? sleeves[side] + 0.6 * width : 0)
        }
    }

    /// Each leg from the hip (the torso's hip edge moved in by half the leg) over the knee to the
    /// ankle and the foot below it, with its width at the knee.
    static func legs(_ l: PersonLandmarks) -> [pv_vto_arm] {
        (0..<2).map { side in
            let sign = side == 0 ? -1.0 : 1.0
            let width = side == 0 ? l.legWidths.left : l.legWidths.right
            let hipEdge = l.hips[side]
            let hip = ImagePoint(x: hipEdge.x - sign * 0.6 * width, y: hipEdge.y)
            let knee = l.knees[side], ankle = l.ankles[side]
            return pv_vto_arm(joints: (pv_vto_point(x: hip.x, y: hip.y), pv_vto_point(x: knee.x, y: knee.y), pv_vto_point(x: ankle.x, y: ankle.y),
                                       pv_vto_point(x: ankle.x, y: ankle.y + 0.4 * l.headHeight)),
                              width: width, sleeve: 0)
        }
    }

    /// Paints over what the outfit leaves showing of the person's own clothes (see
    /// `pv_cv_vto_retouch`): within the upper body when an upper garment was laid, the lower
    /// body when a bottom or a dress was.
    func retouch(_ canvas: inout Raster, person: PersonModel, torso: [UInt8], laid: [(garment: GarmentModel, coverage: [UInt8])]) throws(ImagingError) {
        let (width, height) = (canvas.width, canvas.height)
        var union = [UInt8](repeating: 0, count: width * height)
        var upperBottom = -1.0, lowerTop = -1.0
        let trousers = laid.contains { $0.garment.landmarks.legHems != nil }
        for item in laid {
            // The rows the garment covers opaquely, its first and last.
            var top = height, bottom = -1
            item.coverage.withUnsafeBufferPointer { coverage in
                union.withUnsafeMutableBufferPointer { union in
                    for y in 0..<height {
                        var opaque = false
                        for index in y * width..<(y + 1) * width {
                            let value = coverage[index]
                            union[index] = max(union[index], value)
                            opaque = opaque || value >= 128
                        }
                        if opaque {
                            top = min(top, y)
                            bottom = y
                        }
                    }
                }
            }
            guard bottom >= 0 else { continue }
            let category = item.garment.analysis.category
            if category != .bottom { upperBottom = max(upperBottom, Double(bottom)) }
            if category == .bottom || category == .dress { lowerTop = lowerTop < 0 ? Double(top) : min(lowerTop, Double(top)) }
        }
        let l = person.landmarks, face = person.face
        let arms = Self.arms(l, sleeves: [0, 0]), legs = Self.legs(l)
        let status = canvas.pixels.withUnsafeMutableBufferPointer { canvasPixels in
            person.photo.pixels.withUnsafeBufferPointer { photo in
                person.silhouette.withUnsafeBufferPointer { silhouette in
                    union.withUnsafeBufferPointer { coverage in
                        torso.withUnsafeBufferPointer { torso in
                            pv_cv_vto_retouch(canvasPixels.baseAddress, photo.baseAddress, width * 3, Int32(width), Int32(height), silhouette.baseAddress,
                                              coverage.baseAddress, torso.baseAddress, Int32(face.x), Int32(face.y), Int32(face.width), Int32(face.height),
                                              l.chinY, arms, legs, upperBottom, lowerTop, trousers ? 1 : 0)
                        }
                    }
                }
            }
        }
        guard status == 0 else { throw .processingFailed("retouching the person's own clothes failed (\(status))") }
    }

    /// How far outside the silhouette a garment may reach (a loose hem, a sleeve's edge), as a
    /// share of the image's long side.
    static let silhouetteGrowth = 0.012
    /// The garment's edge is feathered over this share of the long side.
    static let featherShare = 0.0018
    /// How much of the photo's shading (folds, the body's roundness) is carried onto the garment.
    static let shadingStrength = 0.85
    /// Thin-plate-spline smoothing (coordinates scaled to 0…1): a little, so that landmarks a
    /// few pixels off do not crease the garment.
    static let splineSmoothing = 0.002

    static func warp(_ layer: Raster, fit: TryOnFit, width: Int, height: Int) throws(ImagingError) -> [UInt8] {
        let source = fit.source.flatMap { [$0.x, $0.y] }, target = fit.target.flatMap { [$0.x, $0.y] }
        var out = [UInt8](repeating: 0, count: width * height * 4)
        let rgba = layer.rgba
        let status = rgba.pixels.withUnsafeBufferPointer { pixels in
            source.withUnsafeBufferPointer { s in
                target.withUnsafeBufferPointer { t in
                    out.withUnsafeMutableBufferPointer {
                        pv_cv_vto_warp(pixels.baseAddress, Int32(rgba.width), Int32(rgba.height), s.baseAddress, t.baseAddress,
                                       Int32(fit.source.count), splineSmoothing, $0.baseAddress, Int32(width), Int32(height))
                    }
                }
            }
        }
        guard status == 0 else { throw .processingFailed("warping the garment failed (\(status))") }
        return out
    }

    /// The body by the spline, each sleeve's pieces laid along its arm, under the body (the
    /// piece over the elbow first, so that it stays over the forearm's piece).
    static func warpWithSleeves(_ layer: Raster, fit: TryOnFit, width: Int, height: Int) throws(ImagingError) -> [UInt8] {
        guard !fit.sleevePieces.isEmpty, fit.bodyOutline.count >= 3 else { return try warp(layer, fit: fit, width: width, height: height) }
        let rgba = layer.rgba
        let count = rgba.width * rgba.height * 4
        var body = [UInt8](repeating: 0, count: count), left = body, right = body
        let polygon = fit.bodyOutline.flatMap { [$0.x, $0.y] }
        let middle = fit.bodyOutline.map(\.x).reduce(0, +) / Double(fit.bodyOutline.count)
        var status = rgba.pixels.withUnsafeBufferPointer { pixels in
            polygon.withUnsafeBufferPointer { p in
                body.withUnsafeMutableBufferPointer { b in
                    left.withUnsafeMutableBufferPointer { l in
                        right.withUnsafeMutableBufferPointer { r in
                            pv_cv_vto_cut(pixels.baseAddress, Int32(rgba.width), Int32(rgba.height), p.baseAddress, Int32(fit.bodyOutline.count),
                                          middle, b.baseAddress, l.baseAddress, r.baseAddress)
                        }
                    }
                }
            }
        }
        guard status == 0 else { throw .processingFailed("cutting the sleeves failed (\(status))") }
        var out = try warp(Raster(width: rgba.width, height: rgba.height, bands: 4, pixels: body), fit: fit, width: width, height: height)
        for piece in fit.sleevePieces {
            let sleeve = Self.part(of: piece.side == 0 ? left : right, width: rgba.width, height: rgba.height, along: piece.axis, span: piece.span)
            let from = [piece.from.0.x, piece.from.0.y, piece.from.1.x, piece.from.1.y]
            let to = [piece.to.0.x, piece.to.0.y, piece.to.1.x, piece.to.1.y]
            status = sleeve.withUnsafeBufferPointer { s in
                from.withUnsafeBufferPointer { f in
                    to.withUnsafeBufferPointer { t in
                        out.withUnsafeMutableBufferPointer {
                            pv_cv_vto_place(s.baseAddress, Int32(rgba.width), Int32(rgba.height), f.baseAddress, t.baseAddress,
                                            $0.baseAddress, Int32(width), Int32(height), 1)
                        }
                    }
                }
            }
            guard status == 0 else { throw .processingFailed("laying a sleeve failed (\(status))") }
        }
        return out
    }

    /// The pixels of an RGBA layer whose projection on `axis` falls within `span` (0 at its
    /// start, 1 at its end; beyond the ends belong to the nearer end's piece).
    static func part(of rgba: [UInt8], width: Int, height: Int, along axis: (ImagePoint, ImagePoint), span: ClosedRange<Double>) -> [UInt8] {
        guard span != 0...1 else { return rgba }
        let dx = axis.1.x - axis.0.x, dy = axis.1.y - axis.0.y
        let length2 = max(1e-9, dx * dx + dy * dy)
        var out = rgba
        for y in 0..<height {
            for x in 0..<width where out[(y * width + x) * 4 + 3] > 0 {
                let t = ((Double(x) - axis.0.x) * dx + (Double(y) - axis.0.y) * dy) / length2
                let inside = (span.lowerBound <= 0 || t >= span.lowerBound) && (span.upperBound >= 1 || t <= span.upperBound)
                if !inside { out[(y * width + x) * 4 + 3] = 0 }
            }
        }
        return out
    }

    static func polygonMask(_ points: [ImagePoint], width: Int, height: Int) throws(ImagingError) -> [UInt8] {
        let flat = points.flatMap { [$0.x, $0.y] }
        var mask = [UInt8](repeating: 0, count: width * height)
        let status = flat.withUnsafeBufferPointer { p in
            mask.withUnsafeMutableBufferPointer { pv_cv_vto_polygon_mask(p.baseAddress, Int32(points.count), Int32(width), Int32(height), $0.baseAddress) }
        }
        guard status == 0 else { throw .processingFailed("polygon mask failed (\(status))") }
        return mask
    }

    // MARK: Framing and text

    /// Where the photo goes on the output canvas (before scaling): a photo wider than the ratio
    /// is cut at the sides, centred on the person (a half-body shot runs off the bottom edge, so
    /// extending it above and below would smear the clothes); a narrower one is extended at the
    /// sides with its backdrop.
    static func framing(photoWidth w: Int, photoHeight h: Int, subject: PixelRect, ratio: Double) -> (width: Int, height: Int, x: Int, y: Int) {
        let photoRatio = Double(w) / Double(h)
        if abs(photoRatio - ratio) < 0.002 { return (w, h, 0, 0) }
        if photoRatio > ratio {
            let cropWidth = max(1, Int((Double(h) * ratio).rounded()))
            let centre = subject.x + subject.width / 2
            let left = min(max(0, centre - cropWidth / 2), w - cropWidth)
            return (cropWidth, h, -left, 0)
        }
        let padded = max(w, Int((Double(h) * ratio).rounded()))
        let centre = subject.x + subject.width / 2
        // The person as near the middle of the wider frame as the photo allows.
        let x = min(max(0, padded / 2 - centre), padded - w)
        return (padded, h, x, 0)
    }

    func finish(_ composed: Raster, person: PersonModel, items: [Int], coverages: [(index: Int, coverage: [UInt8])],
                infos: [String?], categories: [GarmentCategory], options: TryOnOptions) throws(ImagingError) -> TryOnResult {
        let (w, h) = (composed.width, composed.height)
        // The subject: the silhouette's box, at composition size.
        let analysis = person.analysis
        let maskBox = Self.boundingBox(analysis.mask, width: analysis.maskWidth, height: analysis.maskHeight)
        let toPhoto = Double(w) / Double(analysis.maskWidth)
        let subject = PixelRect(x: Int(Double(maskBox.x) * toPhoto), y: Int(Double(maskBox.y) * toPhoto),
                                width: Int((Double(maskBox.width) * toPhoto).rounded(.up)), height: Int((Double(maskBox.height) * toPhoto).rounded(.up)))
        let ratio: Double = switch options.size {
        case .exact(let width, let height): Double(width) / Double(height)
        default: options.aspectRatio.value
        }
        let frame = Self.framing(photoWidth: w, photoHeight: h, subject: subject, ratio: ratio)
        var framed = Raster(width: frame.width, height: frame.height, bands: 3, pixels: [UInt8](repeating: 0, count: frame.width * frame.height * 3))
        let status = composed.pixels.withUnsafeBufferPointer { source in
            framed.pixels.withUnsafeMutableBufferPointer {
                pv_cv_vto_extend(source.baseAddress, Int32(w), Int32(h), $0.baseAddress, Int32(frame.width), Int32(frame.height),
                                 Int32(frame.x), Int32(frame.y))
            }
        }
        guard status == 0 else { throw .processingFailed("framing failed (\(status))") }

        let (outWidth, outHeight): (Int, Int) = switch options.size {
        case .automatic: (frame.width, frame.height)
        case .longSide(let side):
            frame.width >= frame.height
                ? (side, max(1, Int((Double(side) * Double(frame.height) / Double(frame.width)).rounded())))
                : (max(1, Int((Double(side) * Double(frame.width) / Double(frame.height)).rounded())), side)
        case .exact(let width, let height): (width, height)
        }
        var output = outWidth == frame.width && outHeight == frame.height ? framed : try Vision.resize(framed, width: outWidth, height: outHeight)
        let scale = Double(outWidth) / Double(frame.width)
        let offsetX = Double(frame.x) * scale, offsetY = Double(frame.y) * scale

        // Coverage in output pixels (nearest photo pixel), all items together and each alone.
        func place(_ coverage: [UInt8]) -> [UInt8] {
            var out = [UInt8](repeating: 0, count: outWidth * outHeight)
            for y in 0..<outHeight {
                let sy = Int(((Double(y) + 0.5 - offsetY) / scale).rounded(.down))
                guard sy >= 0, sy < h else { continue }
                for x in 0..<outWidth {
                    let sx = Int(((Double(x) + 0.5 - offsetX) / scale).rounded(.down))
                    if sx >= 0, sx < w { out[y * outWidth + x] = coverage[sy * w + sx] }
                }
            }
            return out
        }
        var total = [UInt8](repeating: 0, count: w * h)
        for (_, coverage) in coverages {
            for index in 0..<total.count where coverage[index] > total[index] { total[index] = coverage[index] }
        }
        let face = PixelRect(x: Int((Double(person.face.x) * scale + offsetX).rounded()), y: Int((Double(person.face.y) * scale + offsetY).rounded()),
                             width: Int((Double(person.face.width) * scale).rounded()), height: Int((Double(person.face.height) * scale).rounded()))

        var stage = Stage(width: 1, height: 1)
        stage.canvas = output
        var taken: [PixelRect] = [face]
        if options.watermark { taken.append(try Self.drawWatermark(on: &stage)) }
        for entry in coverages {
            guard let slot = items.firstIndex(of: entry.index), let text = infos[slot]?.trimmingCharacters(in: .whitespacesAndNewlines),
                  !text.isEmpty else { continue }
            let box = Self.boundingBox(entry.coverage.map { $0 >= 128 ? 255 : 0 }, width: w, height: h)
            let garmentBox = PixelRect(x: Int(Double(box.x) * scale + offsetX), y: Int(Double(box.y) * scale + offsetY),
                                       width: Int(Double(box.width) * scale), height: Int(Double(box.height) * scale))
            let subjectBox = PixelRect(x: Int(Double(subject.x) * scale + offsetX), y: Int(Double(subject.y) * scale + offsetY),
                                       width: Int(Double(subject.width) * scale), height: Int(Double(subject.height) * scale))
            if let tag = try Self.drawTag(String(text.prefix(60)), on: &stage, garment: garmentBox, subject: subjectBox,
                                          category: categories[slot], avoiding: taken) {
                taken.append(tag)
            }
        }
        output = stage.canvas
        let bytes = try Vips.encode(output, as: options.format, quality: options.quality)
        return TryOnResult(image: RenderedImage(bytes: bytes, width: outWidth, height: outHeight, format: options.format),
                           items: items, categories: categories, scale: scale, offsetX: offsetX, offsetY: offsetY,
                           coverage: place(total), face: face)
    }

    static let watermarkText = "Virtual try-on preview"

    /// "Virtual try-on preview" in white on a translucent dark pill in the bottom-right corner:
    /// legible on any photo, small enough not to compete with the garment.
    static func drawWatermark(on stage: inout Stage) throws(ImagingError) -> PixelRect {
        let short = Double(min(stage.width, stage.height))
        let textHeight = max(10, Int((0.02 * short).rounded()))
        let mask = try Vips.fittedText(watermarkText, font: Typeface.bold.pango, width: Int(0.6 * Double(stage.width)), height: textHeight, align: .leading)
        let padX = Double(mask.height) * 0.7, padY = Double(mask.height) * 0.38
        let pill = (width: Double(mask.width) + 2 * padX, height: Double(mask.height) + 2 * padY)
        let margin = 0.025 * short
        let x = Double(stage.width) - margin - pill.width, y = Double(stage.height) - margin - pill.height
        try stage.draw(.roundedRect, from: (x, y), to: (x + pill.width, y + pill.height), size: pill.height / 2, colour: .ink, opacity: 0.5)
        try stage.text(watermarkText, in: PixelRect(x: Int(x + padX), y: Int(y + padY), width: mask.width, height: mask.height),
                       font: .bold, colour: .white, align: .leading)
        return PixelRect(x: Int(x), y: Int(y), width: Int(pill.width.rounded(.up)), height: Int(pill.height.rounded(.up)))
    }

    /// A small white card with the item's info beside the garment, joined to it by a hairline
    /// and a dot; in the backdrop on the side with more room, else on the garment's edge.
    static func drawTag(_ text: String, on stage: inout Stage, garment: PixelRect, subject: PixelRect, category: GarmentCategory,
                        avoiding taken: [PixelRect]) throws(ImagingError) -> PixelRect? {
        guard garment.width > 0, garment.height > 0 else { return nil }
        let short = Double(min(stage.width, stage.height))
        let textHeight = max(10, Int((0.024 * short).rounded()))
        let mask = try Vips.fittedText(text, font: Typeface.bold.pango, width: Int(0.3 * Double(stage.width)), height: textHeight, align: .leading)
        let padX = Double(mask.height) * 0.6, padY = Double(mask.height) * 0.42
        let card = (width: Double(mask.width) + 2 * padX, height: Double(mask.height) + 2 * padY)
        let gap = 0.03 * short
        let anchorY = Double(garment.y) + Double(garment.height) * (category == .bottom ? 0.3 : 0.42)
        let roomLeft = Double(subject.x), roomRight = Double(stage.width - subject.x - subject.width)
        let right = roomRight >= roomLeft
        let anchorX = right ? Double(garment.x + garment.width) : Double(garment.x)
        var x: Double
        if (right ? roomRight : roomLeft) >= card.width + 2 * gap {
            x = right ? Double(subject.x + subject.width) + gap : Double(subject.x) - gap - card.width
        } else {
            // No room beside the person: on the garment, just inside its edge.
            x = right ? anchorX - card.width - gap / 2 : anchorX + gap / 2
        }
        x = min(max(gap / 2, x), Double(stage.width) - card.width - gap / 2)
        var y = min(max(gap / 2, anchorY - card.height / 2), Double(stage.height) - card.height - gap / 2)
        // Step down past anything already placed (the face, the mark, another tag).
        for _ in 0..<8 {
            let rect = PixelRect(x: Int(x), y: Int(y), width: Int(card.width), height: Int(card.height))
            guard let blocker = taken.first(where: { $0.overlap(rect) > 0 }) else { break }
            y = Double(blocker.y + blocker.height) + gap / 3
            if y + card.height > Double(stage.height) { y = Double(blocker.y) - card.height - gap / 3 }
        }
        let near = right ? x : x + card.width
        let outside = right ? near > anchorX : near < anchorX
        if outside {
            let dot = max(2.5, 0.006 * short)
            let lineY = y + card.height / 2
            let hairline = max(1, 0.0022 * short)
            try stage.draw(.line, from: (anchorX + (right ? -dot * 2 : dot * 2), anchorY), to: (near, lineY), size: hairline, colour: .white, opacity: 0.95)
            try stage.draw(.ellipse, from: (anchorX + (right ? -dot * 3 : dot), anchorY - dot), to: (anchorX + (right ? -dot : dot * 3), anchorY + dot),
                           colour: .white, opacity: 1)
        }
        try stage.draw(.roundedRect, from: (x + 1, y + 2), to: (x + card.width + 1, y + card.height + 2), size: card.height * 0.3,
                       colour: .ink, opacity: 0.12)
        try stage.draw(.roundedRect, from: (x, y), to: (x + card.width, y + card.height), size: card.height * 0.3, colour: .white, opacity: 0.94)
        try stage.text(text, in: PixelRect(x: Int(x + padX), y: Int(y + padY), width: mask.width, height: mask.height),
                       font: .bold, colour: .ink, align: .leading)
        return PixelRect(x: Int(x), y: Int(y), width: Int(card.width.rounded(.up)), height: Int(card.height.rounded(.up)))
    }
}
