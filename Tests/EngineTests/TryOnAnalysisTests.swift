import Foundation
import Testing

@testable import ProdVisualEngine

/// The try-on's person and garment analysis against the bench: landmarks that must make
/// anatomical sense, garment cutouts against the masked pairs' true masks, categories against
/// what the photos show, and the errors for photos without a person or a garment.
@Suite struct TryOnAnalysisTests {
    let engine = try! ImageEngine()

    static let benchPersons = ["01008_00.jpg", "02849_00.jpg", "049447_0.jpg", "051482_0.jpg", "051962_0.jpg", "052767_0.jpg", "053228_0.jpg",
                               "053700_0.jpg", "07966_00.jpg", "14627_00.jpg", "model_2.png", "model_4.png", "model_6.png", "model_8.png"]
        .map { "persons/\($0)" }
    static let demoPersons = ["000066_0.jpg", "004912_0.jpg", "005510_0.jpg", "014834_0.jpg", "015794_0.jpg", "016962_0.jpg"]
        .map { "masked-pairs/test_img/\($0)" }

    /// Whether a point (photo pixels) is on the silhouette, allowing `slack` photo pixels.
    static func onSilhouette(_ a: PersonAnalysis, _ p: ImagePoint, slack: Double) -> Bool {
        let scale = Double(a.maskWidth) / Double(a.width)
        let r = Int((slack * scale).rounded(.up))
        let cx = Int(p.x * scale), cy = Int(p.y * scale)
        for y in max(0, cy - r)...min(a.maskHeight - 1, max(0, cy + r)) {
            for x in max(0, cx - r)...min(a.maskWidth - 1, max(0, cx + r)) where a.mask[y * a.maskWidth + x] >= 128 { return true }
        }
        return false
    }

    /// Share of the polygon's area (photo pixels) that lies on the silhouette.
    static func polygonOnSilhouette(_ a: PersonAnalysis) throws -> Double {
        let scale = Double(a.maskWidth) / Double(a.width)
        let polygon = try ImageEngine.polygonMask(a.torsoPolygon.map { ImagePoint(x: $0.x * scale, y: $0.y * scale) },
                                                  width: a.maskWidth, height: a.maskHeight)
        var inside = 0, total = 0
        for index in 0..<polygon.count where polygon[index] >= 128 {
            total += 1
            if a.mask[index] >= 128 { inside += 1 }
        }
        return Double(inside) / Double(max(1, total))
    }

    /// Every bench person: the anatomy is in order, on the silhouette, in proportion to the face.
    @Test func personLandmarksMakeSense() throws {
        var analysed = 0, checked = 0
        var failures: [String] = [], offSilhouette: [String] = []
        print("\nperson                       face  detected  shoulders/face  torso-on-silhouette")
        for path in Self.benchPersons + Self.demoPersons {
            let analysis: PersonAnalysis
            do {
                analysis = try engine.analyzePerson(source: try Bench.bytes("vto/\(path)"))
            } catch {
                failures.append("\(path): \(error)")
                continue
            }
            analysed += 1
            let l = analysis.landmarks, face = analysis.face
            let faceWidth = Double(face.width), faceBottom = Double(face.y + face.height)
            let shoulderSpan = l.shoulders.right.x - l.shoulders.left.x
            let onSilhouette = try Self.polygonOnSilhouette(analysis)
            print(path.padding(toLength: 28, withPad: " ", startingAt: 0), String(format: "%4d  %8@  %14.2f  %19.2f", face.width,
                  analysis.faceDetected ? "yes" : "no", shoulderSpan / faceWidth, onSilhouette))
            for side in 0..<2 {
                #expect(l.shoulders[side].y > faceBottom, "\(path): shoulders below the face")
                #expect(l.chest[side].y > l.shoulders[side].y, "\(path): chest below the shoulders")
            }
            #expect(l.neck.y > faceBottom && l.neck.y < max(l.shoulders.left.y, l.shoulders.right.y) + 0.2 * l.headHeight,
                    "\(path): neck \(l.neck) between the face and the shoulders")
            #expect((1.2...3.2).contains(shoulderSpan / faceWidth), "\(path): shoulder span \(shoulderSpan) for a face \(faceWidth) wide")
            let waistY = (l.waist.left.y + l.waist.right.y) / 2, hipY = (l.hips.left.y + l.hips.right.y) / 2
            let chestY = (l.chest.left.y + l.chest.right.y) / 2
            #expect(chestY < waistY && waistY < hipY && hipY <= l.crotch.y, "\(path): chest \(chestY) < waist \(waistY) < hips \(hipY) ≤ crotch \(l.crotch.y)")
            #expect(l.waist.right.x - l.waist.left.x <= 1.15 * (l.hips.right.x - l.hips.left.x), "\(path): the waist no wider than the hips")
            // On the silhouette: joints on its top edge (a few pixels of slack), torso edges on it,
            // points below the frame's bottom (half-body shots) excepted.
            let slack = 0.04 * Double(analysis.width)
            var points = [l.neck]
            for side in 0..<2 { points += [l.shoulders[side], l.armpits[side], l.chest[side], l.waist[side], l.hips[side]] }
            for p in points where p.y < Double(analysis.height) {
                checked += 1
                if !Self.onSilhouette(analysis, p, slack: slack) { offSilhouette.append("\(path): \(p)") }
            }
            #expect(onSilhouette >= 0.8, "\(path): \(Int(onSilhouette * 100))% of the torso outline on the silhouette")
        }
        for failure in failures { print("not analysed:", failure) }
        print("landmarks off the silhouette: \(offSilhouette.count) of \(checked): \(offSilhouette)")
        // 051482 wears white on white with a bent arm: the cutout loses the side of her top, where
        // her right shoulder and chest edge are (2 of 207 points measured).
        #expect(offSilhouette.count <= 2, "\(offSilhouette)")
        // One bench person (051962: the frame cuts the head off at the chin and the cutout does
        // not keep a chin to recognise) is refused; every other one is analysed.
        #expect(analysed >= Self.benchPersons.count + Self.demoPersons.count - 1, "\(failures)")
    }

    /// Height and weight move the proportions the way bodies do.
    @Test func heightAndWeightRefineTheProportions() throws {
        let source = try Bench.bytes("vto/persons/model_8.png")
        let adult = try engine.analyzePerson(source: source).landmarks
        let child = try engine.analyzePerson(source: source, height: 100).landmarks
        let heavy = try engine.analyzePerson(source: source, height: 165, weight: 95).landmarks
        #expect(child.headsTall < adult.headsTall)
        #expect(child.crotch.y < adult.crotch.y, "a child's crotch is fewer head heights below the chin")
        #expect(heavy.buildFactor > 1.1)
        #expect(adult.buildFactor == 1)
    }

    @Test(arguments: [(50.0, 10.0), (250, 300)])
    func theRangesEndsAreAccepted(_ height: Double, _ weight: Double) throws {
        _ = try engine.analyzePerson(source: try Bench.bytes("vto/masked-pairs/test_img/004912_0.jpg"), height: height, weight: weight)
    }

    @Test func outOfRangeHeightAndWeightAreRefused() throws {
        let source = try Bench.bytes("vto/masked-pairs/test_img/004912_0.jpg")
        for (height, weight, word) in [(49.0, nil, "height"), (251, nil, "height"), (nil, 9.5, "weight"), (nil, 301, "weight"), (.nan, nil, "height")]
            as [(Double?, Double?, String)] {
            #expect {
                try engine.analyzePerson(source: source, height: height, weight: weight)
            } throws: { error in
                guard case ImagingError.invalidSpec(let message) = error else { return false }
                return message.contains(word)
            }
        }
    }

    @Test func aPhotoWithoutAPersonIsRefused() throws {
        // A duffel bag on white, and a flat product drawn on grey.
        var flat = Synthetic(width: 400, height: 500) { _, _ in (235, 235, 235) }
        flat.paint((40, 90, 160)) { x, y in (100..<300).contains(x) && (120..<380).contains(y) }
        for source in [try Bench.bytes("packshots/B0799CK52K/d80a51d3.jpg"), try flat.encoded(.jpeg)] {
            #expect {
                try engine.analyzePerson(source: source)
            } throws: { error in
                guard case ImagingError.invalidSpec(let message) = error else { return false }
                return message.contains("no person found")
            }
        }
    }

    @Test func aBlankImageHasNoGarment() throws {
        let blank = try Synthetic(width: 300, height: 400) { _, _ in (246, 246, 246) }.encoded(.png)
        #expect {
            try engine.analyzeGarment(source: blank)
        } throws: { error in
            guard case ImagingError.invalidSpec(let message) = error else { return false }
            return message.contains("no garment found")
        }
    }

    /// The garment cutout against the masked pairs' true masks (`test_edge`).
    @Test func garmentCutoutsMatchTheTrueMasks() throws {
        var scores: [(String, Double)] = []
        for pair in try TryOnReviewTests.demoPairs() {
            let analysis = try engine.analyzeGarment(source: try Bench.bytes("vto/masked-pairs/test_clothes/\(pair.garment)"))
            let truth = try Vips.decode(try Bench.bytes("vto/masked-pairs/test_edge/\(pair.garment)"), fittingIn: analysis.maskWidth, analysis.maskHeight)
            try #require(truth.width == analysis.maskWidth && truth.height == analysis.maskHeight)
            var intersection = 0, union = 0
            for index in 0..<analysis.mask.count {
                let found = analysis.mask[index] >= 128, expected = truth.pixels[index * truth.bands] >= 128
                if found && expected { intersection += 1 }
                if found || expected { union += 1 }
            }
            scores.append((pair.garment, Double(intersection) / Double(max(1, union))))
        }
        let values = scores.map(\.1)
        let mean = values.reduce(0, +) / Double(values.count)
        print("\ngarment cutout IoU against test_edge:", scores.map { "\($0.0) \(String(format: "%.3f", $0.1))" }.joined(separator: ", "),
              String(format: "— mean %.3f, min %.3f", mean, values.min()!))
        #expect(values.count == 6)
        #expect(mean >= 0.95, "mean IoU \(mean)")
        #expect(values.min()! >= 0.92, "min IoU \(values.min()!)")
    }

    /// Categories read from the shape against what each bench photo shows.
    static let expectedCategories: [String: GarmentCategory] = [
        "garments/00055_00.jpg": .top, "garments/00151_00.jpg": .top, "garments/02015_00.jpg": .top, "garments/03032_00.jpg": .top,
        "garments/04825_00.jpg": .top, "garments/048769_1.jpg": .top, "garments/049920_1.jpg": .top, "garments/049947_1.jpg": .top,
        "garments/049965_1.jpg": .top, "garments/050105_1.jpg": .top, "garments/050191_1.jpg": .top, "garments/07382_00.jpg": .top,
        "garments/10297_00.jpg": .top, "garments/051473_1.jpg": .bottom, "garments/051517_1.jpg": .bottom, "garments/051946_1.jpg": .bottom,
        "garments/051991_1.jpg": .bottom, "garments/052234_1.jpg": .dress, "garments/053319_1.jpg": .dress, "garments/053744_1.jpg": .dress,
        "garments/053790_1.jpg": .dress,
        "masked-pairs/test_clothes/003434_1.jpg": .top, "masked-pairs/test_clothes/006026_1.jpg": .top,
        "masked-pairs/test_clothes/010567_1.jpg": .top, "masked-pairs/test_clothes/014396_1.jpg": .top,
        "masked-pairs/test_clothes/017575_1.jpg": .top, "masked-pairs/test_clothes/019119_1.jpg": .top,
    ]

    @Test func garmentCategoriesAndLandmarks() throws {
        var right = 0
        var wrong: [String] = []
        for (path, expected) in Self.expectedCategories.sorted(by: { $0.key < $1.key }) {
            let analysis = try engine.analyzeGarment(source: try Bench.bytes("vto/\(path)"))
            if analysis.category == expected { right += 1 } else { wrong.append("\(path): \(analysis.category.rawValue), expected \(expected.rawValue)") }
            guard case .shape(let why) = analysis.categoryDecision else {
                Issue.record("\(path): the category was not read from the shape")
                continue
            }
            #expect(!why.isEmpty)
            let g = analysis.landmarks
            switch analysis.category {
            case .top, .dress, .outerwear:
                for side in 0..<2 {
                    #expect(g.neck[side].y <= g.armpits[side].y && g.armpits[side].y < g.hem[side].y, "\(path): neck, armpit, hem in order")
                }
                #expect(g.neck.left.x < g.collar.x && g.collar.x < g.neck.right.x, "\(path): the collar between the neck points")
                #expect(g.shoulders.left.x < g.shoulders.right.x && g.hem.left.x < g.hem.right.x, "\(path): left is left")
            case .bottom:
                let band = try #require(g.waistband, "\(path): a waistband")
                #expect(band.left.x < band.right.x && band.left.y < g.hem.left.y, "\(path): the waistband on top")
                if let crotch = g.crotch, let legs = g.legHems {
                    #expect(crotch.y > band.left.y && crotch.y < legs.left.outer.y && crotch.y < legs.right.outer.y, "\(path): crotch above the hems")
                }
            }
        }
        print("\ngarment categories: \(right) of \(Self.expectedCategories.count) right; wrong: \(wrong)")
        #expect(right >= Self.expectedCategories.count - 3, "\(wrong)")
    }

    /// Long sleeves photographed hanging against the garment's body, their cuffs below its hem
    /// (a tiered blouse, a flared one, a jersey top): one silhouette with the body, yet sleeves.
    @Test(arguments: ["garments/049920_1.jpg", "garments/049947_1.jpg", "masked-pairs/test_clothes/006026_1.jpg"])
    func sleevesHangingAgainstTheBodyAreSleeves(_ path: String) throws {
        let analysis = try engine.analyzeGarment(source: try Bench.bytes("vto/\(path)"))
        #expect(analysis.category == .top)
        #expect(analysis.evidence.hasSleeves && analysis.evidence.longSleeves, "\(path): \(analysis.evidence)")
        let g = analysis.landmarks
        // The body's chest is narrower than the sleeves' span, and each sleeve ends below its armpit.
        for side in 0..<2 {
            let end = try #require(g.sleeveEnds[side], "\(path): a sleeve end on side \(side)")
            #expect(end.outer.y > g.armpits[side].y && end.inner.y > g.armpits[side].y, "\(path): the sleeve hangs down")
        }
    }

    /// The same steps on a shape much wider than tall (a cropped top laid flat, its sleeves down):
    /// the body is cut from its sleeves within the shape, and the garment is read, not failed.
    @Test func sleeveStepsOnAWideShortShapeAreReadWithinIt() throws {
        var photo = Synthetic(width: 900, height: 300) { _, _ in (246, 246, 246) }
        // A body 360 wide down to row 185, sleeves beside it down to row 200.
        photo.paint((70, 90, 150)) { x, y in (100..<800).contains(x) && y >= 50 && y < ((270..<630).contains(x) ? 185 : 200) }
        let analysis = try engine.analyzeGarment(source: try photo.encoded())
        #expect(analysis.evidence.hasSleeves, "\(analysis.evidence)")
    }

    @Test func aGivenCategoryIsKept() throws {
        let analysis = try engine.analyzeGarment(source: try Bench.bytes("vto/garments/04825_00.jpg"), category: .dress)
        #expect(analysis.category == .dress)
        #expect(analysis.categoryDecision == .given)
        let trousers = try engine.analyzeGarment(source: try Bench.bytes("vto/garments/051946_1.jpg"))
        #expect(trousers.category == .bottom)
        #expect(trousers.landmarks.crotch != nil && trousers.landmarks.legHems != nil)
        let tee = try engine.analyzeGarment(source: try Bench.bytes("vto/garments/050191_1.jpg"))
        #expect(tee.evidence.hasSleeves && !tee.evidence.longSleeves)
        #expect(tee.landmarks.sleeveEnds.left != nil && tee.landmarks.sleeveEnds.right != nil)
    }
}
