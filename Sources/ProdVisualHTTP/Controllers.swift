import Foundation
import Hummingbird
import ProdVisualDomain

/// Public catalogue: styles and platform presets. No authentication. Both are fixed for the
/// process's life, so they are encoded once.
struct CatalogController {
    let styles: StaticDocument
    let platforms: StaticDocument

    init() throws {
        let styleItems = StyleCatalog.all.map {
            StylesResponse.Item(
                id: $0.id, name: $0.name, description: $0.description, parameters: $0.parameters,
                requires: $0.requires, scenes: $0.scenes.isEmpty ? nil : $0.scenes)
        }
        styles = try StaticDocument(StylesResponse(styles: styleItems, total: styleItems.count).encoded())
        let platformItems = PlatformCatalog.all.map {
            PlatformsResponse.Item(
                id: $0.id, name: $0.name, default_dimensions: "\($0.defaultWidth)x\($0.defaultHeight)",
                product_fill: $0.productFill, background: $0.backgroundRule.rawValue,
                default_format: $0.defaultFormat.rawValue, formats: $0.acceptedFormats.map(\.rawValue),
                max_file_size: $0.maxFileBytes, min_longest_side: $0.minLongestSide)
        }
        platforms = try StaticDocument(PlatformsResponse(platforms: platformItems, total: platformItems.count).encoded())
    }

    func styles(_ request: Request, context: APIRequestContext) -> Response { styles.response(to: request) }
    func platforms(_ request: Request, context: APIRequestContext) -> Response { platforms.response(to: request) }
}

struct AccountController {
    let accounts: AccountService

    func credits(_ request: Request, context: APIRequestContext) async throws -> CreditsResponse {
        CreditsResponse(summary: try await accounts.credits(accountID: context.requireKey().accountID))
    }
}

struct GenerationController {
    let generations: GenerationService
    let idempotency: IdempotencyService
    /// Base of `results_url`.
    let publicURL: String

    func generate(_ request: Request, context: APIRequestContext) async throws -> Response {
        let body = try await request.body.collect(upTo: context.maxUploadSize)
        return try await idempotent(request, body: body, context: context) {
            let generationRequest = try GenerateRequestReader.read(body, contentType: Self.contentType(request))
            let view = try await generations.generate(generationRequest, by: context.requireKey())
            // Queued work is accepted, not done: 202, and the webhook reports the result.
            return (view.record.status == .pending ? .accepted : .ok, GenerationResponse(view: view))
        }
    }

    func generateBatch(_ request: Request, context: APIRequestContext) async throws -> Response {
        let body = try await request.body.collect(upTo: context.maxUploadSize)
        return try await idempotent(request, body: body, context: context) {
            let batch = try GenerateRequestReader.readBatch(body, contentType: Self.contentType(request))
            let view = try await generations.submitBatch(batch.items, webhookURL: batch.webhookURL, by: context.requireKey())
            return (.accepted, BatchResponse(view: view, publicURL: publicURL))
        }
    }

    /// A generation, or a batch when the id is a batch's.
    func show(_ request: Request, context: APIRequestContext) async throws -> Response {
        let id = try context.parameters.require("id")
        if id.hasPrefix("batch_") {
            return try BatchResponse(view: try await generations.batch(id: id, for: context.requireKey()), publicURL: publicURL)
                .response(status: .ok)
        }
        return try GenerationResponse(view: try await generations.generation(id: id, for: context.requireKey())).response(status: .ok)
    }

    /// As sent: the readers lower the media type's case themselves, not a multipart boundary's.
    private static func contentType(_ request: Request) -> String {
        request.headers[.contentType] ?? ""
    }

    /// Runs `produce` once per `Idempotency-Key` (when the request has one) and gives repeats the
    /// first response, byte for byte, marked `Idempotent-Replayed: true`.
    private func idempotent(
        _ request: Request, body: ByteBuffer, context: APIRequestContext,
        produce: () async throws -> (HTTPResponse.Status, any WireResponse)
    ) async throws -> Response {
        guard let key = request.headers[.idempotencyKey] else {
            let (status, response) = try await produce()
            return try response.response(status: status)
        }
        let accountID = try context.requireKey().accountID
        let fingerprint = Array("\(request.method) \(request.uri.path)\n".utf8) + Array(body.readableBytesView)
        switch try await idempotency.begin(accountID: accountID, key: key, fingerprint: fingerprint) {
        case .replay(let statusCode, let stored):
            return Response(
                status: .init(code: statusCode),
                headers: [.contentType: "application/json; charset=utf-8", .idempotentReplayed: "true"],
                body: .init(byteBuffer: ByteBuffer(string: stored)))
        case .proceed:
            let response: Response
            let recorded: (Int, String)
            do {
                let (status, wire) = try await produce()
                let bytes = try wire.encoded()
                response = wire.response(status: status, body: bytes)
                recorded = (status.code, String(buffer: bytes))
            } catch {
                let failure = (error as? ServiceError) ?? GenerationService.serviceError(for: error)
                try? await idempotency.finish(
                    accountID: accountID, key: key, statusCode: failure.statusCode, body: String(decoding: try ErrorEnvelope(failure).encoded(), as: UTF8.self))
                throw failure
            }
            try await idempotency.finish(accountID: accountID, key: key, statusCode: recorded.0, body: recorded.1)
            return response
        }
    }
}

/// Serves rendered files at their signed URLs. Anything else — a bad signature, an expired
/// link, a purged file — is the same 404, so a URL's validity cannot be probed.
struct OutputController {
    let outputs: OutputStorage
    let clock: @Sendable () -> Date

    func file(_ request: Request, context: APIRequestContext) async throws -> Response {
        let name = try context.parameters.require("file")
        guard let bytes = try await outputs.read(
            fileName: name, expires: request.uri.queryParameters["expires"].map(String.init),
            signature: request.uri.queryParameters["signature"].map(String.init), now: clock())
        else {
            throw ServiceError.notFound("This output does not exist or its link has expired.")
        }
        return Response(
            status: .ok,
            headers: [.contentType: OutputStorage.contentType(of: name), .cacheControl: "private, max-age=3600"],
            body: .init(byteBuffer: ByteBuffer(bytes: bytes)))
    }
}

/// The OpenAPI 3.1 description of the whole API, shipped with the server.
struct OpenAPIController {
    let document: StaticDocument

    init() throws {
        guard let url = Bundle.module.url(forResource: "openapi", withExtension: "json") else {
            throw ServiceError(.serverError, "openapi.json is missing from the bundle.")
        }
        document = try StaticDocument(ByteBuffer(bytes: try Data(contentsOf: url)))
    }

    func document(_ request: Request, context: APIRequestContext) -> Response { document.response(to: request) }
}
