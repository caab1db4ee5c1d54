import Foundation
import Hummingbird
import ProdVisualDomain

/// Public catalogue: styles and platform presets. No authentication.
struct CatalogController {
    func styles(_ request: Request, context: APIRequestContext) -> StylesResponse {
        let items = StyleCatalog.all.map {
            StylesResponse.Item(
                id: $0.id, name: $0.name, description: $0.description, parameters: $0.parameters,
                requires: $0.requires, scenes: $0.scenes.isEmpty ? nil : $0.scenes)
        }
        return StylesResponse(styles: items, total: items.count)
    }

    func platforms(_ request: Request, context: APIRequestContext) -> PlatformsResponse {
        let items = PlatformCatalog.all.map {
            PlatformsResponse.Item(
                id: $0.id, name: $0.name, default_dimensions: "\($0.defaultWidth)x\($0.defaultHeight)",
                product_fill: $0.productFill, background: $0.backgroundRule.rawValue,
                default_format: $0.defaultFormat.rawValue, formats: $0.acceptedFormats.map(\.rawValue),
                max_file_size: $0.maxFileBytes, min_longest_side: $0.minLongestSide)
        }
        return PlatformsResponse(platforms: items, total: items.count)
    }
}

struct AccountController {
    let accounts: AccountService

    func credits(_ request: Request, context: APIRequestContext) async throws -> CreditsResponse {
        CreditsResponse(summary: try await accounts.credits(accountID: context.requireKey().accountID))
    }
}

struct GenerationController {
    let generations: GenerationService

    func generate(_ request: Request, context: APIRequestContext) async throws -> GenerationResponse {
        let generationRequest = try await GenerateRequestReader.read(request, context: context)
        return GenerationResponse(view: try await generations.generate(generationRequest, by: context.requireKey()))
    }

    func show(_ request: Request, context: APIRequestContext) async throws -> GenerationResponse {
        let id = try context.parameters.require("id")
        return GenerationResponse(view: try await generations.generation(id: id, for: context.requireKey()))
    }
}

/// Serves rendered files at their signed URLs. Anything else — a bad signature, an expired
/// link, a purged file — is the same 404, so a URL's validity cannot be probed.
struct OutputController {
    let outputs: OutputStorage
    let clock: @Sendable () -> Date

    func file(_ request: Request, context: APIRequestContext) async throws -> Response {
        let name = try context.parameters.require("file")
        guard let url = outputs.resolve(
            fileName: name, expires: request.uri.queryParameters["expires"].map(String.init),
            signature: request.uri.queryParameters["signature"].map(String.init), now: clock())
        else {
            throw ServiceError.notFound("This output does not exist or its link has expired.")
        }
        let data = try Data(contentsOf: url)
        let mime = MediaType.getMediaType(forExtension: url.pathExtension)?.description ?? "application/octet-stream"
        return Response(
            status: .ok,
            headers: [.contentType: mime, .cacheControl: "private, max-age=3600"],
            body: .init(byteBuffer: ByteBuffer(bytes: data)))
    }
}

/// The OpenAPI 3.1 description of the whole API, shipped with the server.
struct OpenAPIController {
    let document: ByteBuffer

    init() throws {
        guard let url = Bundle.module.url(forResource: "openapi", withExtension: "json") else {
            throw ServiceError(.serverError, "openapi.json is missing from the bundle.")
        }
        document = ByteBuffer(bytes: try Data(contentsOf: url))
    }

    func document(_ request: Request, context: APIRequestContext) -> Response {
        Response(status: .ok, headers: [.contentType: "application/json; charset=utf-8"], body: .init(byteBuffer: document))
    }
}
