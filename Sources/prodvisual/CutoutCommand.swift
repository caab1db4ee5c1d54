import ArgumentParser
import Foundation
import ProdVisualDomain
import ProdVisualEngine

/// Cuts products out of local files: one RGBA PNG per input, named after it.
struct CutoutCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "cutout", abstract: "Write the cut-out product of each input as an RGBA PNG.")

    @Argument(help: "Source images (JPEG, PNG or WebP).") var inputs: [String]
    @Option(help: "Directory for the PNGs (created if missing).") var out: String
    @OptionGroup var models: ModelDirectoryOption

    func run() async throws {
        let engine = try ImageEngine(models: try models.load())
        let directory = URL(fileURLWithPath: out)
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        var failures = 0
        for input in inputs {
            let url = URL(fileURLWithPath: input)
            do {
                let cutout = try engine.cutout(source: Array(try Data(contentsOf: url)))
                let destination = directory.appendingPathComponent(url.deletingPathExtension().lastPathComponent + ".png")
                try Data(cutout.png).write(to: destination)
                let report = cutout.report
                let box = report.boundingBox
                print(String(
                    format: "%@: box %dx%d+%d+%d, fill %.2f, confidence %.2f%@%@",
                    destination.path, box.width, box.height, box.x, box.y, report.fillRatio, report.confidence,
                    report.uniformBackground ? ", uniform backdrop" : "", report.hadAlpha ? ", kept its alpha" : ""))
            } catch {
                failures += 1
                let message = (error as? ImagingError).map { GenerationService.serviceError(for: $0).message } ?? "\(error)"
                FileHandle.standardError.write(Data("\(input): \(message)\n".utf8))
            }
        }
        if failures > 0 { throw ExitCode.failure }
    }
}
