import Foundation
import ProdVisualEngine
import ProdVisualStore

/// What a queued job renders: a /v1 generation, or one image of a product's generation task.
enum JobPayload: Codable, Sendable {
    case generation(GenerationRequest)
    case productImage(ProductImageJob)
    case tryOn(TryOnJob)

    private enum CodingKeys: String, CodingKey {
        case productImage = "product_image"
        case tryOn = "try_on"
    }

    init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        if let job = try container.decodeIfPresent(ProductImageJob.self, forKey: .productImage) {
            self = .productImage(job)
        } else if let job = try container.decodeIfPresent(TryOnJob.self, forKey: .tryOn) {
            self = .tryOn(job)
        } else {
            // /v1 jobs are the request itself, as queued before product jobs existed.
            self = .generation(try GenerationRequest(from: decoder))
        }
    }

    func encode(to encoder: any Encoder) throws {
        switch self {
        case .generation(let request):
            try request.encode(to: encoder)
        case .productImage(let job):
            var container = encoder.container(keyedBy: CodingKeys.self)
            try container.encode(job, forKey: .productImage)
        case .tryOn(let job):
            var container = encoder.container(keyedBy: CodingKeys.self)
            try container.encode(job, forKey: .tryOn)
        }
    }
}

/// The kinds of image a product generation task makes (EcomViz `imageType`).
public enum ProductImageKind: String, Sendable, Codable, CaseIterable {
    /// Listing main images: distinct studio treatments of the product.
    case main
    /// Close-ups of the product's most detailed regions.
    case detail
    /// Feed-ready social compositions.
    case facebook
    /// Virtual try-on per colour.
    case vto
}

/// One image of a product generation task, as a worker renders it.
struct ProductImageJob: Codable, Sendable, Equatable {
    let productID: String
    /// The product photo it starts from, relative to the product files.
    let sourceFile: String
    let kind: ProductImageKind
    /// Which of the task's images of this kind (0-based), and how many there are.
    let index: Int
    let count: Int
    let aspectRatio: String
    let width: Int
    let height: Int
    let platform: String
    let region: String
    let language: String
    let removeBrandLogo: Bool
    let changePortrait: Bool
    let format: ImageFormat
}

extension GenerationService {
    /// Treatments for main images, in order: plain packshots first, so a platform whose main
    /// image must be on white gets those.
    static let mainTreatments: [Composition] = [.whiteBackground, .dropShadow, .reflection, .gradient, .pastel]
    static let whiteMainTreatments: [Composition] = [.whiteBackground, .dropShadow, .reflection]
    static let socialCompositions: [Composition] = [.socialSquare, .lifestyle, .podium, .marble, .woodenTable, .outdoor, .flatLay, .pastel]

    /// Renders one product image and judges it against the task's platform.
    func renderProductImage(_ job: ProductImageJob, mode: KeyMode) async throws -> (bytes: [UInt8], compliance: ComplianceReport) {
        guard let platform = PlatformCatalog.platform(id: job.platform) else {
            throw ServiceError.invalid("Unknown platform '\(job.platform)'.")
        }
        let photo = try await productFiles.read(job.sourceFile)
        let watermark = mode == .test ? "SAMPLE" : nil
        let (bytes, measurement) = try await renderMeasured { engine in
            var source = photo
            if job.changePortrait { source = try engine.hidingFaces(source: source).bytes }
            if job.removeBrandLogo { source = try engine.removingMarks(source: source).bytes }
            switch job.kind {
            case .main, .facebook:
                var spec = RenderSpec(
                    composition: Self.composition(for: job, platform: platform), width: job.width, height: job.height,
                    productFill: platform.productFill, background: .color(.white), format: job.format, quality: 90, watermark: watermark)
                // Variants past the first pass through the list again with another scene.
                spec.seed = UInt64(job.index)
                return try engine.render(source: source, spec: spec).bytes
            case .detail:
                let crops = try engine.detailCrops(
                    source: source, count: job.count, width: job.width, height: job.height, format: job.format, quality: 90)
                guard job.index < crops.count else {
                    // Flat regions make poor close-ups: fewer are made rather than padded.
                    throw ServiceError(.invalidImage, "The photo has \(crops.count) distinct detailed region(s) worth a close-up, so close-up \(job.index + 1) was not made; its credit was refunded.")
                }
                return crops[job.index].bytes
            case .vto:
                throw ServiceError.invalid("Virtual try-on images are not available on this server yet.")
            }
        }
        let traits = StyleTraits(addsText: false, mainImageEligible: job.kind == .main)
        return (bytes, ComplianceReport(platform: platform, measurement: measurement, traits: traits, watermarked: watermark != nil))
    }

    static func composition(for job: ProductImageJob, platform: Platform) -> Composition {
        switch job.kind {
        case .main:
            let treatments = platform.backgroundRule != .any ? whiteMainTreatments : mainTreatments
            return treatments[job.index % treatments.count]
        default:
            return socialCompositions[job.index % socialCompositions.count]
        }
    }
}
