import ArgumentParser
import Configuration
import Foundation
import Hummingbird
import Logging
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
