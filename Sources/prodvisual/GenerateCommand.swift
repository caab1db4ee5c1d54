import ArgumentParser
import Foundation
import ProdVisualDomain
import ProdVisualEngine

/// The same validation and engine as the API, on a local file, with no server or account.
struct GenerateCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "generate", abstract: "Render one style from a local image file, offline.")

    @Argument(help: "Source image (JPEG, PNG or WebP).") var input: String
    @Option(help: "Style id (see GET /v1/styles).") var style: String
    @Option(help: "Platform preset.") var platform: String?
    @Option(help: "png, jpeg or webp (default: the platform's).") var format: String?
    @Option(help: "WxH, e.g. 1500x1500 (default: the platform's).") var dimensions: String?
    @Option(help: "Background hex colour or 'transparent'.") var background: String?
    @Option(help: "JPEG/WebP quality 1-100.") var quality: Int?
    @Option(help: "Output file.") var out: String
    @Option(help: "A named variant of a scene style.") var scene: String?
    @Option(help: "Same seed, same image (default: from the photo).") var seed: Int?
    @Option(help: "Text styles: headline.") var headline: String?
    @Option(help: "Text styles: subheadline.") var subheadline: String?
    @Option(name: .customLong("feature"), help: "Infographic: a feature (repeat for more).") var features: [String] = []
    @Option(help: "Sale badge text.") var badge: String?
    @Option(name: .customLong("width-label"), help: "Dimensions: the width label.") var widthLabel: String?
    @Option(name: .customLong("height-label"), help: "Dimensions: the height label.") var heightLabel: String?
    @Option(name: .customLong("compare-style"), help: "Comparison: the style beside the original.") var compareStyle: String?
    @Option(name: .customLong("color"), help: "Colour variants: a hex colour (repeat for more).") var colors: [String] = []
    @OptionGroup var models: ModelDirectoryOption

    func run() async throws {
        let bytes: [UInt8]
        do {
            bytes = Array(try Data(contentsOf: URL(fileURLWithPath: input)))
        } catch {
            throw CommandFailure("Cannot read \(input): \(error.localizedDescription)")
        }
        var request = GenerationRequest(
            source: .bytes(bytes), style: style, platform: platform, dimensions: dimensions,
            background: background, format: format, quality: quality)
        request.scene = scene
        request.seed = seed
        request.compareStyle = compareStyle
        request.colors = colors.isEmpty ? nil : colors
        let text: [TextField: GenerationRequest.TextValue?] = [
            .headline: headline.map { .string($0) }, .subheadline: subheadline.map { .string($0) },
            .features: features.isEmpty ? nil : .list(features), .badge: badge.map { .string($0) },
            .widthLabel: widthLabel.map { .string($0) }, .heightLabel: heightLabel.map { .string($0) },
        ]
        request.text = text.compactMapValues { $0 }
        do {
            let plan = try GenerationPlan(validating: request)
            let started = Date()
            let rendered = try ImageEngine(models: try models.load()).render(source: bytes, spec: plan.renderSpec(watermark: nil))
            try Data(rendered.bytes).write(to: URL(fileURLWithPath: out))
            let millis = Int(Date().timeIntervalSince(started) * 1000)
            print("\(out): \(rendered.width)x\(rendered.height) \(rendered.format.rawValue), \(rendered.bytes.count) bytes in \(millis) ms")
        } catch let error as ServiceError {
            throw CommandFailure(error.message)
        } catch let error as ImagingError {
            throw CommandFailure(GenerationService.serviceError(for: error).message)
        }
    }
}
