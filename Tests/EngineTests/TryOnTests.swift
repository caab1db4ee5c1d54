import Foundation
import Testing

@testable import ProdVisualEngine

/// Try-ons checked on their pixels: the garment lies on the torso and within the person's
/// silhouette, the face is the photo's own to the pixel, the output has the ratio asked for,
/// the mark and tags are drawn, outfits combine, and bad inputs are refused by name.
/// PRODVISUAL_VTO_FULL=1 adds every bench person × garment (several minutes).
@Suite struct TryOnTests {
    let engine = try! ImageEngine()

    struct Geometry {
        /// Changed pixels (the garment, as laid) and how many of them fall on the silhouette and
        /// on the torso (both grown a little for the feathered edge and the ease).
        var changed = 0, onSilhouette = 0, onTorso = 0
        /// Share of the torso (down to the hips) the garment covers.
        var torsoCovered = 0.0
        /// Largest channel difference inside the face box.
        var faceDifference = 0
        var width = 0, height = 0

        var silhouetteShare: Double { Double(onSilhouette) / Double(max(1, changed)) }
        var torsoShare: Double { Double(onTorso) / Double(max(1, changed)) }
    }

    /// Compares a try-on (PNG, no mark) with the person photo through the result's placement.
    func measure(_ result: TryOnResult, person: [UInt8], analysis: PersonAnalysis) throws -> Geometry {
        let output = try engine.decodePixels(result.image.bytes)
        let photo = try engine.decodePixels(person)
        try #require(abs(result.scale - 1) < 1e-9, "measured at the photo's own scale")
        var g = Geometry(width: output.width, height: output.height)
        let toMask = Double(analysis.maskWidth) / Double(analysis.width)
        // Silhouette and torso (to the hips), grown by 2% of the photo's long side.
        let grow = max(2, Int(0.02 * Double(max(analysis.maskWidth, analysis.maskHeight))))
        let silhouette = Self.grown(analysis.mask, width: analysis.maskWidth, height: analysis.maskHeight, by: grow)
        let l = analysis.landmarks
        let hipY = (l.hips.left.y + l.hips.right.y) / 2
        let torsoPoints = analysis.torsoPolygon.map { ImagePoint(x: $0.x * toMask, y: $0.y * toMask) }
        let torsoMask = try ImageEngine.polygonMask(torsoPoints, width: analysis.maskWidth, height: analysis.maskHeight)
        let torso = Self.grown(torsoMask, width: analysis.maskWidth, height: analysis.maskHeight, by: grow)
        var torsoPixels = 0, torsoCovered = 0
        for y in 0..<output.height {
            let sy = y - Int(result.offsetY.rounded())
            guard sy >= 0, sy < photo.height else { continue }
            for x in 0..<output.width {
                let sx = x - Int(result.offsetX.rounded())
                guard sx >= 0, sx < photo.width else { continue }
                let a = output.rgb(x: x, y: y), b = photo.rgb(x: sx, y: sy)
                let difference = zip(a, b).map { abs(Int($0) - Int($1)) }.max()!
                let mx = min(analysis.maskWidth - 1, Int(Double(sx) * toMask)), my = min(analysis.maskHeight - 1, Int(Double(sy) * toMask))
                let inTorso = torsoMask[my * analysis.maskWidth + mx] >= 128 && Double(sy) <= hipY
                if inTorso { torsoPixels += 1 }
                if difference > 24 {
                    g.changed += 1
                    if silhouette[my * analysis.maskWidth + mx] >= 128 { g.onSilhouette += 1 }
                    if torso[my * analysis.maskWidth + mx] >= 128 { g.onTorso += 1 }
                    if inTorso { torsoCovered += 1 }
                }
                if result.face.contains(x: x, y: y) { g.faceDifference = max(g.faceDifference, difference) }
            }
        }
        g.torsoCovered = Double(torsoCovered) / Double(max(1, torsoPixels))
        return g
    }

    static func grown(_ mask: [UInt8], width: Int, height: Int, by radius: Int) -> [UInt8] {
        // Two separable passes of a max filter: a square grown by `radius`.
        var rows = [UInt8](repeating: 0, count: mask.count)
        for y in 0..<height {
            for x in 0..<width where mask[y * width + x] >= 128 {
                for d in max(0, x - radius)...min(width - 1, x + radius) { rows[y * width + d] = 255 }
            }
        }
        var out = [UInt8](repeating: 0, count: mask.count)
        for y in 0..<height {
            for x in 0..<width where rows[y * width + x] >= 128 {
                for d in max(0, y - radius)...min(height - 1, y + radius) { out[d * width + x] = 255 }
            }
        }
        return out
    }

    func check(person path: String, garment garmentPath: String, category: GarmentCategory? = nil) throws -> Geometry {
        try check(person: path, garment: try Bench.bytes("vto/\(garmentPath)"), named: garmentPath, category: category)
    }

    func check(person path: String, garment: [UInt8], named garmentPath: String = "a garment", category: GarmentCategory? = nil) throws -> Geometry {
        let person = try Bench.bytes("vto/\(path)")
        let analysis = try engine.analyzePerson(source: person)
        let start = Date()
        let results = try engine.tryOnDetailed(person: person, garments: [TryOnGarment(bytes: garment, category: category)],
                                               options: TryOnOptions(watermark: false, format: .png))
        let seconds = Date().timeIntervalSince(start)
        try #require(results.count == 1)
        let result = results[0]
        // 2:3, at the photo's own scale.
        #expect(abs(Double(result.image.width) / Double(result.image.height) - 2.0 / 3.0) < 1.0 / Double(result.image.height), "\(path): 2:3")
        let g = try measure(result, person: person, analysis: analysis)
        print(String(format: "%@ + %@: %.2f s, changed %d px, %.1f%% on the silhouette, %.1f%% on the torso, torso %.1f%% covered, face Δ %d",
                     path, garmentPath, seconds, g.changed, 100 * g.silhouetteShare, 100 * g.torsoShare, 100 * g.torsoCovered, g.faceDifference))
        #expect(g.faceDifference == 0, "\(path) + \(garmentPath): the face is untouched")
        #expect(g.changed > 0)
        return g
    }

    /// Every demo pair (tops on half-body shots): the garment lies on the silhouette and mostly on
    /// the torso, and covers most of it.
    @Test(arguments: try! TryOnReviewTests.demoPairs())
    func demoPairs(_ pair: (person: String, garment: String)) throws {
        let g = try check(person: "masked-pairs/test_img/\(pair.person)", garment: "masked-pairs/test_clothes/\(pair.garment)")
        // Measured: 100% on the silhouette, 81–100% on the torso, 77–99% of the torso covered.
        #expect(g.silhouetteShare >= 0.97, "\(pair): \(g.silhouetteShare) on the silhouette")
        #expect(g.torsoShare >= 0.75, "\(pair): \(g.torsoShare) on the torso")
        #expect(g.torsoCovered >= 0.7, "\(pair): \(g.torsoCovered) of the torso covered")
    }

    /// A few bench persons × garments across the categories.
    @Test(arguments: [("persons/model_8.png", "garments/00055_00.jpg"), ("persons/model_4.png", "garments/050191_1.jpg"),
                      ("persons/model_2.png", "garments/053790_1.jpg")])
    func benchPairs(_ person: String, _ garment: String) throws {
        let g = try check(person: person, garment: garment)
        // Measured: 100% on the silhouette, 93–100% on the torso, 75–95% of the torso covered.
        #expect(g.silhouetteShare >= 0.97, "\(person) + \(garment): \(g.silhouetteShare) on the silhouette")
        #expect(g.torsoShare >= 0.75, "\(person) + \(garment): \(g.torsoShare) on the torso")
        #expect(g.torsoCovered >= 0.7, "\(person) + \(garment): \(g.torsoCovered) of the torso covered")
    }

    @Test func trousersGoOnTheLegs() throws {
        let person = try Bench.bytes("vto/persons/model_8.png"), garment = try Bench.bytes("vto/garments/051946_1.jpg")
        let analysis = try engine.analyzePerson(source: person)
        let result = try engine.tryOnDetailed(person: person, garments: [TryOnGarment(bytes: garment)],
                                              options: TryOnOptions(watermark: false, format: .png))[0]
        let g = try measure(result, person: person, analysis: analysis)
        #expect(g.faceDifference == 0)
        #expect(g.silhouetteShare >= 0.9, "\(g.silhouetteShare) on the silhouette")
        // Below the waist: the changed pixels' rows.
        let output = try engine.decodePixels(result.image.bytes), photo = try engine.decodePixels(person)
        let waist = (analysis.landmarks.waist.left.y + analysis.landmarks.waist.right.y) / 2
        var above = 0, total = 0
        for y in stride(from: 0, to: output.height, by: 2) {
            for x in stride(from: 0, to: output.width, by: 2) {
                let sx = x - Int(result.offsetX.rounded())
                guard sx >= 0, sx < photo.width else { continue }
                let difference = zip(output.rgb(x: x, y: y), photo.rgb(x: sx, y: y)).map { abs(Int($0) - Int($1)) }.max()!
                guard difference > 24 else { continue }
                total += 1
                if Double(y) < waist - 0.3 * analysis.landmarks.headHeight { above += 1 }
            }
        }
        #expect(total > 1000)
        #expect(Double(above) / Double(max(1, total)) < 0.03, "\(above) of \(total) changed pixels above the waist")
    }

    /// Every documented ratio, and the sizes: automatic, a long side, exact.
    @Test func ratiosAndSizes() throws {
        let person = try Bench.bytes("vto/masked-pairs/test_img/004912_0.jpg"), garment = try Bench.bytes("vto/masked-pairs/test_clothes/014396_1.jpg")
        for ratio in TryOnAspectRatio.documented {
            let image = try engine.tryOn(person: person, garments: [TryOnGarment(bytes: garment)],
                                         options: TryOnOptions(aspectRatio: ratio, size: .longSide(600), watermark: true))[0]
            #expect(max(image.width, image.height) == 600, "\(ratio): \(image.width)x\(image.height)")
            #expect(abs(Double(image.width) / Double(image.height) - Double(ratio.width) / Double(ratio.height)) < 0.01, "\(ratio): \(image.width)x\(image.height)")
            let decoded = try engine.decodePixels(image.bytes)
            #expect(decoded.width == image.width && decoded.height == image.height)
        }
        let exact = try engine.tryOn(person: person, garments: [TryOnGarment(bytes: garment)],
                                     options: TryOnOptions(size: .exact(width: 500, height: 500), format: .webp))[0]
        #expect(exact.width == 500 && exact.height == 500 && exact.format == .webp)
        #expect(FormatSniffer.sniff(exact.bytes) == .webp)
        let automatic = try engine.tryOn(person: person, garments: [TryOnGarment(bytes: garment)])[0]
        #expect(automatic.height == 256 && automatic.width == 171, "the photo's own resolution, cut to 2:3: \(automatic.width)x\(automatic.height)")
        #expect(automatic.format == .jpeg)

        #expect(try TryOnAspectRatio(parsing: "9:21") == .portrait9x21)
        #expect {
            try TryOnAspectRatio(parsing: "5:4")
        } throws: { error in
            guard case ImagingError.invalidSpec(let message) = error else { return false }
            return message.contains("5:4") && message.contains("2:3")
        }
    }

    /// The mark is drawn in the bottom-right corner, away from the face; the info tag beside the
    /// garment; neither when not asked for.
    @Test func watermarkAndInfoTag() throws {
        let person = try Bench.bytes("vto/masked-pairs/test_img/014834_0.jpg"), garment = try Bench.bytes("vto/masked-pairs/test_clothes/019119_1.jpg")
        let options = { (watermark: Bool) in TryOnOptions(size: .longSide(900), watermark: watermark, format: .png) }
        let plain = try engine.tryOnDetailed(person: person, garments: [TryOnGarment(bytes: garment)], options: options(false))[0]
        let marked = try engine.tryOnDetailed(person: person, garments: [TryOnGarment(bytes: garment)], options: options(true))[0]
        let tagged = try engine.tryOnDetailed(person: person, garments: [TryOnGarment(bytes: garment, info: "€49.90")], options: options(false))[0]
        let a = try engine.decodePixels(plain.image.bytes), b = try engine.decodePixels(marked.image.bytes), c = try engine.decodePixels(tagged.image.bytes)
        func changes(_ other: PixelImage) -> (count: Int, box: PixelRect) {
            var count = 0, minX = a.width, minY = a.height, maxX = 0, maxY = 0
            for y in 0..<a.height {
                for x in 0..<a.width where zip(a.rgb(x: x, y: y), other.rgb(x: x, y: y)).contains(where: { abs(Int($0) - Int($1)) > 8 }) {
                    count += 1
                    minX = min(minX, x); maxX = max(maxX, x); minY = min(minY, y); maxY = max(maxY, y)
                }
            }
            return (count, PixelRect(x: minX, y: minY, width: max(0, maxX - minX + 1), height: max(0, maxY - minY + 1)))
        }
        let mark = changes(b)
        #expect(mark.count > 300, "the mark is visible: \(mark.count) pixels")
        #expect(mark.box.x > a.width / 3 && mark.box.y > a.height * 4 / 5, "in the bottom-right corner: \(mark.box)")
        #expect(Double(mark.box.width * mark.box.height) < 0.06 * Double(a.width * a.height), "unobtrusive: \(mark.box)")
        let tag = changes(c)
        #expect(tag.count > 150, "the tag is drawn: \(tag.count) pixels")
        #expect(Double(tag.box.width * tag.box.height) < 0.1 * Double(a.width * a.height), "small: \(tag.box)")
        #expect(!tag.box.intersects(plain.face) && !mark.box.intersects(plain.face), "neither touches the face")
    }

    @Test func outfitsCombineATopAndABottom() throws {
        #expect(ImageEngine.outfitGroups([.top, .bottom]) == [[0, 1]])
        #expect(ImageEngine.outfitGroups([.bottom, .outerwear, .top]) == [[0, 1], [2]])
        #expect(ImageEngine.outfitGroups([.top, .top, .bottom]) == [[0, 2], [1]])
        #expect(ImageEngine.outfitGroups([.dress, .top]) == [[0], [1]])
        #expect(ImageEngine.outfitGroups([.bottom]) == [[0]])

        let person = try Bench.bytes("vto/persons/model_8.png")
        let top = try Bench.bytes("vto/garments/050191_1.jpg"), bottom = try Bench.bytes("vto/garments/051946_1.jpg")
        let dress = try Bench.bytes("vto/garments/053319_1.jpg")
        let results = try engine.tryOnDetailed(person: person, garments: [TryOnGarment(bytes: top), TryOnGarment(bytes: bottom), TryOnGarment(bytes: dress)],
                                               options: TryOnOptions(size: .longSide(640), watermark: false))
        #expect(results.map(\.items) == [[0, 1], [2]])
        #expect(results[0].categories == [.top, .bottom] && results[1].categories == [.dress])
        // The outfit covers more of the person than either of its items does alone.
        let topOnly = try engine.tryOnDetailed(person: person, garments: [TryOnGarment(bytes: top)], options: TryOnOptions(size: .longSide(640), watermark: false))[0]
        let covered = { (r: TryOnResult) in r.coverage.filter { $0 >= 128 }.count }
        #expect(covered(results[0]) > covered(topOnly) * 5 / 4, "\(covered(results[0])) vs \(covered(topOnly))")
    }

    /// Recolouring shifts the garment's hue to the target and keeps its shading.
    @Test func recolourTakesTheTargetColour() throws {
        let person = try Bench.bytes("vto/persons/model_4.png"), garment = try Bench.bytes("vto/garments/050191_1.jpg")
        let red = RGBColor(r: 200, g: 30, b: 40)
        let result = try engine.tryOnDetailed(person: person, garments: [TryOnGarment(bytes: garment, recolor: red)],
                                              options: TryOnOptions(watermark: false, format: .png))[0]
        let output = try engine.decodePixels(result.image.bytes)
        var reddish = 0, total = 0, lightness: [Int] = []
        for index in stride(from: 0, to: result.coverage.count, by: 3) where result.coverage[index] == 255 {
            let p = output.rgb(x: index % output.width, y: index / output.width).map(Int.init)
            total += 1
            if p[0] > p[1] + 40 && p[0] > p[2] + 40 { reddish += 1 }
            lightness.append(p.reduce(0, +))
        }
        #expect(total > 1000)
        #expect(Double(reddish) / Double(total) > 0.7, "\(reddish) of \(total) garment pixels are red")
        lightness.sort()
        #expect(lightness[lightness.count * 9 / 10] - lightness[lightness.count / 10] > 30, "shading kept")
    }

    @Test func badInputsAreRefusedByName() throws {
        let person = try Bench.bytes("vto/masked-pairs/test_img/004912_0.jpg"), garment = try Bench.bytes("vto/masked-pairs/test_clothes/014396_1.jpg")
        let product = try Bench.bytes("packshots/B0799CK52K/d80a51d3.jpg")
        let blank = try Synthetic(width: 300, height: 400) { _, _ in (246, 246, 246) }.encoded(.png)
        func refused(_ person: [UInt8], _ garments: [TryOnGarment], _ options: TryOnOptions = TryOnOptions(), saying words: [String]) {
            #expect {
                try engine.tryOn(person: person, garments: garments, options: options)
            } throws: { error in
                guard case ImagingError.invalidSpec(let message) = error else { return false }
                return words.allSatisfy { message.contains($0) }
            }
        }
        refused(product, [TryOnGarment(bytes: garment)], saying: ["person image", "no person found"])
        refused(person, [TryOnGarment(bytes: garment), TryOnGarment(bytes: blank)], saying: ["garments[1]", "no garment found"])
        refused(person, [], saying: ["garments", "at least one"])
        refused(person, [TryOnGarment(bytes: garment)], TryOnOptions(height: 300), saying: ["height", "50", "250"])
        refused(person, [TryOnGarment(bytes: garment)], TryOnOptions(weight: 5), saying: ["weight", "10", "300"])
        refused(person, [TryOnGarment(bytes: garment)], TryOnOptions(size: .longSide(20)), saying: ["long side"])
        #expect(throws: ImagingError.unsupportedFormat) {
            try engine.tryOn(person: Array("not an image".utf8), garments: [TryOnGarment(bytes: garment)])
        }
        #expect {
            try engine.tryOn(person: person, garments: [TryOnGarment(bytes: Array(garment.prefix(300)))])
        } throws: { error in
            if case ImagingError.undecodable(let message) = error { return message.hasPrefix("garments[0]") }
            return false
        }
    }

    /// The tuple form is the same call.
    @Test func tupleItems() throws {
        let person = try Bench.bytes("vto/masked-pairs/test_img/014834_0.jpg"), garment = try Bench.bytes("vto/masked-pairs/test_clothes/019119_1.jpg")
        let images = try engine.tryOn(person: person, garments: [(bytes: garment, category: GarmentCategory.top, info: nil, recolor: nil)],
                                      options: TryOnOptions(format: .png))
        #expect(images.count == 1 && images[0].format == .png)
    }

    /// A blouse whose tiered sleeves hang against its body, in a product photo cut at its hem (so
    /// that no cuff shows below it), has no sleeves of its own to the shape reading, and its
    /// chest spans the sleeves. Sized by its shoulders instead, it covers 53–65% of these torsos
    /// down to the hips (44–60% when sized by that chest; on model_8 the blouse is near her white
    /// top's colour, so fewer pixels count as changed).
    @Test(arguments: ["persons/model_8.png", "persons/model_4.png", "persons/01008_00.jpg"])
    func aTopWithSleevesAgainstItsBodyIsSizedByItsShoulders(_ person: String) throws {
        let blouse = try engine.decodePixels(try Bench.bytes("vto/garments/049920_1.jpg"))
        // White from three quarters of the way down: the body's hem, above the cuffs.
        var pixels = blouse.data
        for index in (3 * blouse.height / 4 * blouse.width * blouse.bands)..<pixels.count { pixels[index] = 255 }
        let cut = try Vips.encode(Raster(width: blouse.width, height: blouse.height, bands: blouse.bands, pixels: pixels), as: .png, quality: 100)
        let analysis = try engine.analyzeGarment(source: cut)
        try #require(analysis.category == .top && !analysis.evidence.hasSleeves, "cut at the hem, the blouse reads as sleeveless")
        let g = try check(person: person, garment: cut)
        #expect(g.silhouetteShare >= 0.97)
        #expect(g.torsoCovered >= 0.53, "\(person): \(g.torsoCovered) of the torso covered")
    }

    /// What the person wears under the garment does not show through it: neither a print's
    /// skin-coloured spots (kept in front as "a hand") nor its edges (carried as "shading").
    /// Measured over the middle of the tee's plain lower half, row by row between its edges: the
    /// share of pixels whose chromaticity is far from the median (a hole showing the clothes
    /// underneath), and the share whose luminance jumps against its neighbourhood (a print's
    /// edges carried over as shading).
    @Test(arguments: [("persons/049447_0.jpg", "patterned trousers, hands in pockets"), ("persons/01008_00.jpg", "a leopard skirt"),
                      ("persons/052767_0.jpg", "a dark sequinned dress")])
    func clothesUnderneathDoNotShowThrough(_ person: String, _ what: String) throws {
        let results = try engine.tryOnDetailed(person: try Bench.bytes("vto/\(person)"),
                                               garments: [TryOnGarment(bytes: try Bench.bytes("vto/garments/00055_00.jpg"))],
                                               options: TryOnOptions(watermark: false, format: .png))
        let result = try #require(results.first)
        let output = try engine.decodePixels(result.image.bytes)
        let width = output.width
        let laid = (0..<output.height).filter { y in (0..<width).contains { result.coverage[y * width + $0] >= 250 } }
        let top = try #require(laid.first), bottom = try #require(laid.last)
        func luminance(_ x: Int, _ y: Int) -> Double {
            let p = output.rgb(x: x, y: y)
            return 0.2126 * Double(p[0]) + 0.7152 * Double(p[1]) + 0.0722 * Double(p[2])
        }
        var chroma: [(Double, Double)] = []
        var jumps = 0
        // The lower half of the tee (plain lilac below its logo), over the person's waist and hips.
        for y in (top + bottom) / 2...(bottom - 4) {
            let covered = (0..<width).filter { result.coverage[y * width + $0] >= 250 }
            guard let left = covered.first, let right = covered.last, right - left > 40 else { continue }
            let inset = (right - left) * 15 / 100
            for x in (left + inset)...(right - inset) {
                let p = output.rgb(x: x, y: y).map(Double.init)
                let sum = max(1, p[0] + p[1] + p[2])
                chroma.append((p[0] / sum, p[1] / sum))
                var around = 0.0
                for dy in -4...4 { for dx in -4...4 { around += luminance(x + dx, y + dy) } }
                around /= 81
                if abs(luminance(x, y) - around) > 0.12 * around { jumps += 1 }
            }
        }
        try #require(chroma.count > 1000)
        let median = (chroma.map(\.0).sorted()[chroma.count / 2], chroma.map(\.1).sorted()[chroma.count / 2])
        let offColour = Double(chroma.filter { hypot($0.0 - median.0, $0.1 - median.1) > 0.06 }.count) / Double(chroma.count)
        let jumpShare = Double(jumps) / Double(chroma.count)
        print(String(format: "%@ (%@): %.2f%% of the tee's lower middle off its colour, %.2f%% with luminance jumps",
                     person, what, 100 * offColour, 100 * jumpShare))
        #expect(offColour < 0.005, "\(what) shows through the tee: \(offColour)")
        #expect(jumpShare < 0.01, "\(what) shows through the tee's shading: \(jumpShare)")
    }

    /// Every bench person × garment (PRODVISUAL_VTO_FULL=1): the face is untouched and the
    /// garment stays on the silhouette in all; a table for the log.
    @Test(.enabled(if: ProcessInfo.processInfo.environment["PRODVISUAL_VTO_FULL"] == "1"))
    func everyPersonAndGarment() throws {
        let persons = TryOnAnalysisTests.benchPersons.filter { $0 != "persons/051962_0.jpg" }
        let garments = try FileManager.default.contentsOfDirectory(atPath: Bench.root.appendingPathComponent("vto/garments").path).sorted()
        var rows: [(String, Geometry)] = [], times: [Double] = []
        for person in persons {
            for garment in garments {
                let start = Date()
                rows.append(("\(person) + \(garment)", try check(person: person, garment: "garments/\(garment)")))
                times.append(Date().timeIntervalSince(start))
            }
        }
        let onSilhouette = rows.filter { $0.1.silhouetteShare >= 0.97 }.count
        print(String(format: "\n%d try-ons: %d with ≥ 97%% of the garment on the silhouette; mean %.2f s (analysis, try-on and measuring)",
                     rows.count, onSilhouette, times.reduce(0, +) / Double(times.count)))
        // Measured: all 273 at 100%.
        #expect(onSilhouette == rows.count, "\(rows.filter { $0.1.silhouetteShare < 0.97 }.map(\.0))")
    }
}

extension PixelRect {
    func contains(x px: Int, y py: Int) -> Bool { px >= x && px < x + width && py >= y && py < y + height }

    func intersects(_ other: PixelRect) -> Bool {
        x < other.x + other.width && other.x < x + width && y < other.y + other.height && other.y < y + height
    }
}
