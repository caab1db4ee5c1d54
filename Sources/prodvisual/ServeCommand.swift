import ArgumentParser
import Configuration
import Foundation
import Hummingbird
import Logging
#if canImport(Glibc)
import Glibc
#endif
import ProdVisualDomain
import ProdVisualHTTP

/// Reads `PRODVISUAL_*` environment variables; a command-line flag wins over its variable.
let environment = ConfigReader(provider: EnvironmentVariablesProvider())

struct ServeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "serve", abstract: "Serve the REST API.")

    @Option(help: "Address to bind. Env: PRODVISUAL_HOST.") var host: String?
    @Option(help: "Port to listen on. Env: PRODVISUAL_PORT.") var port: Int?
    @OptionGroup var storage: StorageOptions
    @Option(name: .customLong("public-url"), help: "Base URL of output links. Env: PRODVISUAL_PUBLIC_URL.") var publicURL: String?
    @Flag(name: .customLong("allow-private-sources"), help: "Let image_url reach loopback/private addresses (development only). Env: PRODVISUAL_ALLOW_PRIVATE_SOURCES=true.")
    var allowPrivateSources = false
    @Option(name: .customLong("rate-limit-per-minute"), help: "Requests per minute per key. Env: PRODVISUAL_RATE_LIMIT_PER_MINUTE.") var perMinute: Int?
    @Option(name: .customLong("rate-limit-per-day"), help: "Requests per day per key. Env: PRODVISUAL_RATE_LIMIT_PER_DAY.") var perDay: Int?
    @Option(help: "Concurrent renders. Env: PRODVISUAL_WORKERS.") var workers: Int?
    @Option(help: "api (HTTP only), worker (queued jobs and webhooks only) or all. Env: PRODVISUAL_ROLE.") var role: String?
    @Option(name: .customLong("job-lease-seconds"), help: "How long a worker's claim on a job lasts unrenewed (default 60). Env: PRODVISUAL_JOB_LEASE_SECONDS.")
    var jobLease: Double?
    @Option(name: .customLong("shutdown-grace-seconds"), help: "On SIGTERM, time running jobs get to finish (default 30). Env: PRODVISUAL_SHUTDOWN_GRACE_SECONDS.")
    var shutdownGrace: Double?
    @Option(name: .customLong("webhook-retry-base-seconds"), help: "First webhook retry delay; doubles up to an hour (default 30). Env: PRODVISUAL_WEBHOOK_RETRY_BASE_SECONDS.")
    var webhookRetryBase: Double?
    @Option(name: .customLong("idle-timeout-seconds"), help: "Close a connection silent this long, idle or part-way through a request (default 30). Env: PRODVISUAL_IDLE_TIMEOUT_SECONDS.")
    var idleTimeout: Double?
    @Option(name: .customLong("max-connections"), help: "Connections open at once (default 10000, and below the file limit). Env: PRODVISUAL_MAX_CONNECTIONS.")
    var maxConnections: Int?
    @Option(name: .customLong("tls-cert"), help: "PEM certificate chain: serve HTTPS. Env: PRODVISUAL_TLS_CERT.") var tlsCertificate: String?
    @Option(name: .customLong("tls-key"), help: "PEM private key of --tls-cert. Env: PRODVISUAL_TLS_KEY.") var tlsKey: String?
    @Flag(name: .customLong("require-https"), help: "Refuse API calls that did not come over HTTPS. Env: PRODVISUAL_REQUIRE_HTTPS=true.")
    var requireHTTPS = false
    @Option(name: .customLong("trusted-proxy"), help: "A proxy address whose X-Forwarded-Proto is believed (repeatable). Env: PRODVISUAL_TRUSTED_PROXIES=a,b.")
    var trustedProxies: [String] = []
    @OptionGroup var models: ModelDirectoryOption

    func run() async throws {
        var logger = Logger(label: "prodvisual")
        logger.logLevel = .info
        var configuration = ServerConfiguration()
        configuration.host = host ?? environment.string(forKey: "prodvisual.host", default: configuration.host)
        configuration.port = port ?? environment.int(forKey: "prodvisual.port", default: configuration.port)
        configuration.storage = storage.resolved
        configuration.publicURL = publicURL ?? environment.string(forKey: "prodvisual.public.url")
        configuration.allowPrivateSources =
            allowPrivateSources || environment.bool(forKey: "prodvisual.allow.private.sources", default: false)
        configuration.rateLimits = RateLimits(
            perMinute: perMinute ?? environment.int(forKey: "prodvisual.rate.limit.per.minute", default: configuration.rateLimits.perMinute),
            perDay: perDay ?? environment.int(forKey: "prodvisual.rate.limit.per.day", default: configuration.rateLimits.perDay))
        configuration.workers = workers ?? environment.int(forKey: "prodvisual.workers", default: configuration.workers)
        configuration.modelDirectory = models.resolved
        let roleName = role ?? environment.string(forKey: "prodvisual.role", default: ServerRole.all.rawValue)
        guard let resolvedRole = ServerRole(rawValue: roleName) else {
            throw ValidationError("--role must be api, worker or all; got '\(roleName)'.")
        }
        configuration.role = resolvedRole
        if let seconds = try positive(jobLease, "prodvisual.job.lease.seconds", "--job-lease-seconds") {
            configuration.jobLease = .milliseconds(Int(seconds * 1000))
        }
        if let seconds = try positive(shutdownGrace, "prodvisual.shutdown.grace.seconds", "--shutdown-grace-seconds") {
            configuration.shutdownGrace = .milliseconds(Int(seconds * 1000))
        }
        if let seconds = try positive(webhookRetryBase, "prodvisual.webhook.retry.base.seconds", "--webhook-retry-base-seconds") {
            configuration.webhookRetryBase = seconds
        }

        if let seconds = try positive(idleTimeout, "prodvisual.idle.timeout.seconds", "--idle-timeout-seconds") {
            configuration.idleTimeout = .milliseconds(Int(seconds * 1000))
        }
        // Each connection is a file descriptor: keep the cap below the process's limit, raised
        // to its hard maximum first, with room for files, the database and outbound fetches.
        let descriptors = FileDescriptorLimit.raiseToMaximum()
        let requested = maxConnections ?? environment.int(forKey: "prodvisual.max.connections", default: configuration.maxConnections)
        guard requested > 0 else { throw ValidationError("--max-connections must be above zero; got \(requested).") }
        configuration.maxConnections = min(requested, max(64, descriptors - 512))
        configuration.tlsCertificatePath = tlsCertificate ?? environment.string(forKey: "prodvisual.tls.cert")
        configuration.tlsKeyPath = tlsKey ?? environment.string(forKey: "prodvisual.tls.key")
        guard (configuration.tlsCertificatePath == nil) == (configuration.tlsKeyPath == nil) else {
            throw ValidationError("--tls-cert and --tls-key go together.")
        }
        configuration.requireHTTPS = requireHTTPS || environment.bool(forKey: "prodvisual.require.https", default: false)
        configuration.trustedProxies = trustedProxies.isEmpty
            ? (environment.string(forKey: "prodvisual.trusted.proxies") ?? "").split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
            : trustedProxies
        let services = try await AppServices.open(configuration, logger: logger)
        if let first = try await services.accounts.bootstrapIfEmpty(credits: configuration.initialCredits) {
            // Written straight to the file descriptor: under a service manager stdout is a pipe
            // and print's buffer would hold the keys back.
            FileHandle.standardOutput.write(Data("""
                First start: created account \(first.account.id) with \(configuration.initialCredits) credits.
                  Live key (spends credits):       \(first.live.secret)
                  Test key (free, watermarked):    \(first.test.secret)
                Keys are shown only once. More with: prodvisual keys create \(storage.commandLine) --account \(first.account.id)

                """.utf8))
        }
        let app = try buildApplication(configuration: configuration, services: services, logger: logger)
        do {
            try await app.run()
        } catch {
            try await services.shutdown()
            throw error
        }
        try await services.shutdown()
    }

    /// A flag's value, else its environment variable's; either must be above zero.
    private func positive(_ flag: Double?, _ key: String, _ name: String) throws -> Double? {
        guard let value = flag ?? environment.double(forKey: ConfigKey(key)) else { return nil }
        guard value > 0 else { throw ValidationError("\(name) must be above zero; got \(value).") }
        return value
    }
}

/// The process's limit on open files.
enum FileDescriptorLimit {
    /// Raises the soft limit to the hard one and returns it.
    static func raiseToMaximum() -> Int {
        var limit = rlimit()
        guard getrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit) == 0 else { return 1024 }
        if limit.rlim_cur < limit.rlim_max {
            var raised = limit
            raised.rlim_cur = limit.rlim_max
            if setrlimit(Int32(RLIMIT_NOFILE.rawValue), &raised) == 0 { limit = raised }
        }
        return Int(clamping: limit.rlim_cur)
    }
}
