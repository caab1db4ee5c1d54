import Foundation
import HTTPTypes
import Hummingbird
import NIOCore
import ProdVisualDomain

/// The web console at /console: HTML, CSS and JavaScript modules shipped in this target's
/// bundle (no build step), served from the bundle's own path, outside the authenticated group:
/// the page itself is public, and everything it shows comes from the API with the key the
/// person typed in.
struct Console {
    static let basePath = "/console"

    /// The folder in the bundle; nil when the bundle lacks it (then /console is a 404).
    static var folder: String? {
        Bundle.module.url(forResource: "Console", withExtension: nil)?.path
    }

    /// The policy on every console response. Scripts and styles from this origin only, no
    /// inline script, no inline style and no attribute handlers; images from here, data: and
    /// blob: (the photo being uploaded) and the output URLs' origin when that is another;
    /// API calls to this origin only; never framed.
    static func contentSecurityPolicy(outputOrigin: String?) -> String {
        let images = ["'self'", "data:", "blob:"] + (outputOrigin.map { [$0] } ?? [])
        return [
            "default-src 'self'",
            "img-src \(images.joined(separator: " "))",
            "script-src 'self'",
            "style-src 'self'",
            "connect-src 'self'",
            "font-src 'self'",
            "object-src 'none'",
            "base-uri 'none'",
            "form-action 'none'",
            "frame-ancestors 'none'",
        ].joined(separator: "; ")
    }

    /// The scheme, host and port of a URL, as a CSP source.
    static func origin(of url: String) -> String? {
        guard let components = URLComponents(string: url), let scheme = components.scheme, let host = components.host else { return nil }
        let bracketed = host.contains(":") ? "[\(host)]" : host
        return "\(scheme)://\(bracketed)" + (components.port.map { ":\($0)" } ?? "")
    }

    /// Registers the console: headers on everything under /console, the style previews, the
    /// redirect from /console to /console/, the page itself and its files.
    static func register(on router: Router<APIRequestContext>, previews: StylePreviews, publicURL: String) throws {
        router.add(middleware: ConsoleHeadersMiddleware(policy: contentSecurityPolicy(outputOrigin: origin(of: publicURL))))
        let previewController = PreviewController(previews: previews)
        router.get(RouterPath(basePath + "/previews/:file"), use: previewController.preview)
        guard let folder else { return }
        // The page, from memory (with an ETag); the router matches /console and /console/ alike.
        let index = try StaticDocument(
            ByteBuffer(bytes: try Data(contentsOf: URL(fileURLWithPath: folder).appendingPathComponent("index.html"))),
            contentType: "text/html; charset=utf-8")
        router.get(RouterPath(basePath)) { request, _ in
            guard request.uri.path == basePath + "/" else {
                return Response(status: .movedPermanently, headers: [.location: basePath + "/"])
            }
            var response = index.response(to: request)
            response.headers[.cacheControl] = "no-cache"
            return response
        }
        router.add(middleware: FileMiddleware(
            fileProvider: LocalFileSystem(rootFolder: folder, threadPool: .singleton, logger: .init(label: "console")),
            urlBasePath: basePath))
    }
}

/// Security headers on every response under /console, files and errors alike.
struct ConsoleHeadersMiddleware: RouterMiddleware {
    typealias Context = APIRequestContext
    let policy: String

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let path = request.uri.path
        guard path == Console.basePath || path.hasPrefix(Console.basePath + "/") else {
            return try await next(request, context)
        }
        var response: Response
        do {
            response = try await next(request, context)
        } catch {
            // Answered here so that the error, too, carries the headers.
            response = try ErrorEnvelopeMiddleware<Context>.serviceError(for: error, request: request, logger: context.logger)
                .response(from: request, context: context)
        }
        response.headers[.contentSecurityPolicy] = policy
        response.headers[.xContentTypeOptions] = "nosniff"
        response.headers[.referrerPolicy] = "no-referrer"
        response.headers[.xFrameOptions] = "DENY"
        response.headers[.crossOriginOpenerPolicy] = "same-origin"
        if response.headers[.cacheControl] == nil {
            // Revalidated each time (Last-Modified / ETag), so a new server's console is seen at once.
            response.headers[.cacheControl] = "no-cache"
        }
        return response
    }
}

/// `GET /console/previews/{style}.jpg`: each style rendered small from a photo drawn by the
/// server (see `StylePreviews`), once per process.
struct PreviewController {
    let previews: StylePreviews

    func preview(_ request: Request, context: APIRequestContext) async throws -> Response {
        let file = try context.parameters.require("file")
        guard file.hasSuffix(".jpg"), let bytes = try await previews.jpeg(style: String(file.dropLast(4))) else {
            throw ServiceError.notFound("No preview '\(file)': previews are /console/previews/{style}.jpg for the styles of GET /v1/styles.")
        }
        return Response(
            status: .ok,
            headers: [.contentType: "image/jpeg", .cacheControl: "public, max-age=86400"],
            body: .init(byteBuffer: ByteBuffer(bytes: bytes)))
    }
}

extension HTTPField.Name {
    static let referrerPolicy = Self("Referrer-Policy")!
    static let xFrameOptions = Self("X-Frame-Options")!
    static let crossOriginOpenerPolicy = Self("Cross-Origin-Opener-Policy")!
}
