import ArgumentParser
import Configuration
import Foundation
import Hummingbird
import Logging
import ProdVisualDomain
import ProdVisualHTTP

/// Reads `PRODVISUAL_*` environment variables; a command-line flag wins over its variable.
let environment = ConfigReader(provider: EnvironmentVariablesProvider())

func dataDirectory(_ flag: String?) -> URL {
    URL(fileURLWithPath: flag ?? environment.string(forKey: "prodvisual.data.dir", default: "data"))
}

struct ServeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "serve", abstract: "Serve the REST API.")

    @Option(help: "Address to bind. Env: PRODVISUAL_HOST.") var host: String?
    @Option(help: "Port to listen on. Env: PRODVISUAL_PORT.") var port: Int?
    @OptionGroup var dataDir: DataDirectoryOption
    @Option(name: .customLong("public-url"), help: "Base URL of output links. Env: PRODVISUAL_PUBLIC_URL.") var publicURL: String?
    @Flag(name: .customLong("allow-private-sources"), help: "Let image_url reach loopback/private addresses (development only). Env: PRODVISUAL_ALLOW_PRIVATE_SOURCES=true.")
    var allowPrivateSources = false
    @Option(name: .customLong("rate-limit-per-minute"), help: "Requests per minute per key. Env: PRODVISUAL_RATE_LIMIT_PER_MINUTE.") var perMinute: Int?
    @Option(name: .customLong("rate-limit-per-day"), help: "Requests per day per key. Env: PRODVISUAL_RATE_LIMIT_PER_DAY.") var perDay: Int?
    @Option(help: "Concurrent renders. Env: PRODVISUAL_WORKERS.") var workers: Int?
    @OptionGroup var model: SegmentationModelOption

    func run() async throws {
        var logger = Logger(label: "prodvisual")
        logger.logLevel = .info
        var configuration = ServerConfiguration()
        configuration.host = host ?? environment.string(forKey: "prodvisual.host", default: configuration.host)
        configuration.port = port ?? environment.int(forKey: "prodvisual.port", default: configuration.port)
        configuration.dataDirectory = dataDirectory(dataDir.path)
        configuration.publicURL = publicURL ?? environment.string(forKey: "prodvisual.public.url")
        configuration.allowPrivateSources =
            allowPrivateSources || environment.bool(forKey: "prodvisual.allow.private.sources", default: false)
        configuration.rateLimits = RateLimits(
            perMinute: perMinute ?? environment.int(forKey: "prodvisual.rate.limit.per.minute", default: configuration.rateLimits.perMinute),
            perDay: perDay ?? environment.int(forKey: "prodvisual.rate.limit.per.day", default: configuration.rateLimits.perDay))
        configuration.workers = workers ?? environment.int(forKey: "prodvisual.workers", default: configuration.workers)
        configuration.segmentationModel = model.resolved

        let services = try AppServices.open(configuration, logger: logger)
        if let first = try await services.accounts.bootstrapIfEmpty(credits: configuration.initialCredits) {
            // Written straight to the file descriptor: under a service manager stdout is a pipe
            // and print's buffer would hold the keys back.
            FileHandle.standardOutput.write(Data("""
                First start: created account \(first.account.id) with \(configuration.initialCredits) credits.
                  Live key (spends credits):       \(first.live.secret)
                  Test key (free, watermarked):    \(first.test.secret)
                Keys are shown only once. More with: prodvisual keys create --data-dir \(configuration.dataDirectory.path) --account \(first.account.id)

                """.utf8))
        }
        let app = try buildApplication(configuration: configuration, services: services, logger: logger)
        do {
            try await app.runService()
        } catch {
            try await services.shutdown()
            throw error
        }
        try await services.shutdown()
    }
}
