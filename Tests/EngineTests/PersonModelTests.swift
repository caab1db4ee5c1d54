import Foundation
import Testing

@testable import ProdVisualEngine

/// The try-on's person analysis on the learned models (MediaPipe's pose, person mask and face
/// models, as `make deps` installs them), on the bench's real model photos.
@Suite struct PersonModelTests {
    static let persons = (try? FileManager.default.contentsOfDirectory(atPath: Bench.root.appendingPathComponent("vto/persons").path).sorted()) ?? []

    @Test func theModelsSeeAPersonTheirMasksAgreeAndTheFaceIsFoundOnTheHead() throws {
        let models = try InstalledModels.require()
        let photo = try Vips.decode(try Bench.bytes("vto/persons/053228_0.jpg"), fittingIn: 1024, 1024).flattened()
        let pose = try #require(try models.pose?.pose(of: photo, withMask: true))
        #expect(pose.score > 0.9, "pose score \(pose.score)")
        // Shoulders above hips above knees above ankles, the person's left on the image's right.
        let shoulder = pose[.leftShoulder].point, hip = pose[.leftHip].point, knee = pose[.leftKnee].point, ankle = pose[.leftAnkle].point
        #expect(shoulder.y < hip.y && hip.y < knee.y && knee.y < ankle.y, "\(shoulder) \(hip) \(knee) \(ankle)")
        #expect(pose[.leftShoulder].point.x > pose[.rightShoulder].point.x)
        // The pose model's mask and the selfie model's agree on the person.
        let selfie = try #require(try models.personMask?.mask(of: photo))
        var both = 0, either = 0
        for (a, b) in zip(pose.mask, selfie) {
            if a >= 128 && b >= 128 { both += 1 }
            if a >= 128 || b >= 128 { either += 1 }
        }
        #expect(Double(both) / Double(either) > 0.85, "masks IoU \(Double(both) / Double(either))")
        #expect(Double(either) / Double(photo.width * photo.height) < 0.5, "the person, not the frame")
        // A full-length shot: the face, a few per cent of the photo, is boxed around the nose (by the
        // face model on the head crop, else by the head's landmarks).
        let faceModel = try #require(models.face)
        let (face, _) = try ImageEngine.face(of: pose, in: photo, model: faceModel)
        let nose = pose[.nose].point
        #expect(Double(face.x) < nose.x && nose.x < Double(face.x + face.width) && Double(face.y) < nose.y && nose.y < Double(face.y + face.height),
                "face \(face) around the nose \(nose)")
        #expect(try faceModel.faces(in: photo).isEmpty || face.width < photo.width / 8, "a small face: \(face)")
    }

    /// Every bench person, full-body shots with small faces and photos cut at the nose included.
    @Test(arguments: persons)
    func everyBenchPersonIsAcceptedWithItsJointsInPlace(_ name: String) throws {
        let engine = try Eyes.models.engine()
        let analysis = try engine.analyzePerson(source: try Bench.bytes("vto/persons/\(name)"))
        let l = analysis.landmarks
        #expect(l.shoulders.left.x < l.shoulders.right.x, "\(name): shoulders \(l.shoulders)")
        #expect(l.neck.y < l.armpits.left.y && l.armpits.left.y < l.waist.left.y && l.waist.left.y < l.hips.left.y && l.hips.left.y <= l.crotch.y,
                "\(name): neck \(l.neck) armpit \(l.armpits.left) waist \(l.waist.left) hip \(l.hips.left) crotch \(l.crotch)")
        // The torso's outline lies between the shoulders' width and a third of it.
        let chest = l.chest.right.x - l.chest.left.x
        #expect(chest > 0.33 * l.shoulderWidth && chest < 1.1 * l.shoulderWidth, "\(name): chest \(chest), shoulders \(l.shoulderWidth)")
        // The face sits above the shoulders, on the body's axis.
        let face = analysis.face
        #expect(Double(face.y + face.height) < l.shoulders.left.y + 0.1 * l.headHeight, "\(name): face \(face)")
        #expect(abs(Double(face.x) + Double(face.width) / 2 - l.neck.x) < Double(face.width), "\(name): face \(face), neck \(l.neck)")
    }

    @Test func aPhotoWithoutAPersonIsRefused() throws {
        let engine = try Eyes.models.engine()
        #expect {
            try engine.analyzePerson(source: try Bench.bytes("packshots/B07GTFSCHB/844a1cce.jpg"))
        } throws: { error in
            guard case ImagingError.invalidSpec(let message) = error else { return false }
            return message.contains("no person")
        }
    }

    /// A tee on a woman in black long sleeves: her forearms, which the tee does not cover, come
    /// out in her skin's tone instead of the black sleeves; the tee covers her torso.
    @Test(arguments: Eyes.allCases)
    func ownSleevesUnderAShortSleevedTeeBecomeSkin(_ eyes: Eyes) throws {
        let engine = try eyes.engine()
        let person = try Bench.bytes("vto/persons/01008_00.jpg")
        let tee = try Bench.bytes("vto/garments/00055_00.jpg")
        let analysis = try engine.analyzePerson(source: person)
        let result = try #require(try engine.tryOnDetailed(person: person, garments: [TryOnGarment(bytes: tee)],
                                                          options: TryOnOptions(watermark: false, format: .png)).first)
        let output = try engine.decodePixels(result.image.bytes)
        let photo = try engine.decodePixels(person)
        let l = analysis.landmarks
        let face = analysis.face
        let faceCentre = ImagePoint(x: Double(face.x) + Double(face.width) / 2, y: Double(face.y) + 0.6 * Double(face.height))
        let skin = lightness(photo, faceCentre, scale: 1, dx: 0, dy: 0)
        // Along each forearm (a quarter to three quarters from the elbow to the wrist): the
        // share of pixels darker than half the face's lightness, in the photo and after.
        for side in 0..<2 {
            var darkBefore = 0.0, darkAfter = 0.0, samples = 0.0
            for step in 0...10 {
                let t = 0.25 + 0.05 * Double(step)
                let point = ImagePoint(x: l.elbows[side].x + (l.wrists[side].x - l.elbows[side].x) * t,
                                       y: l.elbows[side].y + (l.wrists[side].y - l.elbows[side].y) * t)
                samples += 1
                if lightness(photo, point, scale: 1, dx: 0, dy: 0) < 0.5 * skin { darkBefore += 1 }
                if lightness(output, point, scale: result.scale, dx: result.offsetX, dy: result.offsetY) < 0.5 * skin { darkAfter += 1 }
            }
            #expect(darkBefore / samples > 0.25, "\(eyes) side \(side): the sleeve is dark in the photo (\(darkBefore) of \(samples))")
            #expect(darkAfter / samples < 0.2, "\(eyes) side \(side): the forearm is skin after the try-on (\(darkAfter) of \(samples) dark)")
        }
    }

    /// A woman in a black crop top with bare arms, one in deep shadow, in a tee: her forearms,
    /// below the tee's sleeves, stay as photographed (they are her skin, not a sleeve to hide).
    @Test(arguments: Eyes.allCases)
    func bareArmsInShadowStayAsPhotographed(_ eyes: Eyes) throws {
        let engine = try eyes.engine()
        let person = try Bench.bytes("vto/persons/14627_00.jpg")
        let analysis = try engine.analyzePerson(source: person)
        let result = try #require(try engine.tryOnDetailed(person: person, garments: [TryOnGarment(bytes: try Bench.bytes("vto/garments/00055_00.jpg"))],
                                                          options: TryOnOptions(watermark: false, format: .png)).first)
        let output = try engine.decodePixels(result.image.bytes)
        let photo = try engine.decodePixels(person)
        let l = analysis.landmarks
        for side in 0..<2 {
            var difference = 0.0, samples = 0.0
            for step in 0...10 {
                let t = 0.25 + 0.05 * Double(step)
                let point = ImagePoint(x: l.elbows[side].x + (l.wrists[side].x - l.elbows[side].x) * t,
                                       y: l.elbows[side].y + (l.wrists[side].y - l.elbows[side].y) * t)
                difference += abs(lightness(output, point, scale: result.scale, dx: result.offsetX, dy: result.offsetY) - lightness(photo, point, scale: 1, dx: 0, dy: 0))
                samples += 1
            }
            #expect(difference / samples < 12, "\(eyes) side \(side): the bare forearm changed by \(difference / samples) in lightness")
        }
    }

    /// Full-length trousers on a photo cut at the thighs run down out of the frame, as the legs
    /// do, instead of ending above the frame's edge on legs the pose model squeezed into it.
    @Test func fullLengthTrousersRunOffAPhotoCutAtTheThighs() throws {
        let engine = try Eyes.models.engine()
        let person = try Bench.bytes("vto/persons/model_2.png")
        let analysis = try engine.analyzePerson(source: person)
        let result = try #require(try engine.tryOnDetailed(person: person, garments: [TryOnGarment(bytes: try Bench.bytes("vto/garments/051991_1.jpg"))],
                                                          options: TryOnOptions(watermark: false, format: .png)).first)
        let output = try engine.decodePixels(result.image.bytes)
        let photo = try engine.decodePixels(person)
        let l = analysis.landmarks
        // Along the photo's last rows, across the hips' width: the yellow skirt there gives way
        // to the navy trousers.
        var difference = 0.0, samples = 0.0
        for step in 0...10 {
            let point = ImagePoint(x: l.hips.left.x + (l.hips.right.x - l.hips.left.x) * Double(step) / 10, y: Double(photo.height) - 8)
            difference += abs(lightness(output, point, scale: result.scale, dx: result.offsetX, dy: result.offsetY) - lightness(photo, point, scale: 1, dx: 0, dy: 0))
            samples += 1
        }
        #expect(difference / samples > 40, "the frame's bottom changed by \(difference / samples) in lightness")
    }

    /// The mean lightness of a 7×7 patch around `p` mapped by `scale` and the offsets.
    func lightness(_ image: PixelImage, _ p: ImagePoint, scale: Double, dx: Double, dy: Double) -> Double {
        var total = 0.0, count = 0.0
        for oy in -3...3 {
            for ox in -3...3 {
                let x = Int(p.x * scale + dx) + ox, y = Int(p.y * scale + dy) + oy
                guard x >= 0, y >= 0, x < image.width, y < image.height else { continue }
                total += image.rgb(x: x, y: y).map(Double.init).reduce(0, +) / 3
                count += 1
            }
        }
        return total / max(1, count)
    }
}
