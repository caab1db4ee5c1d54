import COpenCV

extension ImageEngine {
    /// Longest side the person models' analysis works at.
    static let poseWorkSide = 1024

    /// The person from the learned models: MediaPipe's body landmarks place the joints, its
    /// person masks (pose and selfie models, averaged) give the silhouette, and the face model,
    /// run on the head the landmarks point at, gives the face; where it finds none (a face
    /// turned away, or cut by the frame), the head's landmarks do.
    func posedPerson(_ source: [UInt8], header: Vips.Header, height: Double?, weight: Double?) throws(ImagingError) -> PersonMeasurement {
        guard let poseModel = models.pose, let maskModel = models.personMask, let faceModel = models.face else {
            throw .processingFailed("the person models are not loaded")
        }
        let work = try Vips.decode(source, fittingIn: Self.poseWorkSide, Self.poseWorkSide).flattened()
        let pose = try poseModel.pose(of: work, withMask: true)
        guard pose.score >= Vision.PoseModel.personScore else {
            throw .invalidSpec("person image: no person found (the pose model sees no one; the try-on needs one person, standing and facing the camera)")
        }
        let selfie = try maskModel.mask(of: work)
        let mask = zip(pose.mask, selfie).map { UInt8((Int($0) + Int($1)) / 2) }

        let toSource = Double(header.width) / Double(work.width)
        let (face, detected) = try Self.face(of: pose, in: work, model: faceModel)
        var person = pv_vto_person()
        var silhouette = [UInt8](repeating: 0, count: work.width * work.height)
        // Legs the frame cuts off: the person reaches the frame's bottom row.
        let bottomRow = mask[(work.height - 1) * work.width..<work.height * work.width]
        let legsCut = bottomRow.filter { $0 >= 128 }.count >= max(2, work.width / 50)
        var skeleton = Self.skeleton(pose, legsCutAt: legsCut ? Double(work.height) : nil)
        let status = work.pixels.withUnsafeBufferPointer { pixels in
            mask.withUnsafeBufferPointer { mask in
                silhouette.withUnsafeMutableBufferPointer { out in
                    pv_cv_vto_person_posed(pixels.baseAddress, work.width * 3, mask.baseAddress, Int32(work.width), Int32(work.height), &skeleton,
                                           Int32(face.x), Int32(face.y), Int32(face.width), Int32(face.height), height ?? 0, weight ?? 0,
                                           &person, out.baseAddress)
                }
            }
        }
        switch Int(status) {
        case Int(PV_CV_OK.rawValue): break
        case Int(PV_CV_NO_SUBJECT.rawValue):
            throw .invalidSpec("person image: no person found standing upright and facing the camera (the body's landmarks do not describe one)")
        default: throw .processingFailed("person analysis failed (\(status))")
        }
        let inSource = PixelRect(x: Int((Double(face.x) * toSource).rounded()), y: Int((Double(face.y) * toSource).rounded()),
                                 width: Int((Double(face.width) * toSource).rounded()), height: Int((Double(face.height) * toSource).rounded()))
        return PersonMeasurement(work: work, person: person, silhouette: silhouette, face: inSource, faceDetected: detected)
    }

    /// Below the first visibility a knee or an ankle is out of the frame (or hidden): the pose
    /// model still draws it inside the frame, squeezing the legs of a photo cut at the thighs.
    /// Above the second the model's place is taken; between them the two are blended, so that a
    /// photo and its mirror image, seen a little differently, do not get legs far apart.
    static let seenJointVisibility = (0.45, 0.75)

    /// The joints the landmarks need, image left (the person's right) first. Knees and ankles the
    /// model does not see are placed by (or blended towards) the body's proportions instead:
    /// thigh and shin each about 0.85 of the shoulders-to-hips length, the thigh straight down;
    /// and when the frame cuts the legs (`legsCutAt`, its bottom), an unseen knee or ankle lies at
    /// least there (fashion photos' legs are long, and one cut above the knees must not get its
    /// knees inside the frame).
    static func skeleton(_ pose: Pose, legsCutAt frameBottom: Double?) -> pv_vto_skeleton {
        func p(_ joint: Pose.Joint) -> pv_vto_point { pv_vto_point(x: pose[joint].point.x, y: pose[joint].point.y) }
        let shoulders = pose[.rightShoulder].point.midpoint(pose[.leftShoulder].point)
        let hips = pose[.rightHip].point.midpoint(pose[.leftHip].point)
        let limb = 0.85 * shoulders.distance(to: hips)
        func seen(_ joint: Pose.Joint) -> Double {
            let (low, high) = seenJointVisibility
            return min(1, max(0, (pose[joint].visibility - low) / (high - low)))
        }
        func blend(_ a: ImagePoint, _ b: ImagePoint, _ t: Double) -> ImagePoint { ImagePoint(x: a.x + (b.x - a.x) * t, y: a.y + (b.y - a.y) * t) }
        func leg(hip: Pose.Joint, knee: Pose.Joint, ankle: Pose.Joint) -> (knee: pv_vto_point, ankle: pv_vto_point) {
            let hipPoint = pose[hip].point
            // (An ankle counts as seen only as far as its knee is: the model squeezes both into a
            // frame cut at the knees.)
            let kneeSeen = seen(knee), ankleSeen = min(kneeSeen, seen(ankle))
            let kneePoint = blend(ImagePoint(x: hipPoint.x, y: max(hipPoint.y + limb, frameBottom ?? -.infinity)), pose[knee].point, kneeSeen)
            let thigh = max(1e-6, hipPoint.distance(to: kneePoint))
            let direction = ImagePoint(x: (kneePoint.x - hipPoint.x) / thigh, y: (kneePoint.y - hipPoint.y) / thigh)
            let shin = max(limb, direction.y > 0.1 ? ((frameBottom ?? 0) - kneePoint.y) / direction.y : 0)
            let anklePoint = blend(ImagePoint(x: kneePoint.x + direction.x * shin, y: kneePoint.y + direction.y * shin), pose[ankle].point, ankleSeen)
            return (pv_vto_point(x: kneePoint.x, y: kneePoint.y), pv_vto_point(x: anklePoint.x, y: anklePoint.y))
        }
        let right = leg(hip: .rightHip, knee: .rightKnee, ankle: .rightAnkle), left = leg(hip: .leftHip, knee: .leftKnee, ankle: .leftAnkle)
        var s = pv_vto_skeleton()
        s.shoulder = (p(.rightShoulder), p(.leftShoulder))
        s.elbow = (p(.rightElbow), p(.leftElbow))
        s.wrist = (p(.rightWrist), p(.leftWrist))
        s.hand = (p(.rightIndex), p(.leftIndex))
        s.hip = (p(.rightHip), p(.leftHip))
        s.knee = (right.knee, left.knee)
        s.ankle = (right.ankle, left.ankle)
        return s
    }

    /// The face box in the work raster's pixels and whether the face model found it: the model
    /// runs on a square around the head's landmarks (a full-body shot's face is too small for it
    /// in the whole photo); without a face there, the box is where the head's landmarks put it
    /// (partly above the frame when the frame cuts the head).
    static func face(of pose: Pose, in work: Raster, model: Vision.FaceModel) throws(ImagingError) -> (PixelRect, Bool) {
        let nose = pose[.nose].point
        let eyes = ImagePoint(x: (pose[.rightEyeOuter].point.x + pose[.leftEyeOuter].point.x) / 2,
                              y: (pose[.rightEyeOuter].point.y + pose[.leftEyeOuter].point.y) / 2)
        let earSpan = pose[.rightEar].point.distance(to: pose[.leftEar].point)
        let eyeSpan = pose[.rightEyeOuter].point.distance(to: pose[.leftEyeOuter].point)
        let shoulderSpan = pose[.rightShoulder].point.distance(to: pose[.leftShoulder].point)
        // Ear to ear is a face's width; eyes' corners are about 0.6 of it; a face about 0.45 of
        // the shoulder joints' span, whichever the head's turn leaves measurable.
        let faceWidth = max(earSpan, eyeSpan / 0.6, 0.35 * shoulderSpan)
        let side = 2.5 * faceWidth
        let square = PixelRect(x: Int(nose.x - side / 2), y: Int(nose.y - side / 2), width: Int(side), height: Int(side))
        if let crop = square.clipped(to: PixelRect(x: 0, y: 0, width: work.width, height: work.height)), crop.width >= 16, crop.height >= 16 {
            let faces = try model.faces(in: work.cropped(crop))
            if let found = faces.first(where: { face in
                let centre = ImagePoint(x: Double(crop.x + face.box.x) + Double(face.box.width) / 2, y: Double(crop.y + face.box.y) + Double(face.box.height) / 2)
                return centre.distance(to: nose) < 0.6 * faceWidth
            }) {
                return (PixelRect(x: crop.x + found.box.x, y: crop.y + found.box.y, width: found.box.width, height: found.box.height), true)
            }
        }
        // The eyes sit about 0.4 of the box down, as in the detectors' boxes; the chin about a
        // third of a face's width below the mouth.
        let width = faceWidth.rounded()
        let brow = eyes.y - 0.4 * width
        let chin = max(brow + width, Self.mouth(pose).y + 0.3 * width)
        return (PixelRect(x: Int((nose.x - width / 2).rounded()), y: Int(brow.rounded()), width: Int(width), height: Int((chin - brow).rounded())), false)
    }

    static func mouth(_ pose: Pose) -> ImagePoint {
        ImagePoint(x: (pose[.mouthLeft].point.x + pose[.mouthRight].point.x) / 2, y: (pose[.mouthLeft].point.y + pose[.mouthRight].point.y) / 2)
    }
}
