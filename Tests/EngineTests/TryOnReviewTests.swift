import Foundation
import Testing

@testable import ProdVisualEngine

/// Renders for looking at, not for checking: every person's and garment's landmarks drawn on the
/// photo, a contact sheet of every demo pair and every person × garment try-on, and one overview
/// sheet (overview.png). Run with PRODVISUAL_VTO_REVIEW=1 (a few minutes), and
/// PRODVISUAL_VTO_MODELS=1 for the learned eyes; the sheets go to PRODVISUAL_VTO_REVIEW_DIR or
/// /tmp/vto-review.
@Suite(.serialized, .enabled(if: ProcessInfo.processInfo.environment["PRODVISUAL_VTO_REVIEW"] == "1"))
struct TryOnReviewTests {
    /// The learned eyes with PRODVISUAL_VTO_MODELS=1, else the classical ones.
    let engine = try! (ProcessInfo.processInfo.environment["PRODVISUAL_VTO_MODELS"] == "1" ? Eyes.models : Eyes.classical).engine()
    static let folder = URL(fileURLWithPath: ProcessInfo.processInfo.environment["PRODVISUAL_VTO_REVIEW_DIR"] ?? "/tmp/vto-review")

    init() throws {
        try FileManager.default.createDirectory(at: Self.folder, withIntermediateDirectories: true)
    }

    func write(_ bytes: [UInt8], _ name: String) throws {
        try Data(bytes).write(to: Self.folder.appendingPathComponent(name))
    }

    /// The photo with dots on its landmarks and the outline drawn.
    func overlay(_ source: [UInt8], points: [(ImagePoint, RGBColor)], lines: [[ImagePoint]], box: PixelRect?) throws -> [UInt8] {
        let raster = try Vips.decode(source, fittingIn: 4096, 4096).flattened()
        var stage = Stage(width: 1, height: 1)
        stage.canvas = raster
        let r = max(2.5, Double(raster.width) / 150)
        for line in lines {
            for (a, b) in zip(line, line.dropFirst()) {
                try stage.draw(.line, from: (a.x, a.y), to: (b.x, b.y), size: max(1, r / 2.5), colour: RGBColor(r: 0, g: 200, b: 255))
            }
        }
        if let box {
            let corners = [(box.x, box.y), (box.x + box.width, box.y), (box.x + box.width, box.y + box.height), (box.x, box.y + box.height), (box.x, box.y)]
            for (a, b) in zip(corners, corners.dropFirst()) {
                try stage.draw(.line, from: (Double(a.0), Double(a.1)), to: (Double(b.0), Double(b.1)), size: max(1, r / 2.5), colour: RGBColor(r: 255, g: 220, b: 0))
            }
        }
        for (p, colour) in points {
            try stage.draw(.ellipse, from: (p.x - r, p.y - r), to: (p.x + r, p.y + r), colour: colour)
        }
        return try Vips.encode(stage.canvas, as: .png, quality: 100)
    }

    static let red = RGBColor(r: 255, g: 40, b: 40), green = RGBColor(r: 40, g: 220, b: 60), blue = RGBColor(r: 60, g: 80, b: 255)
    static let magenta = RGBColor(r: 255, g: 0, b: 220), orange = RGBColor(r: 255, g: 150, b: 0)

    static func persons() throws -> [String] {
        try FileManager.default.contentsOfDirectory(atPath: Bench.root.appendingPathComponent("vto/persons").path).sorted()
    }

    static func garments() throws -> [String] {
        try FileManager.default.contentsOfDirectory(atPath: Bench.root.appendingPathComponent("vto/garments").path).sorted()
    }

    @Test func landmarkSheets() throws {
        var tiles: [(label: String, image: [UInt8])] = []
        let personPaths = try Self.persons().map { "persons/\($0)" } + Self.demoPairs().map { "masked-pairs/test_img/\($0.person)" }
        for path in personPaths {
            let name = String(path.split(separator: "/").last!)
            let source = try Bench.bytes("vto/\(path)")
            do {
                let a = try engine.analyzePerson(source: source)
                let l = a.landmarks
                var points: [(ImagePoint, RGBColor)] = [(l.neck, Self.red), (l.crotch, Self.red)]
                for side in 0..<2 {
                    points += [(l.shoulders[side], Self.green), (l.armpits[side], Self.blue), (l.chest[side], Self.blue),
                               (l.waist[side], Self.magenta), (l.hips[side], Self.orange), (l.elbows[side], Self.green),
                               (l.wrists[side], Self.green), (l.knees[side], Self.red), (l.ankles[side], Self.red),
                               (l.armOuterEdges[side], Self.magenta), (l.armInnerEdges[side], Self.magenta)]
                }
                var polygon = a.torsoPolygon
                polygon.append(polygon[0])
                let arms = (0..<2).map { [l.shoulders[$0], l.elbows[$0], l.wrists[$0]] }
                let fw = Double(a.face.width)
                print(String(format: "%@ face %.0f chest/fw %.2f shoulders/fw %.2f shoulderW/fw %.2f waist/fw %.2f hips/fw %.2f detected %@", name, fw,
                             (l.chest.right.x - l.chest.left.x) / fw, (l.shoulders.right.x - l.shoulders.left.x) / fw, l.shoulderWidth / fw,
                             (l.waist.right.x - l.waist.left.x) / fw, (l.hips.right.x - l.hips.left.x) / fw, a.faceDetected ? "yes" : "no"))
                let drawn = try overlay(source, points: points, lines: [polygon] + arms, box: a.face)
                try write(drawn, "landmarks-\(name).png")
                try write(try Vips.encode(Raster(width: a.maskWidth, height: a.maskHeight, bands: 3, pixels: a.mask.flatMap { [$0, $0, $0] }), as: .png, quality: 100),
                          "silhouette-\(name).png")
                tiles.append((name, drawn))
            } catch {
                tiles.append(("\(name): \(error)", source))
            }
        }
        try write(try engine.contactSheet(tiles, columns: 7, tileSide: 420), "persons-landmarks.png")

        tiles = []
        let pairs = try Self.demoPairs().map { "masked-pairs/test_clothes/\($0.garment)" }
        for path in try Self.garments().map({ "garments/\($0)" }) + pairs {
            let source = try Bench.bytes("vto/\(path)")
            do {
                let a = try engine.analyzeGarment(source: source)
                let g = a.landmarks
                var points: [(ImagePoint, RGBColor)] = [(g.collar, Self.red)]
                for side in 0..<2 {
                    points += [(g.neck[side], Self.red), (g.shoulders[side], Self.green), (g.armpits[side], Self.blue), (g.hem[side], Self.orange)]
                    if let cuff = g.sleeveEnds[side] { points += [(cuff.outer, Self.magenta), (cuff.inner, Self.blue)] }
                    if let band = g.waistband { points.append((band[side], Self.magenta)) }
                    if let legs = g.legHems { points += [(legs[side].outer, Self.magenta), (legs[side].inner, Self.blue)] }
                }
                if let crotch = g.crotch { points.append((crotch, Self.red)) }
                let outline = g.outline.map { ImagePoint(x: $0.left, y: $0.y) } + g.outline.reversed().map { ImagePoint(x: $0.right, y: $0.y) }
                let e = a.evidence
                let label = "\(a.category.rawValue) a\(String(format: "%.2f", e.aspect)) r\(String(format: "%.2f", e.sleeveReach)) d\(String(format: "%.2f", e.neckDip)) c\(String(format: "%.2f", e.topCoverage)) s\(String(format: "%.2f", e.strapShare)) o\(String(format: "%.2f", e.centreOpening))"
                let drawn = try overlay(source, points: points, lines: [outline], box: nil)
                try write(drawn, "garment-\(path.split(separator: "/").last!).png")
                let maskRGB = a.mask.flatMap { [$0, $0, $0] }
                try write(try Vips.encode(Raster(width: a.maskWidth, height: a.maskHeight, bands: 3, pixels: maskRGB), as: .png, quality: 100),
                          "garment-mask-\(path.split(separator: "/").last!).png")
                tiles.append((label, drawn))
                print(path, label, a.categoryDecision)
            } catch {
                tiles.append(("\(path): \(error)", source))
            }
        }
        try write(try engine.contactSheet(tiles, columns: 7, tileSide: 420), "garments-landmarks.png")
    }

    static func demoPairs() throws -> [(person: String, garment: String)] {
        let text = try String(contentsOf: Bench.root.appendingPathComponent("vto/masked-pairs/demo.txt"), encoding: .utf8)
        return text.split(whereSeparator: \.isNewline).compactMap { line in
            let parts = line.split(separator: " ")
            return parts.count == 2 ? (String(parts[0]), String(parts[1])) : nil
        }
    }

    @Test func tryOnSheets() throws {
        var tiles: [(label: String, image: [UInt8])] = []
        let options = TryOnOptions(watermark: true, format: .jpeg)
        for pair in try Self.demoPairs() {
            let person = try Bench.bytes("vto/masked-pairs/test_img/\(pair.person)")
            let garment = try Bench.bytes("vto/masked-pairs/test_clothes/\(pair.garment)")
            do {
                let out = try engine.tryOn(person: person, garments: [TryOnGarment(bytes: garment, info: "€29.90")], options: TryOnOptions(size: .longSide(768)))
                tiles.append(("\(pair.person) + \(pair.garment)", out[0].bytes))
            } catch {
                tiles.append(("\(pair.person): \(error)", person))
            }
        }
        try write(try engine.contactSheet(tiles, columns: 6, tileSide: 400), "demo-pairs.png")

        let only = ProcessInfo.processInfo.environment["PRODVISUAL_VTO_PERSONS"].map { $0.split(separator: ",").map(String.init) }
        for name in try Self.persons() where only == nil || only!.contains(name) {
            tiles = []
            let person = try Bench.bytes("vto/persons/\(name)")
            for garmentName in try Self.garments() {
                let garment = try Bench.bytes("vto/garments/\(garmentName)")
                let start = Date()
                do {
                    let out = try engine.tryOn(person: person, garments: [TryOnGarment(bytes: garment)], options: options)
                    tiles.append(("\(garmentName) \(String(format: "%.1fs", Date().timeIntervalSince(start)))", out[0].bytes))
                } catch {
                    tiles.append(("\(garmentName): \(error)", garment))
                }
            }
            try write(try engine.contactSheet(tiles, columns: 7, tileSide: 360), "person-\(name).png")
        }
    }
}

extension TryOnReviewTests {
    @Test func onePerson() throws {
        guard let name = ProcessInfo.processInfo.environment["PRODVISUAL_VTO_ONE"] else { return }
        let a = try engine.analyzePerson(source: try Bench.bytes("vto/persons/\(name)"))
        print(a.face, a.faceDetected, a.landmarks.shoulders, a.landmarks.shoulderWidth)
    }
}

extension TryOnReviewTests {
    /// One try-on with the fit's target points drawn: PRODVISUAL_VTO_PAIR=person,garment (bench paths under vto/).
    @Test func oneTryOn() throws {
        guard let pair = ProcessInfo.processInfo.environment["PRODVISUAL_VTO_PAIR"]?.split(separator: ",").map(String.init), pair.count == 2 else { return }
        let person = try Bench.bytes("vto/\(pair[0])"), garment = try Bench.bytes("vto/\(pair[1])")
        let model = try engine.personModel(person, height: nil, weight: nil, composing: true)
        let g = try engine.garmentModel(garment, category: nil, composing: true)
        let fit = TryOnFit.make(garment: g.landmarks, category: g.analysis.category, body: Body(l: model.landmarks))
        let out = try engine.tryOnDetailed(person: person, garments: [TryOnGarment(bytes: garment)], options: TryOnOptions(size: .automatic, watermark: false, format: .png))
        let r = out[0]
        let moved = fit.target.map { ImagePoint(x: $0.x * r.scale + r.offsetX, y: $0.y * r.scale + r.offsetY) }
        let colours: [RGBColor] = (0..<moved.count).map { (i: Int) -> RGBColor in
            let r = UInt8((i * 67) % 256), g = UInt8((i * 141 + 80) % 256), b = UInt8((i * 29 + 160) % 256)
            return RGBColor(r: r, g: g, b: b)
        }
        try write(try overlay(r.image.bytes, points: Array(zip(moved, colours)), lines: [], box: r.face), "one-tryon.png")
        let garmentPoints = fit.source.map { ImagePoint(x: $0.x * Double(g.analysis.width) / Double(g.layer.width), y: $0.y * Double(g.analysis.height) / Double(g.layer.height)) }
        try write(try overlay(garment, points: Array(zip(garmentPoints, colours)), lines: [], box: nil), "one-garment.png")
        print("category", g.analysis.category, g.analysis.categoryDecision, "points", fit.source.count)
        for (a, b) in zip(fit.source, fit.target) { print("  ", a, "->", b) }
        for p in fit.sleevePieces { print("sleeve", p.side, p.span, p.from, "->", p.to) }
        print("garment layer", g.layer.width, g.layer.height, "landmarks", g.landmarks.neck, g.landmarks.shoulders, g.landmarks.armpits, g.landmarks.hem)
        let l = model.landmarks
        print("person", l.neck, l.shoulders, l.chest, l.armpits, l.waist, l.hips, l.crotch)
        print("arms", l.elbows, l.wrists, l.armWidths, l.armsSeen, "sleeves", fit.sleeves, "cuffs", g.landmarks.sleeveEnds.left as Any, g.landmarks.sleeveEnds.right as Any)
    }
}

extension TryOnReviewTests {
    @Test func personMasks() throws {
        for name in try Self.persons() {
            let source = try Bench.bytes("vto/persons/\(name)")
            let header = try Vips.header(source)
            let segmentation = try engine.productSegmentation(source, header: header)
            let work = segmentation.work
            try write(try Vips.encode(Raster(width: work.width, height: work.height, bands: 3, pixels: segmentation.mask.flatMap { [$0, $0, $0] }), as: .png, quality: 100), "person-mask-\(name).png")
            print(name, "confidence", segmentation.confidence)
        }
    }
}

extension TryOnReviewTests {
    /// The one sheet to look at: every bench person in one garment of each kind (a tee, a long
    /// sleeve, a camisole, a tiered blouse, trousers, a dress) and an outfit, one row a person.
    @Test func overviewSheet() throws {
        let garments = ["00055_00.jpg", "00151_00.jpg", "048769_1.jpg", "049920_1.jpg", "051991_1.jpg", "053319_1.jpg"]
        let bytes = try garments.map { try Bench.bytes("vto/garments/\($0)") }
        var tiles: [(label: String, image: [UInt8])] = []
        let options = TryOnOptions(size: .longSide(720), format: .jpeg)
        for name in try Self.persons() {
            let person = try Bench.bytes("vto/persons/\(name)")
            tiles.append((name, person))
            for (garment, data) in zip(garments, bytes) {
                do {
                    tiles.append((garment, try engine.tryOn(person: person, garments: [TryOnGarment(bytes: data)], options: options)[0].bytes))
                } catch {
                    tiles.append(("\(garment): \(error)", data))
                }
            }
            do {
                let outfit = [TryOnGarment(bytes: bytes[0], info: "€29.90"), TryOnGarment(bytes: bytes[4], info: "€79.00")]
                tiles.append(("outfit", try engine.tryOn(person: person, garments: outfit, options: options)[0].bytes))
            } catch {
                tiles.append(("outfit: \(error)", person))
            }
        }
        try write(try engine.contactSheet(tiles, columns: 8, tileSide: 320), "overview.png")
    }
}

extension TryOnReviewTests {
    /// An outfit with tags and the mark, and a recoloured garment, at full size.
    @Test func outfitSample() throws {
        let person = try Bench.bytes("vto/persons/model_8.png")
        let top = try Bench.bytes("vto/garments/050191_1.jpg"), bottom = try Bench.bytes("vto/garments/051946_1.jpg")
        let out = try engine.tryOn(person: person, garments: [TryOnGarment(bytes: top, info: "Balenciaga tee · €450"),
                                                              TryOnGarment(bytes: bottom, info: "€89.90", recolor: RGBColor(r: 60, g: 90, b: 150))],
                                   options: TryOnOptions(aspectRatio: .square, size: .longSide(1200), format: .png))
        try write(out[0].bytes, "outfit.png")
    }
}
