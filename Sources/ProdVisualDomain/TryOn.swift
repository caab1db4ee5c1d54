import Foundation
import ProdVisualEngine
import ProdVisualNet
import ProdVisualStore

/// A virtual try-on request (EcomViz `POST /api/vto/generate-url`).
public struct TryOnRequest: Sendable {
    public struct Clothing: Sendable {
        public var url: String
        public var info: String?
        /// top, bottom, dress or outerwear; classified from the photo when absent.
        public var category: String?

        public init(url: String, info: String? = nil, category: String? = nil) {
            self.url = url
            self.info = info
            self.category = category
        }
    }

    public var personImageURL: String?
    public var clothing: [Clothing]
    public var height: Double?
    public var weight: Double?
    public var aspectRatio: String?
    public var watermark: Bool?
    public var webhookURL: String?
    public var webhookToken: String?

    public init(personImageURL: String?, clothing: [Clothing]) {
        self.personImageURL = personImageURL
        self.clothing = clothing
    }
}

/// A try-on task as EcomViz reports it.
public struct TryOnTaskView: Sendable {
    public let batch: BatchRecord
    public let status: String
    public let personImage: String
    public let clothingImages: [String]
    /// Completed images with fetchable URLs while they last.
    public let images: [(record: GenerationRecord, url: String?)]
    public let failures: [GenerationRecord]
    public var updatedAt: Date { batch.completedAt ?? batch.createdAt }
}

/// One try-on image, as a worker renders it: a person dressed in one outfit.
struct TryOnJob: Codable, Sendable, Equatable {
    struct Garment: Codable, Sendable, Equatable {
        let file: String
        let category: GarmentCategory
        let info: String?
        /// Hex colour the garment is recoloured to, for a product's colour list.
        let recolor: String?
    }

    let personFile: String
    let garments: [Garment]
    let aspectRatio: String
    let width: Int
    let height: Int
    let watermark: Bool
    let personHeight: Double?
    let personWeight: Double?
}

/// Geometric virtual try-on on the queue: photos are fetched and checked when the task is
/// submitted (so a missing person or garment is a 422 at once), each outfit image is a job.
public struct TryOnService: Sendable {
    static let heightRange = 50.0...250.0
    static let weightRange = 10.0...300.0
    static let maxClothing = 5
    static let maxInfoLength = 60
    /// Long side of try-on images.
    static let longSide = 1536

    let store: any Store
    let generations: GenerationService
    let clock: @Sendable () -> Date

    public init(store: any Store, generations: GenerationService, clock: @escaping @Sendable () -> Date = Date.init) {
        self.store = store
        self.generations = generations
        self.clock = clock
    }

    public func submit(_ request: TryOnRequest, by key: AuthenticatedKey) async throws -> TryOnTaskView {
        let options = try Self.validate(request)
        guard let personURL = request.personImageURL, !personURL.isEmpty else {
            throw ServiceError.invalid("Missing required parameter 'personImageUrl'.")
        }
        guard !request.clothing.isEmpty else {
            throw ServiceError.invalid("Missing required parameter 'clothingImageUrls': 1 to \(Self.maxClothing) items such as {\"url\": \"https://…\", \"info\": \"price US9.9\"}.")
        }
        try await generations.checkWebhook(request.webhookURL, field: "webhook.url")
        let person = try await fetch(personURL, field: "personImageUrl")
        var garments: [[UInt8]] = []
        for (index, item) in request.clothing.enumerated() {
            garments.append(try await fetch(item.url, field: "clothingImageUrls[\(index)]"))
        }
        let categories = try await checkPhotos(
            person: person, garments: garments, given: request.clothing.map(\.category), height: options.height, weight: options.weight)

        let taskID = Identifiers.product()
        let files = generations.productFiles
        do {
            let personFile = try await files.write(person, product: taskID, name: "person.\(try Self.fileExtension(person))")
            var items: [TryOnJob.Garment] = []
            for (index, (photo, category)) in zip(garments, categories).enumerated() {
                let file = try await files.write(photo, product: taskID, name: "garment\(index).\(try Self.fileExtension(photo))")
                items.append(.init(file: file, category: category, info: request.clothing[index].info, recolor: nil))
            }
            let groups = ImageEngine.outfitGroups(categories).map { group in group.map { items[$0] } }
            let details = try ProductService.json(["personImage": personURL, "clothingImages": request.clothing.map(\.url)])
            return try await enqueue(
                taskID: taskID, personFile: personFile, outfits: groups, options: options, key: key,
                webhookURL: request.webhookURL, webhookToken: request.webhookToken, details: details, productID: nil)
        } catch {
            await files.delete(product: taskID)
            throw error
        }
    }

    struct Options {
        let aspectRatio: String
        let watermark: Bool
        let height: Double?
        let weight: Double?
    }

    static func validate(_ request: TryOnRequest) throws -> Options {
        if let height = request.height, !heightRange.contains(height) {
            throw ServiceError.invalid("'height' must be between 50 and 250 (cm); got \(height.formatted()).")
        }
        if let weight = request.weight, !weightRange.contains(weight) {
            throw ServiceError.invalid("'weight' must be between 10 and 300 (kg); got \(weight.formatted()).")
        }
        let ratio = request.aspectRatio ?? "2:3"
        do {
            _ = try TryOnAspectRatio(parsing: ratio)
        } catch {
            throw ServiceError.invalid("Unsupported aspectRatio '\(ratio)'. Supported: \(TryOnAspectRatio.documented.map(\.description).joined(separator: ", ")).")
        }
        guard request.clothing.count <= maxClothing else {
            throw ServiceError.invalid("'clothingImageUrls' takes at most \(maxClothing) items; got \(request.clothing.count).")
        }
        for (index, item) in request.clothing.enumerated() {
            if let info = item.info, info.count > maxInfoLength {
                throw ServiceError.invalid("clothingImageUrls[\(index)].info is \(info.count) characters; at most \(maxInfoLength) fit a tag.")
            }
            if let category = item.category, GarmentCategory(rawValue: category) == nil {
                throw ServiceError.invalid("clothingImageUrls[\(index)].category must be one of \(GarmentCategory.allCases.map(\.rawValue).joined(separator: ", ")); got '\(category)'.")
            }
        }
        return Options(aspectRatio: ratio, watermark: request.watermark ?? true, height: request.height, weight: request.weight)
    }

    func fetch(_ url: String, field: String) async throws -> [UInt8] {
        do {
            return try await generations.fetcher.fetch(url).bytes
        } catch {
            let failure = GenerationService.serviceError(for: error)
            throw ServiceError(failure.kind, "\(field): \(failure.message)")
        }
    }

    /// Finds the person and each garment (422 naming the photo when one is missing) and returns
    /// the garments' categories, given or classified.
    func checkPhotos(person: [UInt8], garments: [[UInt8]], given: [String?], height: Double?, weight: Double?) async throws -> [GarmentCategory] {
        let engine = generations.engine
        do {
            _ = try await generations.pool.run { try engine.analyzePerson(source: person, height: height, weight: weight) }
        } catch {
            throw Self.photoError(error, field: "personImageUrl", missing: "no person could be found in it")
        }
        var categories: [GarmentCategory] = []
        for (index, photo) in garments.enumerated() {
            let category = given[index].flatMap(GarmentCategory.init(rawValue:))
            do {
                categories.append(try await generations.pool.run { try engine.analyzeGarment(source: photo, category: category).category })
            } catch {
                throw Self.photoError(error, field: "clothingImageUrls[\(index)]", missing: "no garment could be found in it")
            }
        }
        return categories
    }

    static func photoError(_ error: any Error, field: String, missing: String) -> ServiceError {
        let failure = GenerationService.serviceError(for: error)
        switch failure.kind {
        case .invalidImage, .fileTooLarge:
            return ServiceError(failure.kind, "\(field): \(failure.message)")
        default:
            // The photo decoded but the analysis found nothing to dress or to wear.
            return ServiceError(.invalidImage, "\(field): \(missing) (\(failure.message)).")
        }
    }

    static func fileExtension(_ bytes: [UInt8]) throws -> String {
        guard let format = FormatSniffer.sniff(bytes) else {
            throw ServiceError(.invalidImage, "The image is not a JPEG, PNG or WebP file (detected from its bytes).")
        }
        return format.fileExtension
    }

    /// Queues one job per outfit, reserving one credit each.
    func enqueue(
        taskID: String, personFile: String, outfits: [[TryOnJob.Garment]], options: Options, key: AuthenticatedKey,
        webhookURL: String?, webhookToken: String?, details: String?, productID: String?, colors: [String?]? = nil
    ) async throws -> TryOnTaskView {
        let now = clock()
        let (width, height) = ProductService.size(ratio: options.aspectRatio, longSide: Self.longSide)
        let batch = BatchRecord(
            id: taskID, accountID: key.accountID, keyID: key.keyID, totalItems: outfits.count, webhookURL: webhookURL,
            createdAt: now, productID: productID, webhookToken: webhookToken, kind: productID == nil ? .vto : .product, details: details)
        var jobs: [QueuedGeneration] = []
        for (index, outfit) in outfits.enumerated() {
            let job = TryOnJob(
                personFile: personFile, garments: outfit, aspectRatio: options.aspectRatio, width: width, height: height,
                watermark: options.watermark, personHeight: options.height, personWeight: options.weight)
            let parameters: [String: Any] = [
                "imageType": "vto", "aspectRatio": options.aspectRatio, "watermark": options.watermark,
                "categories": outfit.map(\.category.rawValue), "color": colors?[index] ?? NSNull(),
                "platform": "general", "region": "global",
            ]
            let record = GenerationRecord(
                id: Identifiers.generation(), accountID: key.accountID, keyID: key.keyID, mode: key.mode, status: .pending,
                style: "vto", platform: "generic", format: ImageFormat.jpeg.rawValue, width: width, height: height,
                parameters: try ProductService.json(parameters), creditsUsed: key.mode == .live ? 1 : 0, createdAt: now,
                expiresAt: now.addingTimeInterval(generations.outputLifetime), batchID: taskID, batchIndex: index, productID: productID)
            jobs.append(QueuedGeneration(record: record, request: try JSONEncoder().encode(JobPayload.tryOn(job))))
        }
        _ = try await generations.enqueue(jobs, batch: batch)
        return try await task(id: taskID, accountID: key.accountID)
    }

    /// The caller's try-on task; anyone else's is a 404.
    public func task(id: String, for key: AuthenticatedKey) async throws -> TryOnTaskView {
        try await task(id: id, accountID: key.accountID)
    }

    func task(id: String, accountID: String) async throws -> TryOnTaskView {
        guard let batch = try await store.batch(id: id), batch.accountID == accountID, batch.kind == .vto else {
            throw ServiceError.notFound("No try-on task with id '\(id)'.")
        }
        let items = try await store.generations(batchID: id)
        let now = clock()
        let images = items.filter { $0.status == .completed }.map { record in
            (record, record.purgedAt == nil && record.expiresAt > now
                ? record.outputFile.map { generations.outputs.url(for: $0, expiresAt: record.expiresAt) } : nil)
        }
        let details = (try? JSONSerialization.jsonObject(with: Data((batch.details ?? "{}").utf8)) as? [String: Any]) ?? [:]
        let status = batch.status != .processing ? batch.status.rawValue
            : items.allSatisfy({ $0.status == .pending }) ? "pending" : "processing"
        return TryOnTaskView(
            batch: batch, status: status, personImage: details["personImage"] as? String ?? "",
            clothingImages: details["clothingImages"] as? [String] ?? [], images: images,
            failures: items.filter { $0.status == .failed })
    }

    /// Sets the account's default model photo for products' `vto` images: fetched and checked now.
    public func setDefaultPerson(url: String, by key: AuthenticatedKey) async throws -> String {
        let person = try await fetch(url, field: "personImageUrl")
        let engine = generations.engine
        do {
            _ = try await generations.pool.run { try engine.analyzePerson(source: person) }
        } catch {
            throw Self.photoError(error, field: "personImageUrl", missing: "no person could be found in it")
        }
        let file = try await generations.productFiles.write(person, product: "person_\(key.accountID)", name: "default.\(try Self.fileExtension(person))")
        try await store.setDefaultPerson(accountID: key.accountID, person: try ProductService.json(["url": url, "file": file]), at: clock())
        return url
    }

    /// The person a product's `vto` images dress: the request's photo, else the account's default.
    func person(for url: String?, accountID: String, storeIn folder: String) async throws -> (file: String, url: String) {
        if let url {
            let person = try await fetch(url, field: "personImageUrl")
            let engine = generations.engine
            do {
                _ = try await generations.pool.run { try engine.analyzePerson(source: person) }
            } catch {
                throw Self.photoError(error, field: "personImageUrl", missing: "no person could be found in it")
            }
            return (try await generations.productFiles.write(person, product: folder, name: "person-\(Identifiers.randomBase62(6)).\(try Self.fileExtension(person))"), url)
        }
        guard let stored = try await store.defaultPerson(accountID: accountID),
              let object = try? JSONSerialization.jsonObject(with: Data(stored.utf8)) as? [String: String],
              let file = object["file"], let url = object["url"]
        else {
            throw ServiceError.invalid("'vto' images need a person: send 'personImageUrl', or set the account's default model photo with PUT /api/vto/default-person.")
        }
        return (file, url)
    }
}

extension GenerationService {
    /// Renders one try-on image: the person dressed in one outfit.
    func renderTryOn(_ job: TryOnJob, mode: KeyMode) async throws -> (bytes: [UInt8], compliance: ComplianceReport) {
        let person = try await productFiles.read(job.personFile)
        var loaded: [TryOnGarment] = []
        for garment in job.garments {
            loaded.append(TryOnGarment(
                bytes: try await productFiles.read(garment.file), category: garment.category, info: garment.info,
                recolor: garment.recolor.flatMap(RGBColor.init(hex:))))
        }
        let garments = loaded
        let sides = job.aspectRatio.split(separator: ":").compactMap { Int($0) }
        guard sides.count == 2 else { throw ServiceError.invalid("Unsupported aspectRatio '\(job.aspectRatio)'.") }
        let options = TryOnOptions(
            aspectRatio: TryOnAspectRatio(width: sides[0], height: sides[1]), size: .exact(width: job.width, height: job.height),
            // Sandbox images always carry the preview mark.
            watermark: job.watermark || mode == .test, height: job.personHeight, weight: job.personWeight, format: .jpeg, quality: 90)
        let (bytes, measurement) = try await renderMeasured { engine in
            let images = try engine.tryOn(person: person, garments: garments, options: options)
            guard let first = images.first else { throw ImagingError.processingFailed("the try-on produced no image") }
            return first.bytes
        }
        guard let platform = PlatformCatalog.platform(id: "generic") else { throw ServiceError(.serverError, "No generic platform.") }
        let traits = StyleTraits(addsText: job.watermark || job.garments.contains { $0.info != nil }, mainImageEligible: false)
        return (bytes, ComplianceReport(platform: platform, measurement: measurement, traits: traits, watermarked: job.watermark))
    }
}
