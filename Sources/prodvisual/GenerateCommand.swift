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
    @OptionGroup var model: SegmentationModelOption

    func run() async throws {
        let bytes: [UInt8]
        do {
            bytes = Array(try Data(contentsOf: URL(fileURLWithPath: input)))
        } catch {
            throw CommandFailure("Cannot read \(input): \(error.localizedDescription)")
        }
        let request = GenerationRequest(
            source: .bytes(bytes), style: style, platform: platform, dimensions: dimensions,
            background: background, format: format, quality: quality)
        do {
            let plan = try GenerationPlan(validating: request)
            let started = Date()
            let rendered = try ImageEngine(segmentationModel: model.resolved).render(source: bytes, spec: plan.renderSpec(watermark: nil))
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
