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

/// One catalogue model, loaded on its first use: its file's SHA-256 checked against the pin and its
/// network parsed. A one-shot command that needs no model then pays for none (loading all five
/// cost a white-background render more than its segmentation). `@unchecked`: the lock guards the
/// check and the outcome, each written once.
final class ModelSlot<Model: Sendable>: @unchecked Sendable {
    let entry: ModelEntry
    let path: String
    private let open: (String, InferenceTurn) throws(ImagingError) -> Model
    private let turn: InferenceTurn
    private let lock = NSLock()
    private var check: ModelStatus.State?
    private var outcome: (model: Model?, state: ModelStatus.State)?

    init(_ entry: ModelEntry, directory: String, turn: InferenceTurn, open: @escaping (String, InferenceTurn) throws(ImagingError) -> Model) {
        self.entry = entry
        path = URL(fileURLWithPath: directory).appendingPathComponent(entry.file).path
        self.turn = turn
        self.open = open
    }

    /// The model, or nil when its file is missing, refused or fails to load.
    var model: Model? { resolved().model }

    var status: ModelStatus { ModelStatus(entry: entry, path: path, state: resolved().state) }

    /// Whether the model is there to be used, without parsing it: its file is present and passes
    /// its hash check (a check cheap beside a parse, made once). A render plans its path by this.
    var isUsable: Bool {
        lock.lock()
        defer { lock.unlock() }
        if let outcome { return outcome.model != nil }
        return checked() == .loaded
    }

    /// The file's state before any parse: `.loaded` standing for "present, and the pinned file".
    /// Called with the lock held.
    private func checked() -> ModelStatus.State {
        if let check { return check }
        let state: ModelStatus.State
        if let bytes = FileManager.default.contents(atPath: path) {
            let actual = SHA256.hash(data: bytes).map { String(format: "%02x", $0) }.joined()
            state = actual == entry.sha256 ? .loaded : .hashMismatch(actual: actual)
        } else {
            state = .missing
        }
        check = state
        return state
    }

    private func resolved() -> (model: Model?, state: ModelStatus.State) {
        lock.lock()
        defer { lock.unlock() }
        if let outcome { return outcome }
        let loaded: (model: Model?, state: ModelStatus.State)
        switch checked() {
        case .loaded:
            do throws(ImagingError) {
                loaded = (try open(path, turn), .loaded)
            } catch {
                loaded = (nil, .failed("\(error)"))
            }
        case let refused:
            loaded = (nil, refused)
        }
        outcome = loaded
        return loaded
    }
}

/// The learned models the engine sees with, shared by every render of a process, each loaded on
/// first use. Each is optional: without one, the engine uses its classical path for that task.
public struct ModelSet: Sendable {
    private let saliencySlot: ModelSlot<Vision.SaliencyModel>?
    private let textSlot: ModelSlot<Vision.TextDetector>?
    private let poseSlot: ModelSlot<Vision.PoseModel>?
    private let personMaskSlot: ModelSlot<Vision.PersonMaskModel>?
    private let faceSlot: ModelSlot<Vision.FaceModel>?

    /// No models: the classical vision path throughout.
    public static let none = ModelSet(saliency: nil, text: nil, pose: nil, personMask: nil, face: nil)

    private init(saliency: ModelSlot<Vision.SaliencyModel>?, text: ModelSlot<Vision.TextDetector>?, pose: ModelSlot<Vision.PoseModel>?,
                 personMask: ModelSlot<Vision.PersonMaskModel>?, face: ModelSlot<Vision.FaceModel>?) {
        saliencySlot = saliency
        textSlot = text
        poseSlot = pose
        personMaskSlot = personMask
        faceSlot = face
    }

    var saliency: Vision.SaliencyModel? { saliencySlot?.model }
    var text: Vision.TextDetector? { textSlot?.model }
    /// The try-on's and the portraits' eyes: body landmarks, the person's mask and faces.
    var pose: Vision.PoseModel? { poseSlot?.model }
    var personMask: Vision.PersonMaskModel? { personMaskSlot?.model }
    var face: Vision.FaceModel? { faceSlot?.model }

    /// Whether the saliency model or the text detector is there to be used, without loading it.
    var offersSaliency: Bool { saliencySlot?.isUsable ?? false }
    var offersText: Bool { textSlot?.isUsable ?? false }

    /// Whether the person analysis runs on the models: it needs all three.
    var seesPeople: Bool { pose != nil && personMask != nil && face != nil }

    /// What became of each model, loading every one not loaded yet (a server's start, `prodvisual models`).
    public var statuses: [ModelStatus] {
        [saliencySlot?.status, textSlot?.status, poseSlot?.status, personMaskSlot?.status, faceSlot?.status].compactMap { $0 }
    }

    /// The catalogue's models in `directory`, each loaded when first used, and only if its
    /// SHA-256 matches the pin.
    public static func load(directory: String) throws -> ModelSet {
        let catalogue = Dictionary(uniqueKeysWithValues: try ModelEntry.catalog().map { ($0.name, $0) })
        let turn = InferenceTurn()
        func slot<Model>(_ name: String, _ open: @escaping (String, InferenceTurn) throws(ImagingError) -> Model) throws -> ModelSlot<Model> {
            guard let entry = catalogue[name] else {
                throw ImagingError.processingFailed("the model catalogue has no entry named \(name)")
            }
            return ModelSlot(entry, directory: directory, turn: turn, open: open)
        }
        return ModelSet(
            saliency: try slot("saliency") { path, turn throws(ImagingError) in try Vision.SaliencyModel(path: path, turn: turn) },
            text: try slot("text") { path, turn throws(ImagingError) in try Vision.TextDetector(path: path, turn: turn) },
            pose: try slot("pose_landmark") { path, turn throws(ImagingError) in try Vision.PoseModel(path: path, turn: turn) },
            personMask: try slot("selfie_segmentation") { path, turn throws(ImagingError) in try Vision.PersonMaskModel(path: path, turn: turn) },
            face: try slot("face_detection") { path, turn throws(ImagingError) in try Vision.FaceModel(path: path, turn: turn) })
    }
}
