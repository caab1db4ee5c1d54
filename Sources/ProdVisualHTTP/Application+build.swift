import AsyncHTTPClient
import Foundation
import Hummingbird
import HummingbirdCore
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
    public let products: ProductService
    public let tryOn: TryOnService
    public let idempotency: IdempotencyService
    public let jobs: JobRunner
    public let webhooks: WebhookDispatcher
    public let outputs: OutputStorage
    public let rateLimiter: RateLimiter
    /// The console's style previews, rendered once per process.
    let previews: StylePreviews
    let publicURL: String
    let pool: WorkPool
    let httpClient: HTTPClient
    let storage: Storage

    /// Opens the storage and assembles the services over it.
    public static func open(_ configuration: ServerConfiguration, logger: Logger, clock: @escaping @Sendable () -> Date = Date.init) async throws -> AppServices {
        let storage = try await Storage.open(configuration.storage, logger: logger)
        do {
            return try assemble(configuration, storage: storage, logger: logger, clock: clock)
        } catch {
            await storage.close()
            throw error
        }
    }

    private static func assemble(
        _ configuration: ServerConfiguration, storage: Storage, logger: Logger, clock: @escaping @Sendable () -> Date
    ) throws -> AppServices {
        let store = storage.store
        let secret = storage.secret
        let outputs = OutputStorage(objects: storage.objects, publicURL: configuration.resolvedPublicURL, secret: secret)
        let pool = WorkPool(threads: configuration.workers)
        let policy = FetchPolicy(allowPrivateAddresses: configuration.allowPrivateSources, maxBytes: configuration.maxSourceBytes)
        // The client must not follow redirects itself: SafeFetcher re-checks every hop.
        let httpClient = SafeFetcher.makeHTTPClient(policy: policy)
        let fetcher = SafeFetcher(httpClient: httpClient, policy: policy)
        // Loaded at start, not on a first request: the log says at once what runs classically.
        let models = try ModelSet.load(directory: configuration.modelDirectory)
        logger.notice("\(ModelStatus.summary(models.statuses, directory: configuration.modelDirectory))")
        let generations = GenerationService(
            store: store,
            engine: try ImageEngine(limits: DecodeLimits(maxPixels: configuration.maxSourcePixels), models: models),
            pool: pool, fetcher: fetcher, outputs: outputs,
            productFiles: ProductFiles(objects: storage.objects), outputLifetime: configuration.outputLifetime,
            maxSourceBytes: configuration.maxSourceBytes, parallelism: configuration.workers, clock: clock, logger: logger)
        let accounts = AccountService(store: store, sealer: KeySealer(serverSecret: secret), clock: clock)
        var webhookSettings = WebhookDispatcher.Settings()
        webhookSettings.retry.first = configuration.webhookRetryBase
        return AppServices(
            accounts: accounts, generations: generations, products: ProductService(store: store, generations: generations, clock: clock),
            tryOn: TryOnService(store: store, generations: generations, clock: clock),
            idempotency: IdempotencyService(store: store, clock: clock),
            jobs: JobRunner(
                generations: generations,
                settings: .init(concurrency: configuration.workers, lease: configuration.jobLease, grace: configuration.shutdownGrace),
                logger: logger),
            webhooks: WebhookDispatcher(
                store: store, accounts: accounts, generations: generations, fetcher: fetcher, settings: webhookSettings, logger: logger),
            outputs: outputs, rateLimiter: RateLimiter(limits: configuration.rateLimits, counter: storage.rateCounter),
            previews: StylePreviews(generations: generations), publicURL: configuration.resolvedPublicURL, pool: pool, httpClient: httpClient, storage: storage)
    }

    public func shutdown() async throws {
        try await httpClient.shutdown()
        try await pool.shutdown()
        await storage.close()
    }
}

/// Every route, registered once: the OpenAPI test compares this list with the document.
struct RouteTable {
    /// The methods registered for the route matching `path` (`:name` segments match any one
    /// segment); nil when no route has that path.
    func methods(forPath path: String) -> Set<HTTPRequest.Method>? {
        let segments = path.split(separator: "/", omittingEmptySubsequences: false)
        let matching = entries.filter { entry in
            let pattern = entry.path.split(separator: "/", omittingEmptySubsequences: false)
            return pattern.count == segments.count
                && zip(pattern, segments).allSatisfy { $0.hasPrefix(":") ? !$1.isEmpty : $0 == $1 }
        }
        // The most literal pattern wins, as in the router: /api/vto/default-person is not /api/vto/:vtoId.
        func literalSegments(_ path: String) -> Int { path.split(separator: "/").filter { !$0.hasPrefix(":") }.count }
        guard let best = matching.map({ literalSegments($0.path) }).max() else { return nil }
        return Set(matching.filter { literalSegments($0.path) == best }.map(\.method))
    }

    private(set) var entries: [(method: HTTPRequest.Method, path: String)] = []

    mutating func add<Router: RouterMethods, Output: ResponseGenerator>(
        _ method: HTTPRequest.Method, _ path: String, on router: Router,
        use handler: @escaping @Sendable (Request, Router.Context) async throws -> Output
    ) {
        router.on(RouterPath(path), method: method, use: handler)
        entries.append((method, path))
    }
}

/// Builds the router with every API route. `clock` is injectable so tests can move time;
/// `httpsOnlyBehind` (the trusted proxies) refuses calls that came over plain HTTP.
func buildRouter(
    services: AppServices, logger: Logger, clock: @escaping @Sendable () -> Date = Date.init, httpsOnlyBehind trustedProxies: [String]? = nil
) throws -> (router: Router<APIRequestContext>, routes: RouteTable) {
    let router = Router(context: APIRequestContext.self)
    router.add(middleware: ErrorEnvelopeMiddleware(logger: logger))
    if let trustedProxies { router.add(middleware: HTTPSOnlyMiddleware(trustedProxies: Set(trustedProxies))) }
    var routes = RouteTable()

    let catalog = try CatalogController()
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
    let generations = GenerationController(
        generations: services.generations, idempotency: services.idempotency, publicURL: services.publicURL)
    routes.add(.get, "/v1/account/credits", on: authenticated, use: account.credits)
    routes.add(.get, "/v1/account/usage", on: authenticated, use: account.usage)
    routes.add(.post, "/v1/generate", on: authenticated, use: generations.generate)
    routes.add(.post, "/v1/generate/batch", on: authenticated, use: generations.generateBatch)
    routes.add(.get, "/v1/generations", on: authenticated, use: generations.list)
    routes.add(.get, "/v1/generations/:id", on: authenticated, use: generations.show)
    // API keys, managed with a live key of the account (the console's "API Token Management").
    let keys = KeysController(accounts: services.accounts)
    routes.add(.get, "/v1/keys", on: authenticated, use: keys.list)
    routes.add(.post, "/v1/keys", on: authenticated, use: keys.create)
    routes.add(.delete, "/v1/keys/:id", on: authenticated, use: keys.revoke)

    // The EcomViz-compatible surface, on the same keys, credits, engine, queue and webhooks.
    let ecomViz = EcomVizController(products: services.products, tryOn: services.tryOn)
    routes.add(.post, "/api/products/url", on: authenticated, use: ecomViz.createProduct)
    routes.add(.get, "/api/products/:productId", on: authenticated, use: ecomViz.product)
    routes.add(.post, "/api/products/:productId/generate", on: authenticated, use: ecomViz.generate)
    routes.add(.post, "/api/vto/generate-url", on: authenticated, use: ecomViz.generateTryOn)
    routes.add(.get, "/api/vto/:vtoId", on: authenticated, use: ecomViz.tryOnTask)
    routes.add(.put, "/api/vto/default-person", on: authenticated, use: ecomViz.setDefaultPerson)
    router.add(middleware: MethodNotAllowedMiddleware(routes: routes))

    // The web console: static files and style previews, no key needed to load them.
    try Console.register(on: router, previews: services.previews, publicURL: services.publicURL)
    return (router, routes)
}

/// A path we serve, asked with a method it does not take (TRACE, QUERY, DELETE on a GET route):
/// 405 with `Allow`, as HTTP asks, instead of the 404 of a path that does not exist. HEAD goes
/// with GET.
struct MethodNotAllowedMiddleware: RouterMiddleware {
    typealias Context = APIRequestContext
    let routes: RouteTable

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        guard let methods = routes.methods(forPath: request.uri.path), !methods.contains(request.method),
              !(request.method == .head && methods.contains(.get))
        else { return try await next(request, context) }
        let allow = methods.map(\.rawValue).sorted().joined(separator: ", ")
        var response = try ServiceError(.methodNotAllowed, "\(request.method) is not allowed on \(request.uri.path); use \(allow).")
            .response(from: request, context: context)
        response.headers[.allow] = allow
        return response
    }
}

/// Housekeeping on a timer, beside the HTTP server: deletes expired outputs and fails (with a
/// refund) synchronous generations whose server died mid-request.
struct OutputSweeper: Service {
    /// Far longer than any synchronous request can run (fetch time-out plus render).
    static let abandonAfter: TimeInterval = 15 * 60

    let generations: GenerationService
    let interval: Duration
    let logger: Logger

    func run() async throws {
        while !Task.isCancelled && !Task.isShuttingDownGracefully {
            do {
                let removed = try await generations.sweepExpiredOutputs()
                if removed > 0 { logger.info("deleted \(removed) expired outputs") }
                let abandoned = try await generations.failAbandoned(olderThan: Self.abandonAfter)
                if abandoned > 0 { logger.warning("failed and refunded \(abandoned) generations abandoned mid-request") }
            } catch {
                logger.error("output sweep failed: \(error)")
            }
            // Shutdown ends the wait early; that is not an error.
            try? await cancelWhenGracefulShutdown { try await Task.sleep(for: interval) }
        }
    }
}

/// The job workers. On SIGTERM they stop claiming and let running jobs finish within the grace
/// period; what is left is claimed again after a restart.
struct JobWorkerService: Service {
    let jobs: JobRunner

    func run() async throws {
        await withGracefulShutdownHandler {
            await jobs.run()
        } onGracefulShutdown: {
            Task { await jobs.shutdown() }
        }
    }
}

/// Webhook deliveries; stops at shutdown (pending deliveries wait in the store).
struct WebhookService: Service {
    let webhooks: WebhookDispatcher

    func run() async throws {
        // Shutdown cancels the delivery loops; that is not an error.
        await cancelWhenGracefulShutdown { await webhooks.run() }
    }
}

/// The background services a role runs, in start order; shutdown goes in reverse, so workers
/// finish their jobs while webhooks can still be delivered.
func backgroundServices(configuration: ServerConfiguration, services: AppServices, logger: Logger) -> [any Service] {
    var list: [any Service] = [OutputSweeper(generations: services.generations, interval: configuration.sweepInterval, logger: logger)]
    if configuration.role.runsWorkers {
        list.append(WebhookService(webhooks: services.webhooks))
        list.append(JobWorkerService(jobs: services.jobs))
    }
    return list
}

/// The whole server for `configuration.role`: HTTP (unless a worker) plus background services.
public func buildApplication(
    configuration: ServerConfiguration, services: AppServices, logger: Logger,
    onServerRunning: @escaping @Sendable (any Channel) async -> Void = { _ in }
) throws -> any Service {
    let background = backgroundServices(configuration: configuration, services: services, logger: logger)
    guard configuration.role.servesAPI else {
        return ServiceGroup(configuration: .init(services: background, gracefulShutdownSignals: [.sigterm, .sigint], logger: logger))
    }
    // With TLS served here every call is HTTPS; without, only a trusted proxy can vouch for one.
    let httpsOnly = configuration.requireHTTPS && !configuration.servesTLS ? configuration.trustedProxies : nil
    let (router, _) = try buildRouter(services: services, logger: logger, httpsOnlyBehind: httpsOnly)
    var app = Application(
        router: router,
        server: try configuration.serverBuilder(),
        configuration: .init(
            address: .hostname(configuration.host, port: configuration.port), serverName: "ProdVisual",
            availableConnectionsDelegate: MaximumAvailableConnections(configuration.maxConnections)),
        onServerRunning: onServerRunning,
        logger: logger)
    app.addServices(background)
    return ApplicationService(app: app)
}

/// Runs an application under its own service group, with SIGTERM/SIGINT handling.
struct ApplicationService<App: ApplicationProtocol>: Service {
    let app: App

    func run() async throws {
        try await app.runService()
    }
}
