import ArgumentParser
import Foundation
import ProdVisualDomain
import ProdVisualEngine

#if canImport(Glibc)
import Glibc
#endif

/// Benchmarks measured side by side in one run, printed as figures and ratios.
struct BenchCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench", abstract: "Benchmarks.", subcommands: [Cutout.self, Styles.self, TryOn.self, Queue.self, Claims.self, Soak.self])

    static func median(_ times: [Double]) -> Double { times.sorted()[times.count / 2] }

    /// Runs a tool (by path, or found on PATH) to completion, its output discarded.
    static func runTool(_ program: String, _ arguments: [String]) throws {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: program.contains("/") ? program : "/usr/bin/env")
        process.arguments = program.contains("/") ? arguments : [program] + arguments
        process.standardOutput = FileHandle.nullDevice
        try process.run()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            throw CommandFailure("\(program) \(arguments.joined(separator: " ")) failed (\(process.terminationStatus))")
        }
    }

    struct Cutout: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Cutout quality against ground-truth masks, and speed against `vips thumbnail`.")

        @Option(name: .customLong("bench-dir"), help: "The shared bench folder.") var benchDirectory = "../shared/bench"
        @Option(help: "Timed runs per command and photo (the median counts).") var runs = 3
        @OptionGroup var models: ModelDirectoryOption

        func run() async throws {
            let bench = URL(fileURLWithPath: benchDirectory)
            let learned = try models.load()
            print(ModelStatus.summary(learned.statuses, directory: models.resolved))
            // The same photos through the classical path alone and with the learned models.
            let engines = [("classical", try ImageEngine()), ("models", try ImageEngine(models: learned))]
            print("engine     set      backdrop      images  mean IoU  min IoU  mean MAE  s/image")
            for (name, engine) in engines {
                for set in ["studio", "scenes"] {
                    let scores = try score(set: bench.appendingPathComponent("cutout/\(set)"), engine: engine)
                    let label = name.padding(toLength: 10, withPad: " ", startingAt: 0) + " "
                    for (kind, group) in Dictionary(grouping: scores, by: \.kind).sorted(by: { $0.key < $1.key }) {
                        print(label + Score.row(set, kind, group))
                    }
                    print(label + Score.row(set, "ALL", scores))
                    if verbose {
                        for score in scores.sorted(by: { $0.iou < $1.iou }) {
                            print(String(format: "           %@ IoU %.3f confidence %.2f", score.name, score.iou, score.confidence))
                        }
                    }
                }
            }
            print("bars (with models): studio mean IoU >= 0.985 and every image >= 0.93; scenes mean >= 0.85")
            guard !qualityOnly else { return }
            try speed(bench: bench)
        }

        @Flag(help: "List every image's IoU and confidence, worst first.") var verbose = false
        @Flag(help: "Measure the cutouts' quality only, not the speed.") var qualityOnly = false

        struct Score {
            let name: String
            let kind: String
            let confidence: Double
            let iou: Double
            let mae: Double
            let seconds: Double

            static func row(_ set: String, _ kind: String, _ scores: [Score]) -> String {
                let count = Double(scores.count)
                // String(format:) does not pad %@ on Linux: pad the names here.
                let label = set.padding(toLength: 8, withPad: " ", startingAt: 0) + " "
                    + kind.padding(toLength: 13, withPad: " ", startingAt: 0)
                return label + String(
                    format: " %6d  %8.3f  %7.3f  %8.4f  %7.2f", scores.count,
                    scores.map(\.iou).reduce(0, +) / count, scores.map(\.iou).min() ?? 0,
                    scores.map(\.mae).reduce(0, +) / count, scores.map(\.seconds).reduce(0, +) / count)
            }
        }

        /// Each image against its mask: IoU of alpha >= 128, and mean absolute alpha error.
        func score(set: URL, engine: ImageEngine) throws -> [Score] {
            let names = try FileManager.default.contentsOfDirectory(atPath: set.appendingPathComponent("images").path)
                .filter { $0.hasSuffix(".jpg") }.sorted()
            return try names.map { name in
                let source = Array(try Data(contentsOf: set.appendingPathComponent("images/\(name)")))
                let started = Date()
                let cutout = try engine.cutout(source: source)
                let seconds = Date().timeIntervalSince(started)
                let alpha = try engine.decodePixels(cutout.png)
                let mask = try engine.decodePixels(Array(try Data(contentsOf: set.appendingPathComponent("masks/\(name.dropLast(4)).png"))))
                guard alpha.width == mask.width, alpha.height == mask.height else {
                    throw CommandFailure("\(name): cutout is \(alpha.width)x\(alpha.height), mask \(mask.width)x\(mask.height)")
                }
                var intersection = 0, union = 0, error = 0
                for index in 0..<(mask.width * mask.height) {
                    let a = Int(alpha.data[index * alpha.bands + alpha.bands - 1]), m = Int(mask.data[index * mask.bands])
                    if a >= 128 && m >= 128 { intersection += 1 }
                    if a >= 128 || m >= 128 { union += 1 }
                    error += abs(a - m)
                }
                // Studio names end with the backdrop kind: 00000000_001_white_sweep.jpg.
                let parts = name.dropLast(4).split(separator: "_")
                let kind = parts.count > 2 ? parts.dropFirst(2).joined(separator: "_") : "scene"
                return Score(
                    name: name, kind: kind, confidence: cutout.report.confidence, iou: Double(intersection) / Double(max(1, union)),
                    mae: Double(error) / 255 / Double(mask.width * mask.height), seconds: seconds)
            }
        }

        /// Every packshot and a 12-megapixel JPEG to a 1500x1500 white_bg JPEG, against `vips
        /// thumbnail` making a 1500-pixel JPEG from the same file: both as whole processes (so the
        /// models' loading counts), interleaved, medians of `runs`.
        func speed(bench: URL) throws {
            let scratch = FileManager.default.temporaryDirectory.appendingPathComponent("pv-bench-\(UUID().uuidString)")
            try FileManager.default.createDirectory(at: scratch, withIntermediateDirectories: true)
            defer { try? FileManager.default.removeItem(at: scratch) }
            let large = scratch.appendingPathComponent("12mp.jpg").path
            let studio = bench.appendingPathComponent("cutout/studio/images/00000000_001_white_sweep.jpg").path
            // 1200x1200 scaled to 4000x3000.
            try BenchCommand.runTool("vips", ["resize", studio, "\(large)[Q=92]", "3.3334", "--vscale", "2.5"])
            let packshots = bench.appendingPathComponent("packshots")
            var photos: [String] = []
            for product in try FileManager.default.contentsOfDirectory(atPath: packshots.path).sorted() {
                let folder = packshots.appendingPathComponent(product)
                guard let names = try? FileManager.default.contentsOfDirectory(atPath: folder.path) else { continue }
                photos += names.filter { $0.hasSuffix(".jpg") }.sorted().map { folder.appendingPathComponent($0).path }
            }
            photos.append(large)

            print("\nwhite_bg 1500x1500 JPEG beside vips thumbnail, whole processes, medians of \(runs) (models from \(models.resolved))")
            print("photo                     white_bg s  vips s  ratio")
            var oursTotal = 0.0, thumbnailTotal = 0.0, worst = 0.0, largeRatio = 0.0
            for photo in photos {
                // Interleaved, so that a noisy neighbour slows both alike.
                var ours: [Double] = [], thumbnail: [Double] = []
                for _ in 0..<max(1, runs) {
                    ours.append(try timed {
                        try BenchCommand.runTool(CommandLine.arguments[0], [
                            "generate", photo, "--style", "white_bg", "--dimensions", "1500x1500", "--format", "jpeg",
                            "--model-dir", models.resolved, "--out", scratch.appendingPathComponent("ours.jpg").path,
                        ])
                    })
                    thumbnail.append(try timed {
                        try BenchCommand.runTool("vips", ["thumbnail", photo, scratch.appendingPathComponent("thumb.jpg").path + "[Q=90]", "1500"])
                    })
                }
                let (oursMedian, thumbnailMedian) = (BenchCommand.median(ours), BenchCommand.median(thumbnail))
                let ratio = oursMedian / thumbnailMedian
                oursTotal += oursMedian
                thumbnailTotal += thumbnailMedian
                worst = max(worst, ratio)
                if photo == large { largeRatio = ratio }
                let name = photo == large ? "12 MP studio" : URL(fileURLWithPath: photo).lastPathComponent
                print(name.padding(toLength: 24, withPad: " ", startingAt: 0) + String(format: "  %10.3f  %6.3f  %5.2f", oursMedian, thumbnailMedian, ratio))
            }
            // The largest resident set of any child waited for: the vips runs stay far below ours.
            var usage = rusage()
            getrusage(RUSAGE_CHILDREN.rawValue, &usage)
            print(String(
                format: "total ratio %.2f (bar: at most 3.00); worst photo %.2f (bar: at most 8.00); 12 MP studio %.2f (bar: at most 2.00); peak RSS of white_bg %.0f MB",
                oursTotal / thumbnailTotal, worst, largeRatio, Double(usage.ru_maxrss) / 1024))
        }

        func timed(_ body: () throws -> Void) throws -> Double {
            let started = Date()
            try body()
            return Date().timeIntervalSince(started)
        }

    }

    struct Styles: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Seconds per style for a 12-megapixel photo at the platform's default size, against white_bg.")

        @Option(name: .customLong("bench-dir"), help: "The shared bench folder.") var benchDirectory = "../shared/bench"
        @Option(help: "Platform preset.") var platform = "generic"
        @Option(help: "Timed runs per style (the median counts).") var runs = 3

        func run() throws {
            let scratch = FileManager.default.temporaryDirectory.appendingPathComponent("pv-bench-\(UUID().uuidString)")
            try FileManager.default.createDirectory(at: scratch, withIntermediateDirectories: true)
            defer { try? FileManager.default.removeItem(at: scratch) }
            let large = scratch.appendingPathComponent("12mp.jpg").path
            let studio = URL(fileURLWithPath: benchDirectory).appendingPathComponent("cutout/studio/images/00000000_001_white_sweep.jpg").path
            try BenchCommand.runTool("vips", ["resize", studio, "\(large)[Q=92]", "3.3334", "--vscale", "2.5"])
            let source = Array(try Data(contentsOf: URL(fileURLWithPath: large)))
            let engine = try ImageEngine()
            var times: [(id: String, size: String, seconds: Double)] = []
            for style in StyleCatalog.all {
                var request = GenerationRequest(source: .bytes(source), style: style.id, platform: platform)
                ContactSheetCommand.sample(&request, for: style)
                let plan = try GenerationPlan(validating: request)
                let spec = plan.renderSpec(watermark: nil)
                var runs: [Double] = []
                for _ in 0..<max(1, self.runs) {
                    let started = Date()
                    _ = try engine.render(source: source, spec: spec)
                    runs.append(Date().timeIntervalSince(started))
                }
                times.append((style.id, plan.dimensions, BenchCommand.median(runs)))
            }
            let baseline = times.first { $0.id == "white_bg" }?.seconds ?? 1
            print("style            size         seconds  × white_bg")
            for entry in times {
                let ratio = entry.seconds / baseline
                print(entry.id.padding(toLength: 16, withPad: " ", startingAt: 0) + " "
                    + entry.size.padding(toLength: 12, withPad: " ", startingAt: 0)
                    + String(format: " %7.3f  %9.2f%@", entry.seconds, ratio, ratio > 3 ? "  over the 3x bar" : ""))
            }
            let slowest = times.map { $0.seconds / baseline }.max() ?? 0
            print(String(format: "\nslowest style: %.2f x white_bg (bar: at most 3.00)", slowest))
        }
    }
}
