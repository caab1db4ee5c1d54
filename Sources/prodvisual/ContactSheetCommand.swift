import ArgumentParser
import Foundation
import ProdVisualDomain
import ProdVisualEngine

/// Every style for one photo in one labelled grid: the quickest review of what sellers get.
struct ContactSheetCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "contact-sheet", abstract: "Render every style for one photo into a labelled grid (PNG).")

    @Argument(help: "Source image (JPEG, PNG or WebP).") var input: String
    @Option(help: "Platform preset.") var platform = "generic"
    @Option(help: "Output PNG file.") var out: String
    @Option(help: "Long side of each rendered style, in pixels.") var size = 1000
    @OptionGroup var models: ModelDirectoryOption

    func run() throws {
        let bytes = Array(try Data(contentsOf: URL(fileURLWithPath: input)))
        let engine = try ImageEngine(models: try models.load())
        var tiles: [(label: String, image: [UInt8])] = []
        for style in StyleCatalog.all {
            var request = GenerationRequest(source: .bytes(bytes), style: style.id, platform: platform)
            request.fillSampleContent(for: style)
            let plan = try GenerationPlan(validating: request)
            // Smaller than the preset, same aspect: a sheet of 22 full-size renders would be slow to look at.
            let scale = min(1, Double(size) / Double(max(plan.width, plan.height)))
            var spec = plan.renderSpec(watermark: nil)
            spec.width = max(50, Int(Double(plan.width) * scale))
            spec.height = max(50, Int(Double(plan.height) * scale))
            spec.format = style.id == "transparent" ? .png : .jpeg
            let started = Date()
            let rendered = try engine.render(source: bytes, spec: spec)
            tiles.append((style.id, rendered.bytes))
            print(String(format: "%@ %.2f s", style.id, Date().timeIntervalSince(started)))
        }
        try Data(try engine.contactSheet(tiles)).write(to: URL(fileURLWithPath: out))
        print("\(out): \(tiles.count) styles")
    }

    /// Sample words and colours for the styles that need them (the bench uses them too).
    static func sample(_ request: inout GenerationRequest, for style: Style) {
        request.fillSampleContent(for: style)
    }
}
