import COpenCV

/// One body landmark of MediaPipe's pose model, in image pixels (it may lie outside the image
/// where the frame cuts the body off), with the model's visibility and presence (0...1).
struct PoseLandmark: Sendable {
    let point: ImagePoint
    let visibility: Double
    let presence: Double
}

/// What the pose model saw: MediaPipe's 33 landmarks, how sure it is that a person is there, and
/// its person mask (0...255 per pixel of the image; empty when not asked for).
struct Pose: Sendable {
    let landmarks: [PoseLandmark]
    let score: Double
    let mask: [UInt8]

    /// Indices into `landmarks` (MediaPipe's topology). Sides are the person's own: their right
    /// is the image's left when they face the camera.
    enum Joint: Int {
        case nose = 0, rightEyeOuter = 3, leftEyeOuter = 6, rightEar = 7, leftEar = 8, mouthRight = 10, mouthLeft = 9
        case leftShoulder = 11, rightShoulder = 12, leftElbow = 13, rightElbow = 14, leftWrist = 15, rightWrist = 16
        case leftIndex = 19, rightIndex = 20
        case leftHip = 23, rightHip = 24, leftKnee = 25, rightKnee = 26, leftAnkle = 27, rightAnkle = 28
    }

    subscript(_ joint: Joint) -> PoseLandmark { landmarks[joint.rawValue] }
}

/// A face the face model found, in image pixels, with its keypoints.
struct DetectedFace: Sendable {
    let box: PixelRect
    let score: Double
    /// The person's right eye, left eye, nose tip, mouth centre, right ear, left ear.
    let keypoints: [ImagePoint]
}

extension Vision {
    /// MediaPipe's BlazePose (full): body landmarks and a person mask.
    final class PoseModel: Sendable {
        private let model: LoadedModel
        /// Below this score the model sees no person.
        static let personScore = 0.5

        init(path: String, turn: InferenceTurn) throws(ImagingError) {
            model = try LoadedModel("pose model", path: path, turn: turn, load: { pv_cv_pose_load(path, $0, $1) }, free: { pv_cv_pose_free($0) })
        }

        /// The landmarks, and the person mask when `withMask` (the face search needs none).
        func pose(of rgb: Raster, withMask: Bool) throws(ImagingError) -> Pose {
            var landmarks = [pv_pose_landmark](repeating: pv_pose_landmark(), count: Int(PV_POSE_LANDMARKS))
            var mask = [UInt8](repeating: 0, count: withMask ? rgb.width * rgb.height : 0)
            var score = 0.0
            let status = model.run { handle -> Int32 in
                rgb.pixels.withUnsafeBufferPointer { pixels in
                    landmarks.withUnsafeMutableBufferPointer { points in
                        mask.withUnsafeMutableBufferPointer {
                            pv_cv_pose_run(handle, pixels.baseAddress, Int32(rgb.width), Int32(rgb.height), rgb.width * 3, Self.personScore, points.baseAddress, &score,
                                           withMask ? $0.baseAddress : nil)
                        }
                    }
                }
            }
            guard status == 0 else { throw .processingFailed("the pose model failed (\(status))") }
            return Pose(landmarks: landmarks.map { PoseLandmark(point: ImagePoint(x: $0.x, y: $0.y), visibility: $0.visibility, presence: $0.presence) },
                        score: score, mask: mask)
        }
    }

    /// MediaPipe's selfie segmentation: the probability of person per pixel.
    final class PersonMaskModel: Sendable {
        private let model: LoadedModel

        init(path: String, turn: InferenceTurn) throws(ImagingError) {
            model = try LoadedModel("person mask model", path: path, turn: turn, load: { pv_cv_person_mask_load(path, $0, $1) }, free: { pv_cv_person_mask_free($0) })
        }

        /// 0...255 per pixel of the raster.
        func mask(of rgb: Raster) throws(ImagingError) -> [UInt8] {
            var mask = [UInt8](repeating: 0, count: rgb.width * rgb.height)
            let status = model.run { handle -> Int32 in
                rgb.pixels.withUnsafeBufferPointer { pixels in
                    mask.withUnsafeMutableBufferPointer {
                        pv_cv_person_mask_run(handle, pixels.baseAddress, Int32(rgb.width), Int32(rgb.height), rgb.width * 3, $0.baseAddress)
                    }
                }
            }
            guard status == 0 else { throw .processingFailed("the person mask model failed (\(status))") }
            return mask
        }
    }

    /// MediaPipe's BlazeFace (short range): faces from about a tenth of the image's long side.
    final class FaceModel: Sendable {
        private let model: LoadedModel
        static let capacity = 16

        init(path: String, turn: InferenceTurn) throws(ImagingError) {
            model = try LoadedModel("face model", path: path, turn: turn, load: { pv_cv_face_model_load(path, $0, $1) }, free: { pv_cv_face_model_free($0) })
        }

        /// Faces in the raster, most confident first.
        func faces(in rgb: Raster) throws(ImagingError) -> [DetectedFace] {
            var found = [pv_face_detection](repeating: pv_face_detection(), count: Self.capacity)
            var count: Int32 = 0
            let status = model.run { handle -> Int32 in
                rgb.pixels.withUnsafeBufferPointer { pixels in
                    found.withUnsafeMutableBufferPointer {
                        pv_cv_face_model_detect(handle, pixels.baseAddress, Int32(rgb.width), Int32(rgb.height), rgb.width * 3,
                                                $0.baseAddress, Int32(Self.capacity), &count)
                    }
                }
            }
            guard status == 0 else { throw .processingFailed("the face model failed (\(status))") }
            return found.prefix(Int(count)).map { face in
                let values = withUnsafeBytes(of: face.keypoints) { Array($0.bindMemory(to: Double.self)) }
                return DetectedFace(box: PixelRect(x: Int(face.x.rounded()), y: Int(face.y.rounded()),
                                                   width: Int(face.width.rounded()), height: Int(face.height.rounded())),
                                    score: face.score,
                                    keypoints: (0..<6).map { ImagePoint(x: values[2 * $0], y: values[2 * $0 + 1]) })
            }
        }
    }
}
