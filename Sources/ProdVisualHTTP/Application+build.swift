import AsyncHTTPClient
import Foundation
import Hummingbird
import Logging
import NIOCore
import ProdVisualDomain
import ProdVisualEngine
import ProdVisualNet
import ProdVisualStore
import ServiceLifecycle

/// The domain services one server process runs with.
public struct AppServices: Sendable {
    public let accounts: AccountService
    public let generations: GenerationService
    public let outputs: OutputStorage
    public let rateLimiter: RateLimiter
    let pool: WorkPool
    let httpClient: HTTPClient

    /// Opens the store in the data directory and assembles the services over it.
    public static func open(_ configuration: ServerConfiguration, logger: Logger, clock: @escaping @Sendable () -> Date = Date.init) throws -> AppServices {
        try FileManager.default.createDirectory(at: configuration.dataDirectory, withIntermediateDirectories: true)
        let store = try SQLiteStore(path: configuration.databasePath)
        let outputs = try OutputStorage(
            directory: configuration.outputDirectory, publicURL: configuration.resolvedPublicURL,
            secret: ServerSecret.loadOrCreate(in: configuration.dataDirectory))
        let pool = WorkPool(threads: configuration.workers)
        let policy = FetchPolicy(allowPrivateAddresses: configuration.allowPrivateSources, maxBytes: configuration.maxSourceBytes)
        // The client must not follow redirects itself: SafeFetcher re-checks every hop.
        let httpClient = SafeFetcher.makeHTTPClient(policy: policy)
        let fetcher = SafeFetcher(httpClient: httpClient, policy: policy)
        let generations = GenerationService(
            store: store,
            engine: try ImageEngine(
                limits: DecodeLimits(maxPixels: configuration.maxSourcePixels), segmentationModel: configuration.segmentationModel),
            pool: pool, fetcher: fetcher, outputs: outputs, outputLifetime: configuration.outputLifetime,
            maxSourceBytes: configuration.maxSourceBytes, clock: clock, logger: logger)
        return AppServices(
            accounts: AccountService(store: store, clock: clock), generations: generations, outputs: outputs,
            rateLimiter: RateLimiter(limits: configuration.rateLimits), pool: pool, httpClient: httpClient)
    }

    public func shutdown() async throws {
        try await httpClient.shutdown()
        try await pool.shutdown()
    }
}

/// Every route, registered once: the OpenAPI test compares this list with the document.
struct RouteTable {
    private(set) var entries: [(method: HTTPRequest.Method, path: String)] = []

    mutating func add<Router: RouterMethods, Output: ResponseGenerator>(
        _ method: HTTPRequest.Method, _ path: String, on router: Router,
        use handler: @escaping @Sendable (Request, Router.Context) async throws -> Output
    ) {
        router.on(RouterPath(path), method: method, use: handler)
        entries.append((method, path))
    }
}

/// Builds the router with every API route. `clock` is injectable so tests can move time.
func buildRouter(services: AppServices, logger: Logger, clock: @escaping @Sendable () -> Date = Date.init) throws
    -> (router: Router<APIRequestContext>, routes: RouteTable)
{
    let router = Router(context: APIRequestContext.self)
    router.add(middleware: ErrorEnvelopeMiddleware(logger: logger))
    var routes = RouteTable()

    let catalog = CatalogController()
    let openAPI = try OpenAPIController()
    let outputs = OutputController(outputs: services.outputs, clock: clock)
    routes.add(.get, "/health", on: router) { _, _ in HealthResponse(status: "ok") }
    routes.add(.get, "/v1/openapi.json", on: router, use: openAPI.document)
    routes.add(.get, "/v1/styles", on: router, use: catalog.styles)
    routes.add(.get, "/v1/platforms", on: router, use: catalog.platforms)
    routes.add(.get, "/output/:file", on: router, use: outputs.file)

    let authenticated = router.group()
        .add(middleware: AuthMiddleware(accounts: services.accounts, rateLimiter: services.rateLimiter, clock: clock, logger: logger))
    let account = AccountController(accounts: services.accounts)
    let generations = GenerationController(generations: services.generations)
    routes.add(.get, "/v1/account/credits", on: authenticated, use: account.credits)
    routes.add(.post, "/v1/generate", on: authenticated, use: generations.generate)
    routes.add(.get, "/v1/generations/:id", on: authenticated, use: generations.show)
    return (router, routes)
}

/// Deletes expired outputs on a timer, beside the HTTP server.
struct OutputSweeper: Service {
    let generations: GenerationService
    let interval: Duration
    let logger: Logger

    func run() async throws {
        while !Task.isCancelled && !Task.isShuttingDownGracefully {
            do {
                let removed = try await generations.sweepExpiredOutputs()
                if removed > 0 { logger.info("deleted \(removed) expired outputs") }
            } catch {
                logger.error("output sweep failed: \(error)")
            }
            try await cancelWhenGracefulShutdown { try await Task.sleep(for: interval) }
        }
    }
}

/// The whole server: HTTP plus the sweeper, on the given services.
public func buildApplication(
    configuration: ServerConfiguration, services: AppServices, logger: Logger,
    onServerRunning: @escaping @Sendable (any Channel) async -> Void = { _ in }
) throws -> some ApplicationProtocol {
    let (router, _) = try buildRouter(services: services, logger: logger)
    var app = Application(
        router: router,
        configuration: .init(address: .hostname(configuration.host, port: configuration.port), serverName: "ProdVisual"),
        onServerRunning: onServerRunning,
        logger: logger)
    app.addServices(OutputSweeper(generations: services.generations, interval: configuration.sweepInterval, logger: logger))
    return app
}
