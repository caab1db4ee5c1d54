import Foundation
import Testing

@testable import ProdVisualEngine

/// Faces hidden by reframing, on the classical eyes (Haar cascades) and on the learned ones
/// (pose landmarks and the face model).
@Suite struct FaceReframingTests {
    let engine = try! ImageEngine()

    /// The bag's fabric in the photo of a man carrying it: mid-grey, nearly colourless pixels of
    /// the cutout (his clothes are black, his skin darker and warmer, the backdrop white).
    func bagPixels(_ source: [UInt8]) throws -> [(x: Int, y: Int)] {
        let cutout = try engine.decodePixels(try engine.cutout(source: source).png)
        var found: [(Int, Int)] = []
        for y in 0..<cutout.height {
            for x in 0..<cutout.width where cutout.alpha(x: x, y: y) >= 128 {
                let p = cutout.rgb(x: x, y: y).map(Int.init)
                if (95...190).contains(p[1]), p.max()! - p.min()! < 20 { found.append((x, y)) }
            }
        }
        return found
    }

    @Test(arguments: Eyes.allCases)
    func theManCarryingTheBagLosesHisFaceAndKeepsTheBag(_ eyes: Eyes) throws {
        let engine = try eyes.engine()
        let source = try Bench.bytes("packshots/B0799CK52K/25ffa37c.jpg")
        let info = try engine.imageInfo(source: source)
        let result = try engine.hidingFaces(source: source)
        let face = try #require(result.faces.first, "a face is found")
        let found: NormalizedRect? = result.crop
        let crop = try #require(found, "a crop")

        let output = try engine.decodePixels(result.bytes)
        #expect(output.height < info.height && output.width == info.width, "\(output.width)x\(output.height)")
        #expect(crop.y >= face.y + face.height, "the crop starts below the face: \(crop) \(face)")
        #expect(try Self.noFaceLeft(result.bytes, eyes: eyes), "no face left in the output")

        // The bag, measured from the cutout, is in the output.
        let bag = try bagPixels(source)
        #expect(bag.count > info.width * info.height / 30, "bag pixels: \(bag.count)")
        let top = Int(crop.y * Double(info.height))
        let kept = bag.filter { $0.y >= top }.count
        #expect(Double(kept) > 0.97 * Double(bag.count), "bag pixels kept: \(kept) of \(bag.count)")
        // And the output is those very pixels, not a resampled copy.
        let source0 = try engine.decodePixels(source)
        var difference = 0
        for y in stride(from: 0, to: output.height, by: 7) {
            for x in stride(from: 0, to: output.width, by: 7) {
                difference = max(difference, zip(output.rgb(x: x, y: y), source0.rgb(x: x, y: y + top)).map { abs(Int($0) - Int($1)) }.max()!)
            }
        }
        #expect(difference <= 12, "largest difference from the source: \(difference)")
    }

    /// No face the eyes can see in a reframed photo. (On a photo cut below the chin the pose
    /// model still guesses a head just above the frame, and the face model gives a bag's print
    /// 0.6; what must be gone, for the learned eyes, is a face the face model is sure of.)
    static func noFaceLeft(_ bytes: [UInt8], eyes: Eyes) throws -> Bool {
        switch eyes {
        case .classical:
            return try Eyes.classicalEngine.detectFaces(source: bytes).isEmpty
        case .models:
            let faceModel = try #require(try InstalledModels.require().face)
            let faces = try faceModel.faces(in: try Vips.decode(bytes, fittingIn: 1024, 1024).flattened())
            return !faces.contains { $0.score >= ImageEngine.otherFaceScore }
        }
    }

    /// Half-body model shots with the face in frame (the classical eyes); every bench person,
    /// full-body shots with small faces and faces cut at the nose too (the learned eyes).
    static let classicalPersons = ["01008_00.jpg", "02849_00.jpg", "07966_00.jpg", "14627_00.jpg", "model_2.png", "model_4.png", "model_6.png", "model_8.png"]
    static let cases: [(Eyes, String)] = classicalPersons.map { (.classical, $0) }
        + ((try? FileManager.default.contentsOfDirectory(atPath: Bench.root.appendingPathComponent("vto/persons").path).sorted()) ?? []).map { (.models, $0) }

    @Test(arguments: cases)
    func modelsLoseTheirFaces(_ eyes: Eyes, _ name: String) throws {
        let engine = try eyes.engine()
        let source = try Bench.bytes("vto/persons/\(name)")
        let result = try engine.hidingFaces(source: source)
        #expect(result.faces.count == 1, "\(name): \(result.faces)")
        let found: NormalizedRect? = result.crop
        let crop = try #require(found, "\(name): no crop")
        #expect(crop.width == 1 && crop.y > 0 && crop.y < 0.45, "\(name): crop \(crop)")
        let face = try #require(result.faces.first)
        #expect(crop.y >= face.y + face.height, "\(name): the crop starts below the chin: \(crop), face \(face)")
        #expect(try Self.noFaceLeft(result.bytes, eyes: eyes), "\(name): a face is left")
        let output = try engine.decodePixels(result.bytes)
        let info = try engine.imageInfo(source: source)
        #expect(abs(Double(output.height) - crop.height * Double(info.height)) <= 1)
    }

    @Test(arguments: ["packshots/B0799CK52K/d80a51d3.jpg", "packshots/B07GTFSCHB/844a1cce.jpg", "packshots/B074M5HPBD/9ea6992d.jpg",
                      "packshots/B0799CK52K/a8a14cd2.jpg"])
    func photosWithoutPeopleComeBackUnchanged(_ path: String) throws {
        for eyes in Eyes.allCases {
            try photoComesBackUnchanged(path, engine: try eyes.engine())
        }
    }

    func photoComesBackUnchanged(_ path: String, engine: ImageEngine) throws {
        let source = try Bench.bytes(path)
        let result = try engine.hidingFaces(source: source)
        #expect(result.faces.isEmpty, "\(path): \(result.faces)")
        #expect(result.crop == nil)
        #expect(result.bytes == source)
    }

    func segmentation(width: Int, height: Int, product: (Int, Int) -> Bool) -> ImageEngine.Segmentation {
        var mask = [UInt8](repeating: 0, count: width * height)
        for y in 0..<height { for x in 0..<width where product(x, y) { mask[y * width + x] = 255 } }
        let work = Raster(width: width, height: height, background: .color(.white))
        return ImageEngine.Segmentation(work: work, mask: mask, box: ImageEngine.boundingBox(mask, width: width, height: height),
                                        confidence: 0.9, uniformBackground: true, shadowStrength: 0, hadAlpha: false)
    }

    @Test func theCropGoesBelowTheChinOrBesideTheFaceWhicheverKeepsTheProduct() throws {
        let header = Vips.Header(width: 400, height: 300, hasAlpha: false)
        let face = PixelRect(x: 60, y: 40, width: 50, height: 50)
        // A person: head and body in one column.
        let person = { (x: Int, y: Int) in (55..<115).contains(x) && y >= 30 }
        let worn = segmentation(width: 400, height: 300) { x, y in person(x, y) || ((40..<130).contains(x) && (120..<220).contains(y)) }
        let below = try #require(ImageEngine.faceFreeCrop(faces: [face], header: header, segmentation: worn))
        #expect(below == PixelRect(x: 0, y: 100, width: 400, height: 200), "\(below)")

        // A large product held up beside the face: below the chin would lose half of it.
        let held = segmentation(width: 400, height: 300) { x, y in person(x, y) || ((200..<380).contains(x) && (10..<170).contains(y)) }
        let beside = try #require(ImageEngine.faceFreeCrop(faces: [face], header: header, segmentation: held))
        #expect(beside.x >= face.x + face.width && beside.y == 0 && beside.x + beside.width == 400, "\(beside)")
    }

    @Test func aFlatProductHasNoFace() throws {
        var image = Synthetic(width: 400, height: 300) { _, _ in (240, 240, 240) }
        image.paint((160, 60, 40)) { x, y in (120..<280).contains(x) && (60..<240).contains(y) }
        #expect(try engine.detectFaces(source: try image.encoded(.jpeg)).isEmpty)
    }
}
