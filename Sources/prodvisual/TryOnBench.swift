import ArgumentParser
import Foundation
import ProdVisualEngine

extension BenchCommand {
    /// The try-on on the bench's people and garments: who is accepted, how well garments are cut
    /// out, how steady the landmarks are (mirrored, and cut at the thighs), how long a try-on
    /// takes, and a sheet to look at.
    struct TryOn: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "tryon", abstract: "Try-on: persons accepted, garment cutout IoU, landmark steadiness and half-length agreement, speed, and a review sheet.")

        @Option(name: .customLong("bench-dir"), help: "The shared bench folder.") var benchDirectory = "../shared/bench"
        @Option(help: "Where the sheet of every bench person in six kinds of garment is written.") var sheet = "tryon-sheet.png"
        @Option(help: "Timed runs per person (the median counts).") var runs = 3
        @Flag(help: "Only render the sheet.") var sheetOnly = false
        @Option(help: "Only these bench persons (file names, comma-separated).") var persons: String?
        @Option(help: "The sheet's tile side in pixels.") var tileSide = 300
        @OptionGroup var models: ModelDirectoryOption

        /// One garment of each kind: a tee, a long sleeve, a camisole, a tiered blouse, trousers, a dress.
        static let sheetGarments = ["00055_00.jpg", "00151_00.jpg", "048769_1.jpg", "049920_1.jpg", "051991_1.jpg", "053319_1.jpg"]

        func run() throws {
            let vto = URL(fileURLWithPath: benchDirectory).appendingPathComponent("vto")
            let learned = try models.load()
            print(ModelStatus.summary(learned.statuses, directory: models.resolved))
            let engines = [("classical", try ImageEngine()), ("models", try ImageEngine(models: learned))]
            let chosen = persons.map { Set($0.split(separator: ",").map(String.init)) }
            let all = try files(vto.appendingPathComponent("persons"))
            let persons = all.filter { chosen?.contains($0.lastPathComponent) ?? true }
            if let unknown = chosen?.subtracting(all.map(\.lastPathComponent)), !unknown.isEmpty {
                throw CommandFailure("no bench person named \(unknown.sorted().joined(separator: ", ")) (the names are file names, such as \(all.first?.lastPathComponent ?? "-"))")
            }
            if !sheetOnly { try measure(vto, engines: engines, persons: persons) }
            try render(vto, engine: engines[1].1, persons: persons)
        }

        func measure(_ vto: URL, engines: [(String, ImageEngine)], persons: [URL]) throws {

            // Each photo analysed once per engine; the sections below read these.
            let analyses = engines.map { _, engine in
                persons.map { person in Result { try engine.analyzePerson(source: try bytes(person)) } }
            }
            print("\nperson analysis (bar: 14/14 accepted with models)")
            for ((name, _), analysed) in zip(engines, analyses) {
                var refused: [String] = []
                for (person, analysis) in zip(persons, analysed) {
                    if case .failure(let error) = analysis { refused.append("\(person.lastPathComponent): \(error)") }
                }
                print("  \(name.padding(toLength: 10, withPad: " ", startingAt: 0)) \(persons.count - refused.count)/\(persons.count) accepted")
                for line in refused { print("      refused \(line)") }
            }

            print("\ngarment cutout IoU on masked-pairs (test_clothes against test_edge; bar: mean >= 0.90)")
            for (name, engine) in engines {
                let scores = try garmentIoU(vto.appendingPathComponent("masked-pairs"), engine: engine)
                let line = scores.map { String(format: "%@ %.3f", $0.name, $0.iou) }.joined(separator: ", ")
                print(String(format: "  %@ mean %.3f, min %.3f  (%@)", name.padding(toLength: 10, withPad: " ", startingAt: 0),
                             scores.map(\.iou).reduce(0, +) / Double(scores.count), scores.map(\.iou).min() ?? 0, line))
            }

            let mirrors = try persons.map(Self.mirrored)
            print("\nlandmark steadiness: each person and its mirror image, joints compared (no ground truth here;")
            print("mean distance in shoulder widths, over shoulders, elbows, wrists, hips, knees and ankles)")
            for ((name, engine), analysed) in zip(engines, analyses) {
                var distances: [Double] = []
                for (analysis, mirror) in zip(analysed, mirrors) {
                    guard let a = try? analysis.get(), let b = try? engine.analyzePerson(source: mirror) else { continue }
                    distances.append(Self.mirrorDisagreement(a, b))
                }
                let sorted = distances.sorted()
                print(String(format: "  %@ mean %.3f, median %.3f, worst %.3f over %d persons", name.padding(toLength: 10, withPad: " ", startingAt: 0),
                             sorted.reduce(0, +) / Double(max(1, sorted.count)), sorted.isEmpty ? 0 : sorted[sorted.count / 2], sorted.last ?? 0, sorted.count))
            }

            print("\nhalf-length photos: each full-length person cut halfway down the thighs, the hips' row against")
            print("the whole photo's (in torso lengths, shoulders to hips; the bench marks no joints by hand)")
            for ((name, engine), analysed) in zip(engines, analyses) {
                var errors: [(name: String, error: Double)] = []
                var refused: [String] = []
                for (person, analysis) in zip(persons, analysed) {
                    guard let whole = try? analysis.get() else { continue }
                    let l = whole.landmarks
                    let shouldersY = (l.shoulders.left.y + l.shoulders.right.y) / 2, hipsY = (l.hips.left.y + l.hips.right.y) / 2
                    let kneesY = (l.knees.left.y + l.knees.right.y) / 2
                    // Full-length photos only: both ankles inside the frame.
                    guard max(l.ankles.left.y, l.ankles.right.y) < 0.95 * Double(whole.height) else { continue }
                    let height = Int((hipsY + kneesY) / 2), width = min(whole.width, height * 3 / 4)
                    let left = min(max(0, Int(l.neck.x) - width / 2), whole.width - width)
                    guard let half = try? engine.analyzePerson(source: try Self.cropped(person, x: left, y: 0, width: width, height: height)) else {
                        refused.append(person.lastPathComponent)
                        continue
                    }
                    let halfHipsY = (half.landmarks.hips.left.y + half.landmarks.hips.right.y) / 2
                    errors.append((person.lastPathComponent, abs(halfHipsY - hipsY) / max(1, hipsY - shouldersY)))
                }
                let worst = errors.max { $0.error < $1.error }
                let mean = errors.map(\.error).reduce(0, +) / Double(max(1, errors.count))
                print("  \(name.padding(toLength: 10, withPad: " ", startingAt: 0)) mean \(String(format: "%.3f", mean)), worst "
                      + "\(String(format: "%.3f", worst?.error ?? 0)) (\(worst?.name ?? "-")) over \(errors.count) persons; "
                      + "cut photos refused: \(refused.isEmpty ? "none" : refused.joined(separator: ", "))")
            }

            let tee = try bytes(vto.appendingPathComponent("garments/\(Self.sheetGarments[0])"))
            print("\ntry-on time, one tee on each person at the photo's size (768x1024), medians of \(runs) (bar: <= 1.5 s with models)")
            for (name, engine) in engines {
                var times: [Double] = []
                for person in persons {
                    let source = try bytes(person)
                    var samples: [Double] = []
                    for _ in 0..<max(1, runs) {
                        let started = Date()
                        guard (try? engine.tryOn(person: source, garments: [TryOnGarment(bytes: tee)])) != nil else { break }
                        samples.append(Date().timeIntervalSince(started))
                    }
                    if !samples.isEmpty { times.append(BenchCommand.median(samples)) }
                }
                print(String(format: "  %@ mean %.2f s, worst %.2f s over %d persons", name.padding(toLength: 10, withPad: " ", startingAt: 0),
                             times.reduce(0, +) / Double(max(1, times.count)), times.max() ?? 0, times.count))
            }

        }

        func render(_ vto: URL, engine: ImageEngine, persons: [URL]) throws {
            let garments = try Self.sheetGarments.map { try bytes(vto.appendingPathComponent("garments/\($0)")) }
            var tiles: [(label: String, image: [UInt8])] = []
            for person in persons {
                let source = try bytes(person)
                tiles.append((person.lastPathComponent, source))
                for (garmentName, garment) in zip(Self.sheetGarments, garments) {
                    do {
                        let out = try engine.tryOn(person: source, garments: [TryOnGarment(bytes: garment)],
                                                   options: TryOnOptions(size: .longSide(max(720, tileSide)), watermark: false))
                        tiles.append((garmentName, out[0].bytes))
                    } catch {
                        tiles.append(("\(garmentName): \(error)", garment))
                    }
                }
            }
            try Data(try engine.contactSheet(tiles, columns: 7, tileSide: tileSide)).write(to: URL(fileURLWithPath: sheet))
            print("\nsheet of \(persons.count) persons x \(Self.sheetGarments.count) garments (models): \(sheet)")
        }

        func files(_ folder: URL) throws -> [URL] {
            try FileManager.default.contentsOfDirectory(atPath: folder.path).sorted().map { folder.appendingPathComponent($0) }
        }

        func bytes(_ url: URL) throws -> [UInt8] { Array(try Data(contentsOf: url)) }

        /// The photo flipped left to right, by `vips flip`, as PNG.
        static func mirrored(_ url: URL) throws -> [UInt8] {
            try vips("flip", url, ["horizontal"])
        }

        /// A rectangle of the photo, by `vips crop`, as PNG.
        static func cropped(_ url: URL, x: Int, y: Int, width: Int, height: Int) throws -> [UInt8] {
            try vips("crop", url, [x, y, width, height].map(String.init))
        }

        /// The PNG that a `vips` operation makes of the photo, with the arguments after its output.
        private static func vips(_ operation: String, _ url: URL, _ arguments: [String]) throws -> [UInt8] {
            let out = FileManager.default.temporaryDirectory.appendingPathComponent("pv-\(operation)-\(UUID().uuidString).png")
            defer { try? FileManager.default.removeItem(at: out) }
            try BenchCommand.runTool("vips", [operation, url.path, out.path] + arguments)
            return Array(try Data(contentsOf: out))
        }

        /// Each garment photo's mask against its ground truth, compared at the ground truth's size.
        func garmentIoU(_ pairs: URL, engine: ImageEngine) throws -> [(name: String, iou: Double)] {
            try files(pairs.appendingPathComponent("test_clothes")).map { url in
                let name = url.lastPathComponent
                let truth = try engine.decodePixels(try bytes(pairs.appendingPathComponent("test_edge/\(name)")))
                let garment = try engine.analyzeGarment(source: try bytes(url))
                var intersection = 0, union = 0
                for y in 0..<truth.height {
                    let my = min(garment.maskHeight - 1, y * garment.maskHeight / truth.height)
                    for x in 0..<truth.width {
                        let mx = min(garment.maskWidth - 1, x * garment.maskWidth / truth.width)
                        let ours = garment.mask[my * garment.maskWidth + mx] >= 128
                        let theirs = truth.data[(y * truth.width + x) * truth.bands] >= 128
                        if ours && theirs { intersection += 1 }
                        if ours || theirs { union += 1 }
                    }
                }
                return (name, Double(intersection) / Double(max(1, union)))
            }
        }

        /// How far a person's joints move when the photo is mirrored (each side compared with the
        /// other side of the mirror image, flipped back), in shoulder widths.
        static func mirrorDisagreement(_ a: PersonAnalysis, _ b: PersonAnalysis) -> Double {
            let width = Double(a.width)
            let l = a.landmarks, m = b.landmarks
            func joints(_ x: PersonLandmarks) -> [Sides<ImagePoint>] { [x.shoulders, x.elbows, x.wrists, x.hips, x.knees, x.ankles] }
            var total = 0.0, count = 0.0
            for (ours, mirrored) in zip(joints(l), joints(m)) {
                for side in 0..<2 {
                    let p = side == 0 ? ours.left : ours.right
                    let q = side == 0 ? mirrored.right : mirrored.left
                    total += ((p.x - (width - q.x)) * (p.x - (width - q.x)) + (p.y - q.y) * (p.y - q.y)).squareRoot()
                    count += 1
                }
            }
            return total / count / max(1, l.shoulders.right.x - l.shoulders.left.x)
        }
    }
}
