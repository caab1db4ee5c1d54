import Crypto
import Foundation

/// One model of the catalogue (`catalog.json`, which `scripts/install-models.py` installs from).
public struct ModelEntry: Sendable, Decodable, Equatable {
    public let name: String
    public let file: String
    public let purpose: String
    public let package: String
    public let version: String
    public let license: String
    public let source: String
    /// SHA-256 of the installed file, hex.
    public let sha256: String

    /// Every model the engine can use, as the catalogue pins them.
    public static func catalog() throws -> [ModelEntry] {
        guard let url = Bundle.module.url(forResource: "catalog", withExtension: "json") else {
            throw ImagingError.processingFailed("the model catalogue is missing from the engine's resources")
        }
        struct Catalog: Decodable { let models: [ModelEntry] }
        return try JSONDecoder().decode(Catalog.self, from: Data(contentsOf: url)).models
    }
}

/// What became of one model when a model directory was loaded.
public struct ModelStatus: Sendable, Equatable {
    public enum State: Sendable, Equatable {
        case loaded
        case missing
        /// The file is there, but not the one the catalogue pins: it is not loaded.
        case hashMismatch(actual: String)
        case failed(String)
    }

    public let entry: ModelEntry
    public let path: String
    public let state: State

    /// One line for a log: what loaded, and what runs on the classical path instead.
    public static func summary(_ statuses: [ModelStatus], directory: String) -> String {
        let loaded = statuses.filter { $0.state == .loaded }.map(\.entry.name)
        if loaded.count == statuses.count {
            return "models: \(loaded.joined(separator: ", ")) loaded from \(directory)"
        }
        let absent = statuses.filter { $0.state != .loaded }.map { status in
            switch status.state {
            case .missing: "\(status.entry.name) (missing)"
            case .hashMismatch: "\(status.entry.name) (hash mismatch, refused)"
            case .failed(let reason): "\(status.entry.name) (failed: \(reason))"
            case .loaded: status.entry.name
            }
        }
        return "models: \(loaded.isEmpty ? "none" : loaded.joined(separator: ", ")) loaded from \(directory); "
            + "\(absent.joined(separator: ", ")) not: running on the classical vision path for \(absent.count == 1 ? "it" : "them") (make deps installs the models)"
    }
}

/// Lets one inference run at a time among the models of a `ModelSet`: each already runs on every
/// core, and two at once would hold two networks' activations (up to 260 MB).
final class InferenceTurn: @unchecked Sendable {
    // NSLock is thread-safe; `@unchecked` because corelibs Foundation does not mark it Sendable.
    private let lock = NSLock()

    func take<T, Failure: Error>(_ body: () throws(Failure) -> T) throws(Failure) -> T {
        lock.lock()
        defer { lock.unlock() }
        return try body()
    }
}

/// A model the C facade loaded, freed with this object. `@unchecked`: the C++ side parses a
/// network of its own for each inference, and inferences take their `InferenceTurn`.
final class LoadedModel: @unchecked Sendable {
    private let handle: OpaquePointer
    private let free: (OpaquePointer) -> Void
    private let turn: InferenceTurn

    /// `load` gets the reason buffer and its size and answers the handle, nil on failure.
    init(_ what: String, path: String, turn: InferenceTurn, load: (UnsafeMutablePointer<CChar>, Int) -> OpaquePointer?,
         free: @escaping (OpaquePointer) -> Void) throws(ImagingError) {
        var error = [CChar](repeating: 0, count: 512)
        guard let handle = error.withUnsafeMutableBufferPointer({ load($0.baseAddress!, $0.count) }) else {
            throw .processingFailed("cannot load the \(what) \(path): \(String(decoding: error.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self))")
        }
        self.handle = handle
        self.free = free
        self.turn = turn
    }

    deinit { free(handle) }

    /// Runs one inference on the handle, in turn with the set's other models.
    func run<T>(_ body: (OpaquePointer) -> T) -> T { turn.take { body(handle) } }
}

/// The learned models the engine sees with, loaded once per process and shared by every render.
/// Each is optional: without one, the engine uses its classical path for that task.
public struct ModelSet: Sendable {
    let saliency: Vision.SaliencyModel?
    let text: Vision.TextDetector?
    /// The try-on's and the portraits' eyes: body landmarks, the person's mask and faces.
    let pose: Vision.PoseModel?
    let personMask: Vision.PersonMaskModel?
    let face: Vision.FaceModel?

    /// No models: the classical vision path throughout.
    public static let none = ModelSet(saliency: nil, text: nil, pose: nil, personMask: nil, face: nil)

    init(saliency: Vision.SaliencyModel?, text: Vision.TextDetector?, pose: Vision.PoseModel?, personMask: Vision.PersonMaskModel?,
         face: Vision.FaceModel?) {
        self.saliency = saliency
        self.text = text
        self.pose = pose
        self.personMask = personMask
        self.face = face
    }

    /// Whether the person analysis runs on the models: it needs all three.
    var seesPeople: Bool { pose != nil && personMask != nil && face != nil }

    /// The catalogue's models from `directory`: each loaded only if its SHA-256 matches the pin.
    public static func load(directory: String) throws -> (models: ModelSet, statuses: [ModelStatus]) {
        var saliency: Vision.SaliencyModel?
        var text: Vision.TextDetector?
        var pose: Vision.PoseModel?
        var personMask: Vision.PersonMaskModel?
        var face: Vision.FaceModel?
        var statuses: [ModelStatus] = []
        let turn = InferenceTurn()
        for entry in try ModelEntry.catalog() {
            let path = URL(fileURLWithPath: directory).appendingPathComponent(entry.file).path
            let state: ModelStatus.State
            if let bytes = FileManager.default.contents(atPath: path) {
                let actual = SHA256.hash(data: bytes).map { String(format: "%02x", $0) }.joined()
                if actual != entry.sha256 {
                    state = .hashMismatch(actual: actual)
                } else {
                    do {
                        switch entry.name {
                        case "saliency":
                            saliency = try Vision.SaliencyModel(path: path, turn: turn)
                            state = .loaded
                        case "text":
                            text = try Vision.TextDetector(path: path, turn: turn)
                            state = .loaded
                        case "pose_landmark":
                            pose = try Vision.PoseModel(path: path, turn: turn)
                            state = .loaded
                        case "selfie_segmentation":
                            personMask = try Vision.PersonMaskModel(path: path, turn: turn)
                            state = .loaded
                        case "face_detection":
                            face = try Vision.FaceModel(path: path, turn: turn)
                            state = .loaded
                        default: state = .failed("this build has no use for a model named \(entry.name)")
                        }
                    } catch {
                        state = .failed("\(error)")
                    }
                }
            } else {
                state = .missing
            }
            statuses.append(ModelStatus(entry: entry, path: path, state: state))
        }
        return (ModelSet(saliency: saliency, text: text, pose: pose, personMask: personMask, face: face), statuses)
    }

    /// The model directory when none is named: `PRODVISUAL_MODEL_DIR`, else `./models`.
    public static var defaultDirectory: String {
        ProcessInfo.processInfo.environment["PRODVISUAL_MODEL_DIR"] ?? "models"
    }
}
