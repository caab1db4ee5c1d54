import Crypto
import Foundation
import Testing

@testable import ProdVisualEngine

/// The learned models as `make deps` installs them (CI runs it first), on real bench photos.
enum InstalledModels {
    /// `models/` at the repository's root, or PRODVISUAL_MODEL_DIR.
    static let directory = ProcessInfo.processInfo.environment["PRODVISUAL_MODEL_DIR"]
        ?? URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("models").path

    /// Loaded once: every suite below shares them, as the server's workers do.
    static let loaded: ModelSet? = try? ModelSet.load(directory: directory)

    static func require() throws -> ModelSet {
        let loaded = try #require(loaded, "the model catalogue could not be read")
        for status in loaded.statuses {
            try #require(status.state == .loaded, "\(status.entry.file) is \(status.state) in \(directory): run `make deps`")
        }
        return loaded
    }
}

/// Which eyes an engine sees with: the classical vision path alone, or the learned models.
enum Eyes: String, CaseIterable, Sendable, CustomStringConvertible {
    case classical, models

    static let classicalEngine = try! ImageEngine()

    func engine() throws -> ImageEngine {
        switch self {
        case .classical: Self.classicalEngine
        case .models: try ImageEngine(models: InstalledModels.require())
        }
    }

    var description: String { rawValue }
}

@Suite struct ModelCatalogueTests {
    @Test func everyModelIsPinnedWithItsLicenceAndSource() throws {
        let catalogue = try ModelEntry.catalog()
        #expect(Set(catalogue.map(\.name)) == ["saliency", "text", "pose_landmark", "selfie_segmentation", "face_detection"])
        for entry in catalogue {
            #expect(entry.sha256.count == 64 && entry.sha256.allSatisfy(\.isHexDigit), "\(entry.name)")
            #expect(!entry.license.isEmpty && !entry.source.isEmpty && !entry.version.isEmpty, "\(entry.name)")
        }
    }

    @Test func aFileThatIsNotThePinnedOneIsRefusedAndAMissingOneReported() throws {
        _ = try InstalledModels.require()
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("pv-models-\(UUID())")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        // The real saliency model with one byte changed; no text model at all.
        var bytes = try Data(contentsOf: URL(fileURLWithPath: InstalledModels.directory).appendingPathComponent("u2netp.onnx"))
        bytes[bytes.count / 2] ^= 0xFF
        try bytes.write(to: directory.appendingPathComponent("u2netp.onnx"))

        let models = try ModelSet.load(directory: directory.path)
        // Before anything is loaded, a render already knows not to plan on them: a cluttered
        // scene is cut exactly as by the engine without models (whose framing fallback the
        // saliency model would have replaced).
        #expect(!models.offersSaliency && !models.offersText)
        let scene = try Bench.bytes("cutout/scenes/images/00000002.jpg")
        #expect(try ImageEngine(models: models).cutout(source: scene).png == Eyes.classicalEngine.cutout(source: scene).png)
        let statuses = models.statuses
        let byName = Dictionary(uniqueKeysWithValues: statuses.map { ($0.entry.name, $0.state) })
        let actual = SHA256.hash(data: bytes).map { String(format: "%02x", $0) }.joined()
        #expect(byName["saliency"] == .hashMismatch(actual: actual))
        #expect(byName["text"] == .missing)
        #expect(models.saliency == nil && models.text == nil, "a refused file is not loaded")
        #expect(ModelStatus.summary(statuses, directory: directory.path).contains("classical vision path"))
    }

    @Test func theInstalledModelsPassTheirHashAndLoad() throws {
        let models = try InstalledModels.require()
        #expect(models.saliency != nil && models.text != nil)
        #expect(models.offersSaliency && models.offersText)
    }
}

@Suite struct SaliencyModelTests {
    /// The map alone, thresholded, against the bench's exact mask of a product on coloured paper.
    @Test func theMapFindsTheProductOnARealPhoto() throws {
        let saliency = try #require(try InstalledModels.require().saliency)
        let name = "cutout/studio/images/00000002_003_paper.jpg"
        let photo = try Vips.decode(try Bench.bytes(name), fittingIn: 320, 320)
        let map = try saliency.saliency(of: photo.rgb)
        let mask = try Vips.decode(try Bench.bytes("cutout/studio/masks/00000002_003_paper.png"), fittingIn: photo.width, photo.height)
        #expect(mask.width == photo.width && mask.height == photo.height)
        var intersection = 0, union = 0
        for index in 0..<map.count {
            let found = map[index] >= 128, truth = mask.pixels[index * mask.bands] >= 128
            if found && truth { intersection += 1 }
            if found || truth { union += 1 }
        }
        #expect(Double(intersection) / Double(union) > 0.9)
    }
}

@Suite struct TextDetectorTests {
    /// The supplement jar's label: its words are found, and all of them lie on the jar.
    @Test func findsTheLabelTextOnAPackshot() throws {
        let detector = try #require(try InstalledModels.require().text)
        let photo = try Vips.decode(try Bench.bytes("packshots/B07GTFSCHB/844a1cce.jpg"), fittingIn: 1024, 1024)
        let regions = try detector.regions(in: photo)
        #expect(regions.count >= 5, "the brand, the product name and the small print: \(regions.map(\.box))")
        // The jar stands in the middle third of the frame, on white.
        let jar = (x: photo.width / 4..<photo.width * 3 / 4, y: photo.height / 20..<photo.height * 19 / 20)
        for region in regions {
            let centre = (x: region.box.x + region.box.width / 2, y: region.box.y + region.box.height / 2)
            #expect(jar.x.contains(centre.x) && jar.y.contains(centre.y), "\(region.box) is off the jar")
            #expect(region.score >= 0.5)
        }
    }

    @Test func findsNoTextOnAPlainProduct() throws {
        let detector = try #require(try InstalledModels.require().text)
        var image = Synthetic(width: 400, height: 400) { _, _ in (246, 246, 246) }
        image.paint((40, 90, 160)) { x, y in (120..<280).contains(x) && (80..<330).contains(y) }
        #expect(try detector.regions(in: Raster(width: 400, height: 400, bands: 3, pixels: image.pixels)).isEmpty)
    }

    /// Text a style adds is found outside the product, the product's own label is not counted,
    /// and a plain white composition skips the network altogether.
    @Test func addedTextIsToldFromTheProductsOwnLabel() throws {
        let engine = try ImageEngine(models: try InstalledModels.require())
        let jar = try Bench.bytes("packshots/B07GTFSCHB/844a1cce.jpg")
        func render(_ composition: Composition, text: StyleText = StyleText()) throws -> RenderedImage {
            var spec = RenderSpec(
                composition: composition, width: 1000, height: 1000, productFill: 0.85, background: .color(.white),
                format: .jpeg, quality: 90, watermark: nil)
            spec.text = text
            spec.checksAddedText = true
            return try engine.render(source: jar, spec: spec)
        }
        #expect(try render(.whiteBackground).addedText == [], "the jar's label is its own")
        var text = StyleText()
        text.badge = "SALE"
        text.headline = "Vitamin E, 365 capsules"
        let badge = try render(.saleBadge, text: text)
        #expect((badge.addedText ?? []).count >= 1, "the badge and headline are added text")
    }
}

@Suite struct FusedCutoutTests {
    /// Cluttered rooms, where the backdrop model is lost: the learned map must lift the cutout.
    @Test func theModelsLiftCutoutsOfProductsInRooms() throws {
        let learned = try ImageEngine(models: try InstalledModels.require())
        let classical = try ImageEngine()
        var withModels: [Double] = [], without: [Double] = []
        for index in [1, 3, 5, 10, 12, 16, 21, 26] {
            let name = String(format: "%08d", index)
            let source = try Bench.bytes("cutout/scenes/images/\(name).jpg")
            let truthImage = try learned.decodePixels(try Bench.bytes("cutout/scenes/masks/\(name).png"))
            let truth = stride(from: 0, to: truthImage.data.count, by: truthImage.bands).map { truthImage.data[$0] }
            withModels.append(score(try learned.decodePixels(try learned.cutout(source: source).png), against: truth).iou)
            without.append(score(try classical.decodePixels(try classical.cutout(source: source).png), against: truth).iou)
        }
        let mean = { (values: [Double]) in values.reduce(0, +) / Double(values.count) }
        #expect(mean(withModels) > mean(without) + 0.1, "with \(withModels), without \(without)")
        #expect(mean(withModels) > 0.75)
    }

    /// A page of label text on white: the backdrop model draws the page's outline through white
    /// it cannot tell from the backdrop and bites bays out of it; with the text detector the
    /// cutout is the whole printed sheet.
    @Test func aPageOfLabelTextIsCutAsTheWholeSheet() throws {
        let source = try Bench.bytes("packshots/B07GTFSCHB/31afd5f5.jpg")
        func sheetFill(_ engine: ImageEngine) throws -> (fill: Double, width: Int, frame: Int) {
            let cutout = try engine.decodePixels(try engine.cutout(source: source).png)
            var minX = cutout.width, maxX = -1, minY = cutout.height, maxY = -1, opaque = 0
            for y in 0..<cutout.height {
                for x in 0..<cutout.width where cutout.alpha(x: x, y: y) >= 128 {
                    opaque += 1
                    minX = min(minX, x); maxX = max(maxX, x); minY = min(minY, y); maxY = max(maxY, y)
                }
            }
            let box = (maxX - minX + 1) * (maxY - minY + 1)
            return (Double(opaque) / Double(max(1, box)), maxX - minX + 1, cutout.width)
        }
        let classical = try sheetFill(try ImageEngine())
        let learned = try sheetFill(try ImageEngine(models: try InstalledModels.require()))
        #expect(classical.fill < 0.95, "the bays this test is about: \(classical)")
        #expect(learned.fill > 0.98, "\(learned)")
        // The sheet holds all three columns of text, which run nearly the frame's width.
        #expect(Double(learned.width) > 0.9 * Double(learned.frame), "\(learned)")
    }

    /// A product held by a real forearm that enters from the frame's top edge: the cutout keeps
    /// the product and drops the arm. The arm is a bench person's; the product a bench packshot
    /// with its exact mask.
    @Test func aProductHeldInAHandKeepsTheProductAndDropsTheArm() throws {
        let engine = try ImageEngine(models: try InstalledModels.require())
        let side = 600
        // The bare forearm of 02849_00 (768x1024), x 140..<215, y 470..<790 of the photo, on a
        // canvas of that photo's own backdrop colour, entering from the top edge.
        let person = try Vips.decode(try Bench.bytes("vto/persons/02849_00.jpg"), fittingIn: 768, 1024)
        let wall = Array(person.pixels[(470 * person.width + 20) * person.bands..<(470 * person.width + 20) * person.bands + 3])
        var canvas = Raster(width: side, height: side, background: .color(RGBColor(r: wall[0], g: wall[1], b: wall[2])))
        let arm = try Vision.resize(person, region: PixelRect(x: 140, y: 470, width: 75, height: 320), width: 100, height: 427)
        try Vision.composite(arm.rgba, onto: &canvas, x: 250, y: 0)
        // The product (a packshot cut by its exact mask, cropped to it) where the hand ends.
        let photo = try Vips.decode(try Bench.bytes("cutout/studio/images/00000002_003_paper.jpg"), fittingIn: 1200, 1200)
        let mask = try Vips.decode(try Bench.bytes("cutout/studio/masks/00000002_003_paper.png"), fittingIn: photo.width, photo.height)
        let maskBand = stride(from: 0, to: mask.pixels.count, by: mask.bands).map { mask.pixels[$0] }
        let bounds = ImageEngine.boundingBox(maskBand, width: mask.width, height: mask.height)
        var full = photo.rgba
        for index in 0..<maskBand.count { full.pixels[index * 4 + 3] = maskBand[index] }
        let scale = 300 / Double(max(bounds.width, bounds.height))
        let layer = try Vision.resize(
            full, region: bounds, width: Int(Double(bounds.width) * scale), height: Int(Double(bounds.height) * scale))
        let origin = (x: 300 - layer.width / 2, y: 290)
        try Vision.composite(layer, onto: &canvas, x: origin.x, y: origin.y)

        var truth = [UInt8](repeating: 0, count: side * side)
        for y in 0..<layer.height where origin.y + y < side {
            for x in 0..<layer.width where layer.pixels[(y * layer.width + x) * 4 + 3] >= 128 {
                truth[(origin.y + y) * side + origin.x + x] = 255
            }
        }
        let composed = try Vips.encode(canvas, as: .png, quality: 100)
        let cutoutPNG = try engine.cutout(source: composed).png
        if let debug = ProcessInfo.processInfo.environment["PV_DEBUG_DIR"] {
            try Data(composed).write(to: URL(fileURLWithPath: debug + "/held.png"))
            try Data(cutoutPNG).write(to: URL(fileURLWithPath: debug + "/held-cutout.png"))
        }
        let cutout = try engine.decodePixels(cutoutPNG)
        #expect(score(cutout, against: truth).iou > 0.85)
        // The upper arm, well away from the product: none of it is kept.
        var armKept = 0, armPixels = 0
        for y in 0..<(origin.y - 40) {
            for x in 260..<340 {
                armPixels += 1
                if cutout.alpha(x: x, y: y) >= 128 { armKept += 1 }
            }
        }
        #expect(Double(armKept) / Double(armPixels) < 0.05, "\(armKept) of \(armPixels) arm pixels kept")
    }
}
