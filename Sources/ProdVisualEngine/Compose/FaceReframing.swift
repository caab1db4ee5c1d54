import COpenCV
import Foundation

extension Vision {
    /// OpenCV's Haar cascades (Debian's `opencv-data`), loaded once per process and shared.
    /// `@unchecked Sendable`: each detection borrows a set of cascades of its own on the C++ side.
    final class FaceDetector: @unchecked Sendable {
        private let handle: OpaquePointer

        /// Where the cascades are looked for: `PRODVISUAL_HAAR_DIR` if set, then the places
        /// Debian and Ubuntu (and a source build) install them.
        static let directories = [
            ProcessInfo.processInfo.environment["PRODVISUAL_HAAR_DIR"],
            "/usr/share/opencv4/haarcascades", "/usr/share/opencv/haarcascades", "/usr/local/share/opencv4/haarcascades",
        ].compactMap { $0 }

        static let shared: Result<FaceDetector, ImagingError> = Result { () throws(ImagingError) in try FaceDetector() }

        private init() throws(ImagingError) {
            var reasons: [String] = []
            for directory in Self.directories {
                var error = [CChar](repeating: 0, count: 512)
                if let handle = pv_cv_faces_load(directory, &error, error.count) {
                    self.handle = handle
                    return
                }
                reasons.append(String(decoding: error.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self))
            }
            throw .processingFailed("no face cascades (install opencv-data): \(reasons.joined(separator: "; "))")
        }

        deinit { pv_cv_faces_free(handle) }

        struct Candidate {
            let box: PixelRect
            /// The cascades alone are sure; otherwise the subject's shape must confirm it.
            let strong: Bool
        }

        func candidates(in rgb: Raster, minSide: Int) throws(ImagingError) -> [Candidate] {
            var faces = [pv_face](repeating: pv_face(), count: 32)
            var count: Int32 = 0
            let status = rgb.pixels.withUnsafeBufferPointer { pixels in
                faces.withUnsafeMutableBufferPointer {
                    pv_cv_faces_detect(handle, pixels.baseAddress, Int32(rgb.width), Int32(rgb.height), rgb.width * 3,
                                       Int32(minSide), $0.baseAddress, Int32($0.count), &count)
                }
            }
            guard status == PV_CV_OK.rawValue else { throw .processingFailed("face detection failed (\(status))") }
            return faces.prefix(Int(count)).map {
                Candidate(box: PixelRect(x: Int($0.x), y: Int($0.y), width: Int($0.width), height: Int($0.height)), strong: $0.strong != 0)
            }
        }
    }

    /// Whether the subject mask has a head on shoulders at `face` (in the mask's pixels).
    static func headOnSubject(_ mask: [UInt8], width: Int, height: Int, face: PixelRect) throws(ImagingError) -> Bool {
        var head: Int32 = 0
        let status = mask.withUnsafeBufferPointer {
            pv_cv_faces_on_subject($0.baseAddress, Int32(width), Int32(height), Int32(face.x), Int32(face.y),
                                   Int32(face.width), Int32(face.height), &head)
        }
        guard status == PV_CV_OK.rawValue else { throw .processingFailed("face check failed (\(status))") }
        return head != 0
    }
}

extension ImageEngine {
    /// Long side of the image faces are searched in.
    static let faceAnalysisSide = 720
    /// Faces smaller than this share of the photo's long side are not looked for: a model shot's
    /// face is larger, and the smallest scales are most of the detection's cost.
    static let faceMinimumShare = 0.05
    /// The crop starts this many face heights below the face box, past the chin.
    static let chinMargin = 0.2

    /// Faces in the photo, as fractions of its size, largest first.
    ///
    /// Haar cascades (frontal default and alt2, profile both ways) on the grey photo and its
    /// equalised copy at a working size, merged; a face the cascades are not sure of (a
    /// silhouette against the light, a profile) counts only where the cutout shows a head on
    /// shoulders there, so that prints and textures are not taken for faces.
    public func detectFaces(source: [UInt8]) throws(ImagingError) -> [NormalizedRect] {
        let header = try checkedHeader(source).header
        return try faces(source, header: header).faces.map { NormalizedRect($0, width: header.width, height: header.height) }
    }

    /// The faces in source pixels, and the segmentation they were checked against.
    func faces(_ source: [UInt8], header: Vips.Header) throws(ImagingError) -> (faces: [PixelRect], segmentation: Segmentation) {
        // The cutout runs on the second core while the faces are looked for.
        let pending = Concurrently { [self] () throws(ImagingError) in try productSegmentation(source, header: header, subject: .tryOnPhoto) }
        let image = try Vips.decode(source, fittingIn: Self.faceAnalysisSide, Self.faceAnalysisSide).flattened()
        if let pose = models.pose, let faceModel = models.face {
            let toSource = Double(header.width) / Double(image.width)
            let found = try Self.learnedFaces(in: image, pose: pose, face: faceModel).map { box in
                PixelRect(x: Int(Double(box.x) * toSource), y: Int(Double(box.y) * toSource),
                          width: Int((Double(box.width) * toSource).rounded()), height: Int((Double(box.height) * toSource).rounded()))
            }
            return (found, try pending.result())
        }
        let detector = try Vision.FaceDetector.shared.get()
        let minSide = Int(Self.faceMinimumShare * Double(max(image.width, image.height)))
        let candidates = try detector.candidates(in: image, minSide: minSide)
        let segmentation = try pending.result()
        let work = segmentation.work
        // A subject the cutout really found; the whole frame (nothing stood out) confirms nothing.
        let subject = segmentation.confidence > 0 || segmentation.hadAlpha
        let toMask = Double(work.width) / Double(image.width)
        let toSource = Double(header.width) / Double(image.width)
        var faces: [PixelRect] = []
        for candidate in candidates {
            let box = candidate.box
            if !candidate.strong {
                guard subject else { continue }
                let inMask = PixelRect(x: Int(Double(box.x) * toMask), y: Int(Double(box.y) * toMask),
                                       width: max(1, Int(Double(box.width) * toMask)), height: max(1, Int(Double(box.height) * toMask)))
                guard try Vision.headOnSubject(segmentation.mask, width: work.width, height: work.height, face: inMask) else { continue }
            }
            faces.append(PixelRect(x: Int(Double(box.x) * toSource), y: Int(Double(box.y) * toSource),
                                   width: Int((Double(box.width) * toSource).rounded()), height: Int((Double(box.height) * toSource).rounded())))
        }
        return (faces, segmentation)
    }

    /// How sure the face model must be of a face away from the person the pose model sees.
    static let otherFaceScore = 0.75

    /// Faces from the learned models, in the image's pixels, largest first: the person's face
    /// where the body's landmarks put it (found by the face model on the head, or placed by the
    /// head's landmarks when the frame cuts the face at the nose or the eyes; kept while any of it
    /// is in the frame, clipped to it), and any other face the face model is sure of in the whole
    /// image above that person's shoulders.
    static func learnedFaces(in image: Raster, pose poseModel: Vision.PoseModel, face faceModel: Vision.FaceModel) throws(ImagingError) -> [PixelRect] {
        let frame = PixelRect(x: 0, y: 0, width: image.width, height: image.height)
        var found: [PixelRect] = []
        let pose = try poseModel.pose(of: image, withMask: false)
        let person = pose.score >= Vision.PoseModel.personScore
        if person {
            let (box, detected) = try face(of: pose, in: image, model: faceModel)
            // A face the landmarks place shows when the model says the mouth is in the frame
            // (its presence): otherwise it is a guess about a head the photo does not show.
            let mouthPresent = min(pose[.mouthLeft].presence, pose[.mouthRight].presence) >= 0.5
            if detected || mouthPresent, let visible = box.clipped(to: frame) {
                found.append(visible)
            }
        }
        // Other faces: confident ones, and not below the person's shoulders (a face printed on
        // a bag or a tee is not one to hide).
        let shoulders = min(pose[.leftShoulder].point.y, pose[.rightShoulder].point.y)
        for candidate in try faceModel.faces(in: image) where candidate.score >= otherFaceScore {
            guard let box = candidate.box.clipped(to: frame), !found.contains(where: { $0.overlap(box) > 0 }) else { continue }
            if person, Double(box.y) + Double(box.height) / 2 > shoulders { continue }
            found.append(box)
        }
        return found.sorted { $0.width * $0.height > $1.width * $1.height }
    }

    /// The photo reframed so that no face shows: the "cropped model" look for clothing and
    /// accessories worn or carried.
    ///
    /// With faces found, the photo is cut just below the lowest chin (the face box's bottom plus
    /// `chinMargin` of its height), keeping the full width and everything below. When that would
    /// lose much of the subject beside or above the faces (a bag held up at shoulder height),
    /// the side of the photo left or right of every face is taken instead if it keeps more of
    /// the subject. Without faces the photo comes back as it was sent, byte for byte.
    ///
    /// - Returns: the photo (a JPEG source as a JPEG at quality 95, anything else as PNG, at
    ///   source resolution), the faces as fractions of the source, and the crop as a fraction of
    ///   the source (nil when nothing was cut).
    public func hidingFaces(source: [UInt8]) throws(ImagingError) -> (bytes: [UInt8], faces: [NormalizedRect], crop: NormalizedRect?) {
        let (format, header) = try checkedHeader(source)
        let (faces, segmentation) = try faces(source, header: header)
        let normalised = faces.map { NormalizedRect($0, width: header.width, height: header.height) }
        guard !faces.isEmpty else { return (source, [], nil) }
        guard let crop = Self.faceFreeCrop(faces: faces, header: header, segmentation: segmentation) else {
            throw .processingFailed("no part of the photo is free of faces")
        }
        let (region, _) = try Vips.decodeRegion(source, shrink: 1, region: crop)
        return (try Self.encodePhoto(region, like: format), normalised, NormalizedRect(crop, width: header.width, height: header.height))
    }

    /// Below the lowest chin, full width; or beside the faces when that keeps clearly more of
    /// the subject. Nil when no such part is large enough to be a photo.
    static func faceFreeCrop(faces: [PixelRect], header: Vips.Header, segmentation: Segmentation) -> PixelRect? {
        let (width, height) = (header.width, header.height)
        let chin = faces.map { $0.y + $0.height + Int((chinMargin * Double($0.height)).rounded(.up)) }.max()!
        let margin = faces.map { max(2, $0.width / 10) }.max()!
        let leftmost = faces.map(\.x).min()! - margin
        let rightmost = faces.map { $0.x + $0.width }.max()! + margin
        var options: [PixelRect] = []
        if height - chin >= height / 5 { options.append(PixelRect(x: 0, y: chin, width: width, height: height - chin)) }
        // Beside the faces: only as alternatives, and only when wide enough to stand as a photo.
        let sides = [PixelRect(x: 0, y: 0, width: leftmost, height: height),
                     PixelRect(x: rightmost, y: 0, width: width - rightmost, height: height)]
        let viableSides = sides.filter { $0.width >= width * 35 / 100 }
        guard !options.isEmpty || !viableSides.isEmpty else { return nil }

        // How much of the subject each keeps, not counting the heads themselves (lost either way).
        let work = segmentation.work
        let scale = Double(work.width) / Double(width)
        func kept(_ rect: PixelRect) -> Int {
            var count = 0
            let x0 = Int(Double(rect.x) * scale), x1 = min(work.width, Int(Double(rect.x + rect.width) * scale))
            let y0 = Int(Double(rect.y) * scale), y1 = min(work.height, Int(Double(rect.y + rect.height) * scale))
            for y in max(0, y0)..<max(max(0, y0), y1) {
                for x in max(0, x0)..<max(max(0, x0), x1) where segmentation.mask[y * work.width + x] >= 128 {
                    let sx = Int(Double(x) / scale), sy = Int(Double(y) / scale)
                    let onHead = faces.contains { f in
                        sy < f.y + f.height && sx >= f.x - f.width / 2 && sx < f.x + f.width + f.width / 2
                    }
                    if !onHead { count += 1 }
                }
            }
            return count
        }
        let total = max(1, kept(PixelRect(x: 0, y: 0, width: width, height: height)))
        guard let below = options.first else { return viableSides.max { kept($0) < kept($1) } }
        let keptBelow = kept(below)
        // Below the chin keeps nearly all of it: the usual case, and the usual look.
        if Double(keptBelow) >= 0.85 * Double(total) { return below }
        let bestSide = viableSides.max { kept($0) < kept($1) }
        if let side = bestSide, Double(kept(side)) > Double(keptBelow) + 0.05 * Double(total) { return side }
        return below
    }
}
