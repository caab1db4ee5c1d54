import Foundation
import ProdVisualDomain

/// What one `prodvisual serve` process does: answer the API, render queued jobs and deliver
/// webhooks, or both (the default). Separate roles can share one data directory, or one database and bucket.
public enum ServerRole: String, Sendable, CaseIterable {
    case api, worker, all

    var servesAPI: Bool { self != .worker }
    var runsWorkers: Bool { self != .api }
}

/// Everything `prodvisual serve` can be told. Defaults make a fresh checkout work with nothing set.
public struct ServerConfiguration: Sendable {
    public var host = "127.0.0.1"
    public var port = 8080
    /// The data directory, and the shared database and bucket when there are several nodes.
    public var storage = StorageConfiguration()
    /// The base of output URLs handed to clients; defaults to http://host:port.
    public var publicURL: String?
    /// Lets `image_url` reach loopback and private networks: for development and tests only.
    public var allowPrivateSources = false
    public var rateLimits = RateLimits()
    /// How long output URLs stay valid before the file is deleted.
    public var outputLifetime: TimeInterval = 7 * 86_400
    /// Credits of the account created on a data directory's very first start.
    public var initialCredits = 100
    /// Renders running at once; one per core by default.
    public var workers = ProcessInfo.processInfo.activeProcessorCount
    public var maxSourceBytes = 10 * 1024 * 1024
    public var maxSourcePixels = 40_000_000
    public var sweepInterval: Duration = .seconds(300)
    /// The learned models (`make deps` installs them); without them the classical path runs.
    public var modelDirectory = "models"
    public var role = ServerRole.all
    /// How long a worker's claim on a job lasts without renewal: how soon a dead worker's job
    /// is taken over.
    public var jobLease: Duration = .seconds(60)
    /// On SIGTERM, how long running jobs may take to finish before they go back to the queue.
    public var shutdownGrace: Duration = .seconds(30)
    /// The wait before a failed webhook delivery's first retry; it doubles up to an hour.
    public var webhookRetryBase: TimeInterval = 30
    /// How long a connection may stay silent (idle between requests, or part-way through a
    /// request's header or body) before it is closed.
    public var idleTimeout: Duration = .seconds(30)
    /// Connections open at once; beyond it the server stops accepting until some close, so that
    /// a flood cannot exhaust its file descriptors.
    public var maxConnections = 10_000
    /// PEM files: with both, the server speaks HTTPS itself.
    public var tlsCertificatePath: String?
    public var tlsKeyPath: String?
    /// Refuse API calls that did not arrive over HTTPS (directly, or per `X-Forwarded-Proto` from
    /// one of `trustedProxies`).
    public var requireHTTPS = false
    /// Addresses of the proxies whose `X-Forwarded-Proto` is believed.
    public var trustedProxies: [String] = []

    public init() {}

    var resolvedPublicURL: String { publicURL ?? "\(servesTLS ? "https" : "http")://\(host):\(port)" }
    var servesTLS: Bool { tlsCertificatePath != nil && tlsKeyPath != nil }
}
