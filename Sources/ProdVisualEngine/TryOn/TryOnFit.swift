import Foundation

/// Where each of a garment's landmarks goes on the person: the pairs the thin-plate spline is
/// fitted to.
///
/// Widths and lengths scale differently. A garment photographed flat is half its circumference
/// wide, while the front of a body shows about a third of it, so the garment's width is mapped
/// onto the body's (plus a little ease, more for a flared shape), and its lengths, which a body
/// does not foreshorten, by that width scale times `lengthOverWidth`.
struct TryOnFit {
    var source: [ImagePoint] = []
    var target: [ImagePoint] = []
    /// How far down each arm (image left, right) from the shoulder the garment's sleeve reaches.
    var sleeves: [Double] = [0, 0]
    /// Where the neckline's centre lands (tops, dresses, outerwear): above it the neck's skin
    /// stays in front of the garment's inside back.
    var neckline: ImagePoint?
    /// Sleeves are cut off the body and laid along the arms in rigid pieces (a rotation and
    /// scale each): a spline bending a sleeve from the product photo's angle down to a hanging
    /// arm shears it. A sleeve that reaches past the elbow is two pieces, bent there, so that it
    /// follows a bent arm. The body's outline (garment pixels) that keeps the rest, and each
    /// piece: the share of the sleeve's axis (seam to cuff) it spans, and a pair of points,
    /// garment to person.
    var bodyOutline: [ImagePoint] = []
    var sleevePieces: [SleevePiece] = []

    struct SleevePiece {
        let side: Int
        /// The sleeve's axis in the garment, seam centre to cuff centre.
        let axis: (ImagePoint, ImagePoint)
        /// The part of the axis (0 seam … 1 cuff) this piece holds.
        let span: ClosedRange<Double>
        let from: (ImagePoint, ImagePoint)
        let to: (ImagePoint, ImagePoint)
    }

    /// How much longer than its width scale a garment's lengths lie on a body.
    static let lengthOverWidth = 1.0
    /// A full-length trouser leg's length (crotch to hem) over its flat waistband's width.
    static let fullLengthLegOverWaist = 2.0
    /// How far (a share of the sleeve's axis) the two pieces of a sleeve bent at the elbow
    /// overlap, so that the outside of the bend shows no gap.
    static let sleeveOverlap = 0.06

    mutating func add(_ from: ImagePoint, _ to: ImagePoint) {
        guard from.x.isFinite, from.y.isFinite, to.x.isFinite, to.y.isFinite else { return }
        // Two pairs on one source (or target) point would make the spline singular or fold it.
        guard !source.contains(where: { $0.distance(to: from) < 1.5 }), !target.contains(where: { $0.distance(to: to) < 1.5 }) else { return }
        source.append(from)
        target.append(to)
    }
}

/// The body's geometry the fit asks for, from a person's landmarks (in composition pixels).
struct Body {
    let l: PersonLandmarks

    var head: Double { l.headHeight }

    /// The chest's width across the front, bounded by the face's size: arms merged with the
    /// torso in the silhouette must not make a garment huge (1.3 to 2 face widths, scaled by
    /// the build).
    var chestWidth: Double {
        let faceWidth = l.headHeight / 1.35
        let measured = l.chest.right.x - l.chest.left.x
        return min(max(measured, 1.3 * faceWidth * l.buildFactor), 2.0 * faceWidth * l.buildFactor)
    }

    /// The body's axis at a row: the torso's middle, the crotch's below it.
    func axis(_ y: Double) -> Double {
        if y > l.crotch.y { return l.crotch.x }
        let edges = l.torsoEdges(at: y)
        return (edges.left + edges.right) / 2
    }

    /// Half the body's width at a row: the torso's, then both legs' together below the crotch.
    func halfWidth(_ y: Double) -> Double {
        if y <= l.crotch.y {
            let edges = l.torsoEdges(at: y)
            return (edges.right - edges.left) / 2
        }
        let crotchHalf = { let e = l.torsoEdges(at: l.crotch.y); return (e.right - e.left) / 2 }()
        let kneeHalf = (abs(l.knees.right.x - l.knees.left.x) + (l.legWidths.left + l.legWidths.right) / 2) / 2
        let ankleHalf = (abs(l.ankles.right.x - l.ankles.left.x) + 0.7 * (l.legWidths.left + l.legWidths.right) / 2) / 2
        return interpolate([l.crotch.y, (l.knees.left.y + l.knees.right.y) / 2, (l.ankles.left.y + l.ankles.right.y) / 2],
                           [crotchHalf, kneeHalf, ankleHalf], y)
    }

    /// The centre of one leg at a row, and half its width.
    func leg(_ side: Int, at y: Double) -> (centre: Double, half: Double) {
        let sign = side == 0 ? -1.0 : 1.0
        let crotchHalf = halfWidth(l.crotch.y)
        let knee = l.knees[side], ankle = l.ankles[side]
        let width = side == 0 ? l.legWidths.left : l.legWidths.right
        let centre = interpolate([l.crotch.y, knee.y, ankle.y], [l.crotch.x + sign * crotchHalf / 2, knee.x, ankle.x], y)
        let half = interpolate([l.crotch.y, knee.y, ankle.y], [crotchHalf / 2, width / 2, 0.35 * width], y)
        return (centre, half)
    }

    /// A point along an arm (shoulder, elbow, wrist) at a distance from the shoulder, with the
    /// arm's direction there; past the wrist it continues straight.
    func arm(_ side: Int, at distance: Double) -> (point: ImagePoint, direction: ImagePoint) {
        let joints = [l.shoulders[side], l.elbows[side], l.wrists[side]]
        var left = distance
        for index in 1..<joints.count {
            let a = joints[index - 1], b = joints[index]
            let length = max(1e-6, a.distance(to: b))
            let direction = ImagePoint(x: (b.x - a.x) / length, y: (b.y - a.y) / length)
            if left <= length || index == joints.count - 1 {
                return (ImagePoint(x: a.x + direction.x * left, y: a.y + direction.y * left), direction)
            }
            left -= length
        }
        return (joints[0], ImagePoint(x: 0, y: 1))
    }
}

func interpolate(_ xs: [Double], _ ys: [Double], _ x: Double) -> Double {
    guard let first = xs.first, let last = xs.last else { return 0 }
    if x <= first { return ys[0] }
    if x >= last { return ys[ys.count - 1] }
    for index in 1..<xs.count where x <= xs[index] {
        let span = xs[index] - xs[index - 1]
        return span > 0 ? ys[index - 1] + (ys[index] - ys[index - 1]) * (x - xs[index - 1]) / span : ys[index]
    }
    return ys[ys.count - 1]
}

extension TryOnFit {
    /// The pairs for a garment of `category` on the body.
    static func make(garment g: GarmentLandmarks, category: GarmentCategory, body: Body) -> TryOnFit {
        switch category {
        case .top, .outerwear, .dress: upper(g, dress: category == .dress, body: body)
        case .bottom: lower(g, body: body)
        }
    }

    /// Tops, outerwear and dresses: neckline to the neck, shoulders to shoulders, the body's
    /// sides along the torso, sleeves along the arms.
    private static func upper(_ g: GarmentLandmarks, dress: Bool, body: Body) -> TryOnFit {
        var fit = TryOnFit()
        let l = body.l, head = body.head
        let centreX = (g.neck.left.x + g.neck.right.x) / 2
        // A top whose sleeves hang against its body and end above its hem (no cuff shows below
        // it) reads as sleeveless, all body, and its "chest" spans the sleeves: a chest much
        // wider than real shoulders (a round neckline between them, not straps or a halter) is
        // taken at the shoulders' width.
        let armpitWidth = max(1, g.armpits.right.x - g.armpits.left.x)
        let shoulderWidth = g.shoulders.right.x - g.shoulders.left.x, neckWidth = g.neck.right.x - g.neck.left.x
        let sleeveless = g.sleeveEnds.left == nil && g.sleeveEnds.right == nil
        let shoulders = (0.3...0.625).contains(neckWidth / max(1, shoulderWidth))
        let garmentChest = sleeveless && shoulders ? min(armpitWidth, 1.15 * shoulderWidth) : armpitWidth
        let personChest = body.chestWidth
        let widthScale = personChest * 1.06 / garmentChest
        let lengthScale = widthScale * lengthOverWidth
        let garmentNeckY = (g.neck.left.y + g.neck.right.y) / 2
        // The neckline's corners sit where the neck meets the shoulders' slope, a little above the
        // shoulder joints; the person's own neckline (`l.neck`) may be a lower scoop, which would
        // leave their clothes showing above the garment's shoulders.
        let shoulderY = (l.shoulders.left.y + l.shoulders.right.y) / 2
        let personNeckY = max(l.chinY + 0.08 * head, min(l.neck.y, shoulderY - 0.18 * head))

        // Down the body: linear from the neckline, through the waist for a dress.
        var mapY: (Double) -> Double = { personNeckY + ($0 - garmentNeckY) * lengthScale }
        if dress, let waist = g.waistband {
            let garmentWaistY = (waist.left.y + waist.right.y) / 2
            let personWaistY = (l.waist.left.y + l.waist.right.y) / 2
            if garmentWaistY > garmentNeckY + 2 {
                let upperScale = (personWaistY - personNeckY) / (garmentWaistY - garmentNeckY)
                let lowerScale = min(max(upperScale, lengthScale), 1.25 * lengthScale)
                mapY = { y in
                    y <= garmentWaistY ? personNeckY + (y - garmentNeckY) * upperScale : personWaistY + (y - garmentWaistY) * lowerScale
                }
            }
        }
        /// The garment's half-width at a row laid on the body: never tighter than the body plus a
        /// little ease, looser where the garment flares, up to a limit.
        func sideX(_ side: Int, garmentHalf: Double, at y: Double) -> Double {
            let bodyHalf = body.halfWidth(y)
            let half = max(bodyHalf * 1.04, min(garmentHalf * widthScale, bodyHalf * 1.3))
            return body.axis(y) + (side == 0 ? -half : half)
        }

        for side in 0..<2 {
            let sign = side == 0 ? -1.0 : 1.0
            // Neckline corners beside the neck.
            let neckOffset = max(0.5 * l.neckWidth, abs(g.neck[side].x - centreX) * widthScale)
            fit.add(g.neck[side], ImagePoint(x: l.neck.x + sign * neckOffset, y: personNeckY))
            // Shoulders: seams on the joints; straps where they fall on the shoulder's slope.
            let shoulder = l.shoulders[side]
            let armWidth = side == 0 ? l.armWidths.left : l.armWidths.right
            let shoulderTarget: ImagePoint
            if g.sleeveEnds[side] != nil {
                shoulderTarget = shoulder
            } else {
                // A sleeveless garment's shoulder ends on the shoulder's top at the farthest (a boat
                // neck's corner), inside the joint, where the arm leaves the armhole.
                let reach = max(1, abs(shoulder.x - l.neck.x))
                let offset = min(max(0.5 * reach, reach - armWidth / 2), abs(g.shoulders[side].x - centreX) * widthScale)
                let t = min(1, offset / reach)
                shoulderTarget = ImagePoint(x: l.neck.x + sign * offset, y: personNeckY + (shoulder.y - personNeckY) * t)
            }
            fit.add(g.shoulders[side], shoulderTarget)
            // Armpits at the torso's sides.
            let armpitY = min(max(mapY(g.armpits[side].y), l.armpits[side].y - 0.2 * head), l.armpits[side].y + 0.5 * head)
            // No wider than the armpit itself, nor much wider than the chest an arm's width lower:
            // at and above the armpits, an arm hanging against the body widens the outline.
            let armpitHalf = min(body.halfWidth(armpitY), abs(l.armpits[side].x - body.axis(armpitY)),
                                 1.1 * body.halfWidth(l.armpits[side].y + armWidth))
            let armpitX = body.axis(armpitY) + sign * armpitHalf * 1.03
            fit.add(g.armpits[side], ImagePoint(x: armpitX, y: armpitY))
            // Sleeveless, the armhole's chord stays a chord: unpinned, the spline bows the
            // garment's side out over the arm between shoulder and armpit.
            if g.sleeveEnds[side] == nil {
                let from = g.shoulders[side], to = g.armpits[side]
                fit.add(ImagePoint(x: (from.x + to.x) / 2, y: (from.y + to.y) / 2),
                        ImagePoint(x: (shoulderTarget.x + armpitX) / 2, y: (shoulderTarget.y + armpitY) / 2))
            }
        }
        // Neckline centre.
        let neckline = ImagePoint(x: l.neck.x, y: personNeckY + (g.collar.y - garmentNeckY) * lengthScale)
        fit.add(g.collar, neckline)
        fit.neckline = neckline

        // The body's sides, row by row, and the hem.
        let rows = g.outline
        for index in stride(from: 3, to: rows.count, by: 4) + [rows.count - 1] {
            let row = rows[index]
            let y = mapY(row.y)
            let half = (row.right - row.left) / 2
            fit.add(ImagePoint(x: row.left, y: row.y), ImagePoint(x: sideX(0, garmentHalf: half, at: y), y: y))
            fit.add(ImagePoint(x: row.right, y: row.y), ImagePoint(x: sideX(1, garmentHalf: half, at: y), y: y))
        }
        let hemHalf = (g.hem.right.x - g.hem.left.x) / 2
        for side in 0..<2 {
            let y = mapY(g.hem[side].y)
            fit.add(g.hem[side], ImagePoint(x: sideX(side, garmentHalf: hemHalf, at: y), y: y))
        }
        if dress, let waist = g.waistband {
            let waistHalf = (waist.right.x - waist.left.x) / 2
            for side in 0..<2 {
                let y = mapY(waist[side].y)
                fit.add(waist[side], ImagePoint(x: sideX(side, garmentHalf: waistHalf, at: y), y: y))
            }
        }
        // The centre line stays on the body's axis, so prints stay straight.
        let hemY = max(g.hem.left.y, g.hem.right.y)
        for t in [0.25, 0.5, 0.75, 0.97] {
            let y = g.collar.y + (hemY - g.collar.y) * t
            let mapped = mapY(y)
            fit.add(ImagePoint(x: centreX, y: y), ImagePoint(x: body.axis(mapped), y: mapped))
        }

        // Sleeves along the arms: the cuff's centre at the sleeve's length down the arm.
        for side in 0..<2 {
            guard let cuff = g.sleeveEnds[side] else { continue }
            let shoulder = g.shoulders[side]
            let cuffCentre = cuff.outer.midpoint(cuff.inner)
            let length = shoulder.distance(to: cuffCentre) * lengthScale
            let armLength = l.shoulders[side].distance(to: l.elbows[side]) + l.elbows[side].distance(to: l.wrists[side])
            let along = min(length, armLength + 0.1 * head)
            fit.sleeves[side] = along
            let (end, _) = body.arm(side, at: along)
            let axis = (shoulder, cuffCentre)
            let upperArm = l.shoulders[side].distance(to: l.elbows[side])
            // Past the elbow by more than a tenth of the sleeve: bent at the elbow.
            if along > 1.1 * upperArm {
                let t = upperArm / along
                let elbow = ImagePoint(x: shoulder.x + (cuffCentre.x - shoulder.x) * t, y: shoulder.y + (cuffCentre.y - shoulder.y) * t)
                fit.sleevePieces.append(SleevePiece(side: side, axis: axis, span: 0...(t + sleeveOverlap), from: (shoulder, elbow), to: (l.shoulders[side], l.elbows[side])))
                fit.sleevePieces.append(SleevePiece(side: side, axis: axis, span: max(0, t - sleeveOverlap)...1, from: (elbow, cuffCentre), to: (l.elbows[side], end)))
            } else {
                fit.sleevePieces.append(SleevePiece(side: side, axis: axis, span: 0...1, from: axis, to: (l.shoulders[side], end)))
            }
        }
        if !fit.sleevePieces.isEmpty {
            // Above the shoulder seams up to the top, down from the seams through the armpits
            // and the sides to the hem. The body keeps a little of each sleeve's top beyond the
            // seam: it covers the shoulder's round, which a sleeve turned down the arm leaves bare.
            let cap = 0.08 * (g.armpits.right.x - g.armpits.left.x)
            let capped = Sides(left: ImagePoint(x: g.shoulders.left.x - cap, y: g.shoulders.left.y),
                               right: ImagePoint(x: g.shoulders.right.x + cap, y: g.shoulders.right.y))
            var outline = [ImagePoint(x: capped.left.x, y: -1), capped.left, g.armpits.left]
            outline += g.outline.map { ImagePoint(x: $0.left, y: $0.y) }
            outline += [ImagePoint(x: g.hem.left.x, y: g.hem.left.y + 2), ImagePoint(x: g.hem.right.x, y: g.hem.right.y + 2)]
            outline += g.outline.reversed().map { ImagePoint(x: $0.right, y: $0.y) }
            outline += [g.armpits.right, capped.right, ImagePoint(x: capped.right.x, y: -1)]
            fit.bodyOutline = outline
        }
        return fit
    }

    /// Skirts and trousers: the waistband on the waist (where the person's own skirt or trousers
    /// mostly begin: lower, their top showed above it), the sides down the hips and legs, trouser
    /// legs along the person's legs.
    private static func lower(_ g: GarmentLandmarks, body: Body) -> TryOnFit {
        var fit = TryOnFit()
        let l = body.l, head = body.head
        guard let band = g.waistband else { return fit }
        let bandY = (band.left.y + band.right.y) / 2
        let centreX = (band.left.x + band.right.x) / 2
        let personBandY = (l.waist.left.y + l.waist.right.y) / 2
        let bandHalf = body.halfWidth(personBandY) * 1.05
        let widthScale = 2 * bandHalf / max(1, band.right.x - band.left.x)
        let lengthScale = widthScale * lengthOverWidth * 1.05
        let mapY: (Double) -> Double = { personBandY + ($0 - bandY) * lengthScale }
        func sideX(_ side: Int, garmentHalf: Double, at y: Double, flare: Double) -> Double {
            let bodyHalf = body.halfWidth(y)
            let half = max(bodyHalf * 1.04, min(garmentHalf * widthScale, bodyHalf * flare))
            return body.axis(y) + (side == 0 ? -half : half)
        }

        for side in 0..<2 {
            let sign = side == 0 ? -1.0 : 1.0
            fit.add(band[side], ImagePoint(x: body.axis(personBandY) + sign * bandHalf, y: personBandY + (band[side].y - bandY) * lengthScale))
        }
        fit.add(ImagePoint(x: centreX, y: bandY + 1), ImagePoint(x: body.axis(personBandY), y: personBandY + lengthScale))

        guard let crotch = g.crotch, let legs = g.legHems else {
            // A skirt: its sides and hem, flaring as the garment does.
            for index in stride(from: 3, to: g.outline.count, by: 4) + [g.outline.count - 1] {
                let row = g.outline[index]
                let y = mapY(row.y), half = (row.right - row.left) / 2
                fit.add(ImagePoint(x: row.left, y: row.y), ImagePoint(x: sideX(0, garmentHalf: half, at: y, flare: 1.6), y: y))
                fit.add(ImagePoint(x: row.right, y: row.y), ImagePoint(x: sideX(1, garmentHalf: half, at: y, flare: 1.6), y: y))
            }
            let hemHalf = (g.hem.right.x - g.hem.left.x) / 2
            for side in 0..<2 {
                let y = mapY(g.hem[side].y)
                fit.add(g.hem[side], ImagePoint(x: sideX(side, garmentHalf: hemHalf, at: y, flare: 1.6), y: y))
            }
            let hemY = max(g.hem.left.y, g.hem.right.y)
            for t in [0.5, 0.97] {
                let y = bandY + (hemY - bandY) * t
                fit.add(ImagePoint(x: centreX, y: y), ImagePoint(x: body.axis(mapY(y)), y: mapY(y)))
            }
            return fit
        }

        // Trousers: the crotch on the body's, the legs down the person's legs as far as the
        // garment's own proportions say: a leg twice as long as the flat waist is full length
        // and ends at the ankles, shorts end high on the thigh. (The width scale would make
        // them too short: a flat garment's width is half its round, a body's front a third.)
        let crotchY = max(l.crotch.y, mapY(crotch.y))
        fit.add(crotch, ImagePoint(x: l.crotch.x, y: crotchY))
        let garmentLeg = max(1, (legs.left.outer.y + legs.right.outer.y) / 2 - crotch.y)
        let ankleY = (l.ankles.left.y + l.ankles.right.y) / 2
        let legShare = garmentLeg / (fullLengthLegOverWaist * max(1, band.right.x - band.left.x))
        let personLeg = legShare >= 0.9 ? ankleY - crotchY + 0.15 * head : legShare * (ankleY - crotchY)
        let legY: (Double) -> Double = { crotchY + ($0 - crotch.y) * personLeg / garmentLeg }
        // Hips: the outline above the crotch.
        for row in g.outline where row.y < crotch.y - 2 {
            guard Int((row.y - g.outline[0].y) / max(1, g.outline[1].y - g.outline[0].y)) % 3 == 2 else { continue }
            let y = mapY(row.y), half = (row.right - row.left) / 2
            fit.add(ImagePoint(x: row.left, y: row.y), ImagePoint(x: sideX(0, garmentHalf: half, at: y, flare: 1.2), y: y))
            fit.add(ImagePoint(x: row.right, y: row.y), ImagePoint(x: sideX(1, garmentHalf: half, at: y, flare: 1.2), y: y))
        }
        // Legs: outer and inner edges at a few heights, and the hems.
        for side in 0..<2 {
            let sign = side == 0 ? -1.0 : 1.0
            let hem = legs[side]
            let hemY = (hem.outer.y + hem.inner.y) / 2
            for t in [0.35, 0.7, 1.0] {
                let gy = crotch.y + (hemY - crotch.y) * t
                let outerX = t == 1 ? hem.outer.x : outerEdge(g, side: side, at: gy)
                let innerX = t == 1 ? hem.inner.x : crotch.x + (hem.inner.x - crotch.x) * t
                let y = legY(gy)
                let leg = body.leg(side, at: y)
                let half = max(leg.half * 1.12, abs(outerX - innerX) / 2 * widthScale)
                fit.add(ImagePoint(x: outerX, y: t == 1 ? hem.outer.y : gy), ImagePoint(x: leg.centre + sign * half, y: y))
                fit.add(ImagePoint(x: innerX, y: t == 1 ? hem.inner.y : gy), ImagePoint(x: leg.centre - sign * half, y: y))
            }
        }
        return fit
    }

    /// A garment's outer edge at a row, from its outline.
    private static func outerEdge(_ g: GarmentLandmarks, side: Int, at y: Double) -> Double {
        let rows = g.outline
        let xs = rows.map(\.y), values = rows.map { side == 0 ? $0.left : $0.right }
        return interpolate(xs, values, y)
    }
}
