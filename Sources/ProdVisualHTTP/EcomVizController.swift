import Foundation
import Hummingbird
import ProdVisualDomain

/// The EcomViz-compatible surface under /api: products made from photo URLs, their analysis,
/// and per-type image generation. Answers `{"success": true, ...}`; errors use the EcomViz
/// envelope with /v1's statuses and codes.
struct EcomVizController {
    let products: ProductService
    let tryOn: TryOnService

    func generateTryOn(_ request: Request, context: APIRequestContext) async throws -> Response {
        let body = try await Self.jsonObject(request, context: context)
        var tryOnRequest = TryOnRequest(personImageURL: try Self.string(body, "personImageUrl"), clothing: try Self.clothing(body))
        tryOnRequest.height = try Self.number(body, "height")
        tryOnRequest.weight = try Self.number(body, "weight")
        tryOnRequest.aspectRatio = try Self.string(body, "aspectRatio")
        if body["watermark"] != nil { tryOnRequest.watermark = try Self.flag(body, "watermark") }
        (tryOnRequest.webhookURL, tryOnRequest.webhookToken) = try Self.webhook(body)
        let task = try await tryOn.submit(tryOnRequest, by: context.requireKey())
        return try Self.success([
            "message": "VTO try-on image generation task has been submitted", "vtoId": task.batch.id,
            "personImage": task.personImage, "clothingImages": task.clothingImages, "images": task.batch.totalItems,
        ])
    }

    func tryOnTask(_ request: Request, context: APIRequestContext) async throws -> Response {
        let task = try await tryOn.task(id: try context.parameters.require("vtoId"), for: context.requireKey())
        return try Self.success(["data": [
            "_id": task.batch.id, "status": task.status, "personImage": ["filePath": task.personImage],
            "clothingImages": task.clothingImages.map { ["filePath": $0] },
            "generatedImages": task.images.map { ["filePath": $0.url ?? NSNull(), "_id": $0.record.id] as [String: Any] },
            "failedImages": task.failures.map { ["_id": $0.id, "error": ["code": $0.errorCode ?? "server_error", "message": $0.errorMessage ?? ""]] as [String: Any] },
            "createdAt": wireTimestampMillis(task.batch.createdAt), "updatedAt": wireTimestampMillis(task.updatedAt),
        ] as [String: Any]])
    }

    func setDefaultPerson(_ request: Request, context: APIRequestContext) async throws -> Response {
        let body = try await Self.jsonObject(request, context: context)
        guard let url = try Self.string(body, "personImageUrl") else {
            throw ServiceError.invalid("Missing required parameter 'personImageUrl'.")
        }
        let stored = try await tryOn.setDefaultPerson(url: url, by: context.requireKey())
        return try Self.success(["message": "Default person image set", "personImage": stored])
    }

    /// `clothingImageUrls`: objects `{url, info?, category?}`, or plain URL strings.
    static func clothing(_ body: [String: Any]) throws -> [TryOnRequest.Clothing] {
        guard let raw = body["clothingImageUrls"], !(raw is NSNull) else { return [] }
        guard let list = raw as? [Any] else { throw ServiceError.invalid("Parameter 'clothingImageUrls' must be an array.") }
        return try list.enumerated().map { index, item in
            if let url = item as? String { return TryOnRequest.Clothing(url: url) }
            guard let object = item as? [String: Any], let url = object["url"] as? String else {
                throw ServiceError.invalid("clothingImageUrls[\(index)] must be an object with a 'url' (and optional 'info').")
            }
            return TryOnRequest.Clothing(url: url, info: try string(object, "info"), category: try string(object, "category"))
        }
    }

    static func number(_ body: [String: Any], _ key: String) throws -> Double? {
        guard let value = body[key], !(value is NSNull) else { return nil }
        guard let number = value as? NSNumber, !isBoolean(number) else { throw ServiceError.invalid("Parameter '\(key)' must be a number.") }
        return number.doubleValue
    }

    static func webhook(_ body: [String: Any]) throws -> (url: String?, token: String?) {
        guard let webhook = body["webhook"], !(webhook is NSNull) else { return (nil, nil) }
        guard let object = webhook as? [String: Any], let url = object["url"] as? String else {
            throw ServiceError.invalid("Parameter 'webhook' must be an object with a 'url' (and an optional 'token').")
        }
        return (url, try string(object, "token"))
    }

    func createProduct(_ request: Request, context: APIRequestContext) async throws -> Response {
        let body = try await Self.jsonObject(request, context: context)
        guard let urls = body["imageUrls"] else {
            throw ServiceError.invalid("Missing required parameter 'imageUrls': an array of image URLs.")
        }
        guard let list = urls as? [Any], list.allSatisfy({ $0 is String }) else {
            throw ServiceError.invalid("Parameter 'imageUrls' must be an array of strings.")
        }
        let name = try Self.string(body, "productName")
        let view = try await products.create(imageURLs: list.compactMap { $0 as? String }, productName: name, by: context.requireKey())
        return try Self.success(["data": Self.product(view, withImages: false)])
    }

    func product(_ request: Request, context: APIRequestContext) async throws -> Response {
        let id = try context.parameters.require("productId")
        let view = try await products.product(id: id, for: context.requireKey())
        return try Self.success(["data": Self.product(view, withImages: true)])
    }

    func generate(_ request: Request, context: APIRequestContext) async throws -> Response {
        let id = try context.parameters.require("productId")
        let body = try await Self.jsonObject(request, context: context)
        let task = try await products.generate(productID: id, try Self.generationRequest(body), by: context.requireKey())
        return try Self.success([
            "message": "Image generation task started", "productId": task.productID, "taskId": task.taskID,
            "images": task.images, "creditsRemaining": task.creditsRemaining,
        ])
    }

    // MARK: Reading

    static func jsonObject(_ request: Request, context: APIRequestContext) async throws -> [String: Any] {
        let buffer = try await request.body.collect(upTo: 1024 * 1024)
        try JSONBody.check(buffer, contentType: request.headers[.contentType]?.lowercased() ?? "", expecting: "a JSON object")
        guard let object = try? JSONSerialization.jsonObject(with: Data(buffer.readableBytesView)) as? [String: Any] else {
            throw ServiceError.invalid("The request body is not a valid JSON object.")
        }
        return object
    }

    static func string(_ body: [String: Any], _ key: String) throws -> String? {
        guard let value = body[key], !(value is NSNull) else { return nil }
        guard let text = value as? String else { throw ServiceError.invalid("Parameter '\(key)' must be a string.") }
        return text
    }

    /// `imageType` entries are objects with one type key (main, detail, facebook, vto) and an
    /// optional `aspectRatio`, e.g. `{"main": 3, "aspectRatio": "1:1"}` or `{"vto": ["red"]}`.
    static func generationRequest(_ body: [String: Any]) throws -> ProductGenerationRequest {
        guard let raw = body["imageType"] else {
            throw ServiceError.invalid("Missing required parameter 'imageType', e.g. [{\"main\": 3, \"aspectRatio\": \"1:1\"}].")
        }
        guard let list = raw as? [Any] else { throw ServiceError.invalid("Parameter 'imageType' must be an array of objects.") }
        var entries: [ProductGenerationRequest.Entry] = []
        for (index, item) in list.enumerated() {
            guard let object = item as? [String: Any] else {
                throw ServiceError.invalid("imageType[\(index)] must be an object such as {\"main\": 3, \"aspectRatio\": \"1:1\"}.")
            }
            let kinds = object.keys.filter { $0 != "aspectRatio" }
            let names = ProductImageKind.allCases.map(\.rawValue).joined(separator: ", ")
            guard kinds.count == 1, let key = kinds.first else {
                throw ServiceError.invalid("imageType[\(index)] must name exactly one image type (\(names)); got \(kinds.sorted()).")
            }
            guard let kind = ProductImageKind(rawValue: key) else {
                throw ServiceError.invalid("imageType[\(index)]: unknown image type '\(key)'. Image types: \(names).")
            }
            var entry = ProductGenerationRequest.Entry(kind: kind, count: 0)
            if kind == .vto {
                guard let colors = object[key] as? [String], !colors.isEmpty else {
                    throw ServiceError.invalid("imageType[\(index)]: 'vto' takes a non-empty array of colours, e.g. {\"vto\": [\"red\", \"blue\"]}.")
                }
                entry.colors = colors
                entry.count = colors.count
            } else {
                guard let number = object[key] as? NSNumber, !isBoolean(number), let count = Int(exactly: number.doubleValue)
                else {
                    throw ServiceError.invalid("imageType[\(index)]: '\(key)' must be a whole number of images.")
                }
                entry.count = count
            }
            if let ratio = object["aspectRatio"] {
                guard let text = ratio as? String else { throw ServiceError.invalid("imageType[\(index)]: 'aspectRatio' must be a string such as \"4:3\".") }
                entry.aspectRatio = text
            }
            entries.append(entry)
        }
        var request = ProductGenerationRequest(entries: entries)
        request.region = try string(body, "region")
        request.platform = try string(body, "platform")
        request.language = try string(body, "language")
        request.removeBrandLogo = try flag(body, "removeBrandLogo")
        request.changePortrait = try flag(body, "changePortrait")
        request.personImageURL = try string(body, "personImageUrl")
        (request.webhookURL, request.webhookToken) = try webhook(body)
        return request
    }

    static func flag(_ body: [String: Any], _ key: String) throws -> Bool {
        guard let value = body[key], !(value is NSNull) else { return false }
        guard let number = value as? NSNumber, isBoolean(number) else {
            throw ServiceError.invalid("Parameter '\(key)' must be true or false.")
        }
        return number.boolValue
    }

    /// JSON true/false, as opposed to the numbers 1 and 0 (both arrive as NSNumber).
    static func isBoolean(_ number: NSNumber) -> Bool {
        type(of: number) == type(of: NSNumber(value: true))
    }

    // MARK: Writing

    static func product(_ view: ProductView, withImages: Bool) -> [String: Any] {
        var object: [String: Any] = [
            "_id": view.record.id, "productName": view.record.name,
            "aiAnalysis": (try? JSONSerialization.jsonObject(with: Data(view.analysisJSON.utf8))) ?? [:],
            "colors": view.colors, "imageUrls": view.sourceURLs,
            "createdAt": wireTimestampMillis(view.record.createdAt), "updatedAt": wireTimestampMillis(view.record.updatedAt),
        ]
        if withImages {
            object["generatedImages"] = view.images.map { ProductService.imageObject($0.record, url: $0.url) }
        }
        return object
    }

    static func success(_ fields: [String: Any]) throws -> Response {
        let body = ["success": true].merging(fields) { $1 }
        let data = try JSONSerialization.data(withJSONObject: body, options: [.sortedKeys, .withoutEscapingSlashes])
        return Response(
            status: .ok, headers: [.contentType: "application/json; charset=utf-8"], body: .init(byteBuffer: ByteBuffer(bytes: data)))
    }
}

