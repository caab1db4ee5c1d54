import Foundation
import Logging
import ProdVisualEngine
import ProdVisualNet
import ProdVisualStore

/// A request to generate images for a product (EcomViz `POST /api/products/:id/generate`).
public struct ProductGenerationRequest: Sendable {
    public struct Entry: Sendable, Equatable {
        public var kind: ProductImageKind
        public var count: Int
        public var aspectRatio: String?
        /// For `vto`: the colours to dress the garment in.
        public var colors: [String]

        public init(kind: ProductImageKind, count: Int, aspectRatio: String? = nil, colors: [String] = []) {
            self.kind = kind
            self.count = count
            self.aspectRatio = aspectRatio
            self.colors = colors
        }
    }

    public var entries: [Entry]
    public var region: String?
    public var platform: String?
    public var removeBrandLogo = false
    public var changePortrait = false
    public var language: String?
    public var webhookURL: String?
    public var webhookToken: String?
    /// The person `vto` images dress; the account's default model photo when absent.
    public var personImageURL: String?

    public init(entries: [Entry]) {
        self.entries = entries
    }
}

/// A started generation task: its images are queued jobs of one batch.
public struct ProductTask: Sendable {
    public let productID: String
    public let taskID: String
    public let images: Int
    public let creditsRemaining: Int
}

/// A product with its analysis and every image generated for it.
public struct ProductView: Sendable {
    public let record: ProductRecord
    /// The analysis as stored: a JSON object.
    public let analysisJSON: String
    public let colors: [String]
    public let sourceURLs: [String]
    /// Completed images, oldest first, with fetchable URLs while they last.
    public let images: [(record: GenerationRecord, url: String?)]
}

/// The EcomViz surface's products: made from photos (fetched under the same rules as /v1),
/// measured, and given images by the same engine, queue, credits and webhooks as /v1.
public struct ProductService: Sendable {
    public static let aspectRatios = ["1:1", "4:3", "3:4", "16:9", "9:16"]
    /// Regions choose defaults; `global` is the default.
    public static let regions = ["global", "us", "ca", "uk", "eu", "de", "fr", "es", "it", "jp", "cn", "kr", "in", "br", "mx", "au"]
    static let maxSourcePhotos = 10
    static let maxImagesPerKind = 10

    let store: any Store
    let generations: GenerationService
    let clock: @Sendable () -> Date

    public init(store: any Store, generations: GenerationService, clock: @escaping @Sendable () -> Date = Date.init) {
        self.store = store
        self.generations = generations
        self.clock = clock
    }

    // MARK: Creation

    /// Fetches every photo (the same rules and limits as /v1's `image_url`), measures each, and
    /// stores the product. Nothing is stored unless every photo was fetched and read.
    public func create(imageURLs: [String], productName: String?, by key: AuthenticatedKey) async throws -> ProductView {
        guard !imageURLs.isEmpty else { throw ServiceError.invalid("'imageUrls' is empty: send 1 to \(Self.maxSourcePhotos) image URLs.") }
        guard imageURLs.count <= Self.maxSourcePhotos else {
            throw ServiceError.invalid("'imageUrls' takes at most \(Self.maxSourcePhotos) URLs; got \(imageURLs.count).")
        }
        for (index, url) in imageURLs.enumerated() where url.trimmingCharacters(in: .whitespaces).isEmpty {
            throw ServiceError.invalid("imageUrls[\(index)] is empty.")
        }
        let photos = try await fetchAll(imageURLs)
        var analyses: [ProductAnalysis] = []
        for (index, photo) in photos.enumerated() {
            do {
                let engine = generations.engine
                analyses.append(try await generations.pool.run { try engine.analyze(source: photo) })
            } catch {
                let failure = GenerationService.serviceError(for: error)
                throw ServiceError(failure.kind, "imageUrls[\(index)]: \(failure.message)")
            }
        }
        let primaryMeasurement = try await generations.renderMeasured { _ in photos[0] }.1
        let (name, nameSource) = ProductNaming.name(requested: productName, embeddedTitles: analyses.map(\.embeddedTitle), urls: imageURLs)

        let id = Identifiers.product()
        var sources: [[String: String]] = []
        do {
            for (index, (photo, analysis)) in zip(photos, analyses).enumerated() {
                let file = try await generations.productFiles.write(photo, product: id, name: "\(index).\(analysis.format.fileExtension)")
                sources.append(["url": imageURLs[index], "file": file])
            }
            let analysis = try Self.analysisObject(analyses, urls: imageURLs, nameSource: nameSource, primary: primaryMeasurement)
            let colors = Self.colorNames(analyses[0])
            let now = clock()
            let record = ProductRecord(
                id: id, accountID: key.accountID, keyID: key.keyID, name: name, nameSource: nameSource,
                analysis: try Self.json(analysis), colors: String(decoding: try JSONEncoder().encode(colors), as: UTF8.self),
                sources: try Self.json(sources), createdAt: now, updatedAt: now)
            try await store.insertProduct(record)
            return try await view(of: record)
        } catch {
            await generations.productFiles.delete(product: id)
            throw error
        }
    }

    private func fetchAll(_ urls: [String]) async throws -> [[UInt8]] {
        try await withThrowingTaskGroup(of: (Int, [UInt8]).self) { group in
            for (index, url) in urls.enumerated() {
                group.addTask {
                    do {
                        return (index, try await generations.fetcher.fetch(url).bytes)
                    } catch {
                        let failure = GenerationService.serviceError(for: error)
                        throw ServiceError(failure.kind, "imageUrls[\(index)]: \(failure.message)")
                    }
                }
            }
            var photos = [[UInt8]](repeating: [], count: urls.count)
            for try await (index, bytes) in group { photos[index] = bytes }
            return photos
        }
    }

    /// Names of the primary photo's dominant colours, largest share first, each once.
    static func colorNames(_ analysis: ProductAnalysis) -> [String] {
        var names: [String] = []
        for color in analysis.dominantColors where !names.contains(color.name) { names.append(color.name) }
        return names
    }

    /// The stored analysis: the primary (first) photo's measurements at the top level, every
    /// photo under `images`, the primary photo judged as a main image on each platform, the
    /// styles that suit it and what to fix.
    static func analysisObject(
        _ analyses: [ProductAnalysis], urls: [String], nameSource: String, primary measurement: OutputMeasurement
    ) throws -> [String: Any] {
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        func object(_ analysis: ProductAnalysis) throws -> [String: Any] {
            (try JSONSerialization.jsonObject(with: encoder.encode(analysis)) as? [String: Any]) ?? [:]
        }
        var top = try object(analyses[0])
        top["images"] = try zip(analyses, urls).map { analysis, url in try object(analysis).merging(["imageUrl": url]) { $1 } }
        top["nameSource"] = nameSource
        var compliance: [String: Any] = [:]
        for platform in PlatformCatalog.all {
            let report = ComplianceReport(
                platform: platform, measurement: measurement, traits: StyleTraits(addsText: false, mainImageEligible: true), watermarked: false)
            compliance[platform.id] = [
                "mainImage": report.mainImage.verdict.rawValue, "failedRules": report.mainImage.failedRules.map(\.rawValue),
            ]
        }
        top["mainImageCompliance"] = compliance
        let (styles, advice) = suitability(analyses[0])
        top["suitableStyles"] = styles
        top["advice"] = advice
        return top
    }

    /// Which styles the photo suits, from how cleanly the product separates, and what a seller
    /// could fix, from the measurements.
    static func suitability(_ analysis: ProductAnalysis) -> (styles: [String], advice: [String]) {
        let packshots = ["white_bg", "transparent", "drop_shadow", "reflection", "gradient", "pastel"]
        let scenes = ["lifestyle", "mockup", "marble", "wooden_table", "podium", "outdoor", "flat_lay", "dark_luxury"]
        let layouts = ["social_square", "social_story", "hero_banner", "sale_badge", "infographic", "dimensions", "comparison"]
        var advice: [String] = []
        let styles: [String]
        switch analysis.cutoutConfidence {
        case 0.6...:
            styles = packshots + scenes + layouts + ["color_variants"]
        case 0.35..<0.6:
            styles = packshots + layouts
            advice.append("The product does not separate cleanly from its background (confidence \(String(format: "%.2f", analysis.cutoutConfidence))); check cutouts before using scene styles, or use a photo on a plain background.")
        default:
            styles = ["comparison", "social_square", "hero_banner"]
            advice.append("No single product could be isolated (confidence \(String(format: "%.2f", analysis.cutoutConfidence))): styles that place a cut-out product would show the whole photo.")
        }
        if analysis.background.kind == .cluttered {
            advice.append("The background is cluttered; a main image needs the product alone.")
        }
        if analysis.sharpness.isBlurry { advice.append("The product is out of focus; marketplaces reject blurry main images.") }
        switch analysis.exposure.verdict {
        case .under: advice.append("The photo is underexposed; details in dark areas are lost.")
        case .over: advice.append("The photo is overexposed; highlights are clipped.")
        case .ok: break
        }
        if max(analysis.width, analysis.height) < 1000 {
            advice.append("The photo is \(analysis.width)x\(analysis.height); most marketplaces want 1000 px or more on the longest side for zoom.")
        }
        return (styles, advice)
    }

    // MARK: Generation

    /// Validates the request, reserves one credit per image and queues every image as one task.
    public func generate(productID: String, _ request: ProductGenerationRequest, by key: AuthenticatedKey) async throws -> ProductTask {
        let product = try await owned(productID, by: key)
        let sources = try Self.sourceFiles(product)
        let sourceSizes = Self.sourceSizes(product)
        guard !request.entries.isEmpty else {
            throw ServiceError.invalid("'imageType' is empty: ask for at least one of main, detail, facebook, e.g. [{\"main\": 3, \"aspectRatio\": \"1:1\"}].")
        }
        let platformID = try Self.platformID(request.platform)
        let region = request.region ?? "global"
        guard Self.regions.contains(region) else {
            throw ServiceError.invalid("Unknown region '\(region)'. Available regions: \(Self.regions.joined(separator: ", ")).")
        }
        let language = request.language ?? "org_text"
        guard language == "org_text" || Self.isLanguageCode(language) else {
            throw ServiceError.invalid("'language' must be \"org_text\" (keep text as given) or a language code such as \"en\" or \"pt-BR\"; got '\(language)'.")
        }
        for (index, entry) in request.entries.enumerated() {
            for colour in entry.colors where RGBColor(nameOrHex: colour) == nil {
                throw ServiceError.invalid("imageType[\(index)]: unknown colour '\(colour)'. Use a hex colour (#1f3a93) or one of: \(RGBColor.colourNames.joined(separator: ", ")).")
            }
            guard (1...Self.maxImagesPerKind).contains(entry.count) else {
                throw ServiceError.invalid("imageType[\(index)]: '\(entry.kind.rawValue)' must be a count from 1 to \(Self.maxImagesPerKind); got \(entry.count).")
            }
            if let ratio = entry.aspectRatio, !Self.aspectRatios.contains(ratio) {
                throw ServiceError.invalid("imageType[\(index)]: unsupported aspectRatio '\(ratio)'. Supported: \(Self.aspectRatios.joined(separator: ", ")).")
            }
        }
        let total = request.entries.reduce(0) { $0 + $1.count }
        guard total <= GenerationService.maxBatchItems else {
            throw ServiceError.invalid("A task makes at most \(GenerationService.maxBatchItems) images; \(total) were asked for.")
        }
        try await generations.checkWebhook(request.webhookURL, field: "webhook.url")
        // Try-on needs a person and a garment: both are checked now, so a problem is a 4xx.
        var tryOnPerson: String?
        var garmentCategory: GarmentCategory?
        if request.entries.contains(where: { $0.kind == .vto }) {
            let tryOn = TryOnService(store: store, generations: generations, clock: clock)
            tryOnPerson = try await tryOn.person(for: request.personImageURL, accountID: key.accountID, storeIn: product.id).file
            let photo = try await generations.productFiles.read(sources[0])
            let engine = generations.engine
            do {
                garmentCategory = try await generations.pool.run { try engine.analyzeGarment(source: photo).category }
            } catch {
                throw TryOnService.photoError(error, field: "product \(product.id)", missing: "its photo shows no garment to try on")
            }
        }

        let now = clock()
        let batch = BatchRecord(
            id: Identifiers.batch(), accountID: key.accountID, keyID: key.keyID, totalItems: total, webhookURL: request.webhookURL,
            createdAt: now, productID: product.id, webhookToken: request.webhookToken, kind: .product)
        var jobs: [QueuedGeneration] = []
        for entry in request.entries {
            if entry.kind == .vto, let person = tryOnPerson, let category = garmentCategory {
                jobs += try tryOnJobs(
                    entry, person: person, garment: sources[0], category: category, product: product, batch: batch.id,
                    offset: jobs.count, key: key, at: now, request: request, region: region)
                continue
            }
            let ratio = entry.aspectRatio ?? "1:1"
            // Social images are judged by the feed's rules; the rest by the task's platform.
            let judgedOn = entry.kind == .facebook ? "facebook" : platformID
            guard let platform = PlatformCatalog.platform(id: judgedOn) else { throw ServiceError.invalid("Unknown platform '\(judgedOn)'.") }
            let platformSide = max(platform.defaultWidth, platform.defaultHeight)
            let format: ImageFormat = platform.acceptedFormats.contains(.jpeg) ? .jpeg : platform.defaultFormat
            for index in 0..<entry.count {
                // A close-up is only as large as the photo's pixels allow: it is never blown up
                // past sharpness to reach the platform's size.
                let longSide = entry.kind == .detail
                    ? min(platformSide, max(Self.minDetailSide, sourceSizes[index % sourceSizes.count].map { $0 * 3 / 4 } ?? platformSide))
                    : platformSide
                let (width, height) = Self.size(ratio: ratio, longSide: longSide)
                let job = ProductImageJob(
                    productID: product.id, sourceFile: sources[index % sources.count], kind: entry.kind, index: index,
                    count: entry.count, aspectRatio: ratio, width: width, height: height, platform: judgedOn, region: region,
                    language: language, removeBrandLogo: request.removeBrandLogo, changePortrait: request.changePortrait, format: format)
                let parameters: [String: Any] = [
                    "platform": request.platform ?? "general", "region": region, "imageType": entry.kind.rawValue,
                    "aspectRatio": ratio, "color": NSNull(), "removeBrandLogo": request.removeBrandLogo,
                    "changePortrait": request.changePortrait, "language": language,
                ]
                let style = entry.kind == .detail ? "detail" : GenerationService.composition(for: job, platform: platform).rawValue
                let record = GenerationRecord(
                    id: Identifiers.generation(), accountID: key.accountID, keyID: key.keyID, mode: key.mode, status: .pending,
                    style: style, platform: judgedOn, format: format.rawValue, width: width, height: height,
                    parameters: try Self.json(parameters), creditsUsed: key.mode == .live ? 1 : 0, createdAt: now,
                    expiresAt: now.addingTimeInterval(generations.outputLifetime), batchID: batch.id, batchIndex: jobs.count,
                    productID: product.id)
                jobs.append(QueuedGeneration(record: record, request: try JSONEncoder().encode(JobPayload.productImage(job))))
            }
        }
        let balance = try await generations.enqueue(jobs, batch: batch)
        return ProductTask(productID: product.id, taskID: batch.id, images: jobs.count, creditsRemaining: balance)
    }

    /// One try-on image per listed colour: the product's garment, recoloured, on the person.
    private func tryOnJobs(
        _ entry: ProductGenerationRequest.Entry, person: String, garment: String, category: GarmentCategory, product: ProductRecord,
        batch: String, offset: Int, key: AuthenticatedKey, at now: Date, request: ProductGenerationRequest, region: String
    ) throws -> [QueuedGeneration] {
        let ratio = entry.aspectRatio ?? "1:1"
        let (width, height) = Self.size(ratio: ratio, longSide: TryOnService.longSide)
        return try entry.colors.enumerated().map { index, colour in
            let hex = RGBColor(nameOrHex: colour)?.hex
            let job = TryOnJob(
                personFile: person, garments: [.init(file: garment, category: category, info: nil, recolor: hex)], aspectRatio: ratio,
                width: width, height: height, watermark: true, personHeight: nil, personWeight: nil)
            let parameters: [String: Any] = [
                "platform": request.platform ?? "general", "region": region, "imageType": "vto", "aspectRatio": ratio, "color": colour,
            ]
            let record = GenerationRecord(
                id: Identifiers.generation(), accountID: key.accountID, keyID: key.keyID, mode: key.mode, status: .pending,
                style: "vto", platform: "generic", format: ImageFormat.jpeg.rawValue, width: width, height: height,
                parameters: try Self.json(parameters), creditsUsed: key.mode == .live ? 1 : 0, createdAt: now,
                expiresAt: now.addingTimeInterval(generations.outputLifetime), batchID: batch, batchIndex: offset + index,
                productID: product.id)
            return QueuedGeneration(record: record, request: try JSONEncoder().encode(JobPayload.tryOn(job)))
        }
    }

    /// The caller's product with its images; anyone else's is a 404.
    public func product(id: String, for key: AuthenticatedKey) async throws -> ProductView {
        try await view(of: try await owned(id, by: key))
    }

    func view(of product: ProductRecord) async throws -> ProductView {
        let now = clock()
        let images = try await store.generations(productID: product.id)
            .filter { $0.status == .completed }
            .map { record in
                let available = record.purgedAt == nil && record.expiresAt > now
                return (record, available ? record.outputFile.map { generations.outputs.url(for: $0, expiresAt: record.expiresAt) } : nil)
            }
        let colors = (try? JSONDecoder().decode([String].self, from: Data(product.colors.utf8))) ?? []
        let sources = (try? JSONSerialization.jsonObject(with: Data(product.sources.utf8)) as? [[String: String]]) ?? []
        return ProductView(
            record: product, analysisJSON: product.analysis, colors: colors,
            sourceURLs: sources.compactMap { $0["url"] }, images: images)
    }

    private func owned(_ id: String, by key: AuthenticatedKey) async throws -> ProductRecord {
        guard let product = try await store.product(id: id), product.accountID == key.accountID else {
            throw ServiceError.notFound("No product with id '\(id)'.")
        }
        return product
    }

    static let minDetailSide = 600

    /// The shorter side of each stored photo, from its analysis (nil when unknown).
    static func sourceSizes(_ product: ProductRecord) -> [Int?] {
        let analysis = (try? JSONSerialization.jsonObject(with: Data(product.analysis.utf8)) as? [String: Any]) ?? [:]
        let images = analysis["images"] as? [[String: Any]] ?? []
        let sizes = images.map { image -> Int? in
            guard let width = image["width"] as? Int, let height = image["height"] as? Int else { return nil }
            return min(width, height)
        }
        return sizes.isEmpty ? [nil] : sizes
    }

    static func sourceFiles(_ product: ProductRecord) throws -> [String] {
        let sources = (try? JSONSerialization.jsonObject(with: Data(product.sources.utf8)) as? [[String: String]]) ?? []
        let files = sources.compactMap { $0["file"] }
        guard !files.isEmpty else { throw ServiceError(.serverError, "Product \(product.id) has no stored photos.") }
        return files
    }

    /// EcomViz's `general` is /v1's `generic`; /v1's platform ids are accepted as they are.
    static func platformID(_ name: String?) throws -> String {
        let name = name ?? "general"
        if name == "general" { return "generic" }
        guard PlatformCatalog.platform(id: name) != nil else {
            let ids = ["general"] + PlatformCatalog.all.map(\.id).filter { $0 != "generic" }
            throw ServiceError.invalid("Unknown platform '\(name)'. Available platforms: \(ids.joined(separator: ", ")).")
        }
        return name
    }

    static func isLanguageCode(_ code: String) -> Bool {
        let parts = code.split(separator: "-", omittingEmptySubsequences: false)
        guard let first = parts.first, (2...3).contains(first.count), first.allSatisfy({ $0.isASCII && $0.isLowercase }) else { return false }
        return parts.count == 1 || (parts.count == 2 && (2...4).contains(parts[1].count) && parts[1].allSatisfy { $0.isASCII && $0.isLetter })
    }

    /// Width and height for an aspect ratio with the given long side.
    static func size(ratio: String, longSide: Int) -> (Int, Int) {
        let parts = ratio.split(separator: ":").compactMap { Double($0) }
        guard parts.count == 2, parts[0] > 0, parts[1] > 0 else { return (longSide, longSide) }
        let short = { (value: Double) in Int(value.rounded()) }
        return parts[0] >= parts[1]
            ? (longSide, short(Double(longSide) * parts[1] / parts[0]))
            : (short(Double(longSide) * parts[0] / parts[1]), longSide)
    }

    /// A generated image as EcomViz lists it, in GET /api/products/:id and in the task's webhook.
    public static func imageObject(_ record: GenerationRecord, url: String?) -> [String: Any] {
        let parameters = (try? JSONSerialization.jsonObject(with: Data(record.parameters.utf8)) as? [String: Any]) ?? [:]
        return [
            "_id": record.id, "filePath": url ?? NSNull(), "generatedAt": record.completedAt.map(wireTimestampMillis) ?? NSNull(),
            "generationParams": parameters, "width": record.width, "height": record.height, "format": record.format,
            "style": record.style,
        ]
    }

    static func json(_ object: Any) throws -> String {
        String(decoding: try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys, .withoutEscapingSlashes]), as: UTF8.self)
    }
}


/// Where a product's name comes from, in order of preference. Names are never made up: without
/// one in the request or the photo's metadata, the URL's file name is made readable.
enum ProductNaming {
    static func name(requested: String?, embeddedTitles: [String?], urls: [String]) -> (name: String, source: String) {
        if let requested = requested?.trimmingCharacters(in: .whitespacesAndNewlines), !requested.isEmpty {
            return (String(requested.prefix(200)), "request")
        }
        if let title = embeddedTitles.lazy.compactMap({ $0 }).first {
            return (String(title.prefix(200)), "metadata")
        }
        let readable = urls.lazy.compactMap(readableName(fromURL:)).first
        return (readable ?? urls.first ?? "", "url")
    }

    /// "https://shop.example/img/blue-duffel_bag%20XL.jpg?w=800" → "Blue Duffel Bag XL".
    static func readableName(fromURL url: String) -> String? {
        guard let components = URLComponents(string: url) else { return nil }
        let last = components.path.split(separator: "/").last.map(String.init) ?? ""
        let decoded = last.removingPercentEncoding ?? last
        let stem = decoded.contains(".") ? String(decoded[..<decoded.lastIndex(of: ".")!]) : decoded
        let words = stem.split { "-_+. ".contains($0) }.map(String.init).filter { !$0.isEmpty }
        guard !words.isEmpty else { return nil }
        return words.map { word in
            // Only lower-case words are capitalised: "XL", "iPhone" and codes like "d80a51d3" stay as written.
            word.allSatisfy { $0.isLetter && $0.isLowercase } ? word.prefix(1).uppercased() + word.dropFirst() : word
        }.joined(separator: " ")
    }
}
