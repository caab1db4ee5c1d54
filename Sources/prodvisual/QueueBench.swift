import ArgumentParser
import Foundation
import Hummingbird
import Logging
import ProdVisualDomain
import ProdVisualHTTP

extension BenchCommand {
    /// A batch of 12-megapixel white_bg items through the queue, against the same items as
    /// synchronous calls one after another, in one process, over a loopback image server.
    struct Queue: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "A batch of 12 MP white_bg items through the job queue against the sum of single synchronous calls.")

        @Option(name: .customLong("bench-dir"), help: "The shared bench folder.") var benchDirectory = "../shared/bench"
        @Option(help: "Items in the batch (at most 50).") var items = 50
        @OptionGroup var storage: StorageOptions

        func run() async throws {
            let scratch = FileManager.default.temporaryDirectory.appendingPathComponent("pv-bench-\(UUID().uuidString)")
            let sources = scratch.appendingPathComponent("sources")
            try FileManager.default.createDirectory(at: sources, withIntermediateDirectories: true)
            defer { try? FileManager.default.removeItem(at: scratch) }
            // Five studio photos, each scaled from 1200x1200 to 4000x3000.
            let studio = URL(fileURLWithPath: benchDirectory).appendingPathComponent("cutout/studio/images")
            let photos = try FileManager.default.contentsOfDirectory(atPath: studio.path).filter { $0.hasSuffix(".jpg") }.sorted().prefix(5)
            for (index, photo) in photos.enumerated() {
                try BenchCommand.runTool("vips", [
                    "resize", studio.appendingPathComponent(photo).path, sources.appendingPathComponent("\(index).jpg").path + "[Q=92]",
                    "3.3334", "--vscale", "2.5",
                ])
            }

            var logger = Logger(label: "bench")
            logger.logLevel = .warning
            // The image server's own chatter (and its complaint at being stopped) is not the bench's.
            var quiet = Logger(label: "bench-files")
            quiet.logLevel = .critical
            let router = Router()
            router.add(middleware: FileMiddleware(sources.path, searchForIndexHtml: false, logger: quiet))
            let (portStream, portContinuation) = AsyncStream.makeStream(of: Int.self)
            let files = Application(
                router: router, configuration: .init(address: .hostname("127.0.0.1", port: 0)),
                onServerRunning: { channel in portContinuation.yield(channel.localAddress?.port ?? 0) }, logger: quiet)
            let fileServer = Task { try await files.run() }
            defer { fileServer.cancel() }
            var ports = portStream.makeAsyncIterator()
            guard let port = await ports.next() else { throw CommandFailure("the loopback image server did not start") }

            var configuration = ServerConfiguration()
            // The given database and bucket, if any; the scratch folder otherwise.
            configuration.storage = storage.resolved
            configuration.storage.dataDirectory = scratch.appendingPathComponent("data")
            configuration.allowPrivateSources = true
            let services = try await AppServices.open(configuration, logger: logger)
            let account = try await services.accounts.createAccount(name: "bench", credits: items * 2 + 1)
            let issued = try await services.accounts.issueKey(accountID: account.id, mode: .live, name: "bench")
            let key = try await services.accounts.authenticate(bearer: issued.secret)
            let requests = (0..<min(items, GenerationService.maxBatchItems)).map { index in
                GenerationRequest(source: .url("http://127.0.0.1:\(port)/\(index % photos.count).jpg"), style: "white_bg", format: "jpeg")
            }

            // One warm-up call, then the synchronous calls one after another.
            _ = try await services.generations.generate(requests[0], by: key)
            let syncStarted = ContinuousClock.now
            for request in requests { _ = try await services.generations.generate(request, by: key) }
            let syncSeconds = (ContinuousClock.now - syncStarted).seconds

            let queueStarted = ContinuousClock.now
            let workers = Task { await services.jobs.run() }
            let batch = try await services.generations.submitBatch(requests, webhookURL: nil, by: key)
            var view = batch
            while view.batch.completedAt == nil {
                try await Task.sleep(for: .milliseconds(50))
                view = try await services.generations.batch(id: batch.batch.id, for: key)
            }
            let queueSeconds = (ContinuousClock.now - queueStarted).seconds
            await services.jobs.shutdown()
            workers.cancel()
            try await services.shutdown()
            guard view.completedItems == requests.count else {
                throw CommandFailure("\(view.failedItems) of \(requests.count) batch items failed")
            }

            let count = Double(requests.count)
            print(String(
                format: """

                    Batch of %d white_bg items from 12 MP JPEGs (%d workers on %d cores, %@):
                      single synchronous calls, one after another: %.2f s (%.2f images/s)
                      one batch through the queue:                 %.2f s (%.2f images/s)
                      ratio queue / synchronous: %.2f (bar: at most 1.00); the estimate given was %.1f s
                    """,
                requests.count, configuration.workers, ProcessInfo.processInfo.activeProcessorCount,
                configuration.storage.databaseURL == nil ? "SQLite" : "PostgreSQL",
                syncSeconds, count / syncSeconds, queueSeconds, count / queueSeconds, queueSeconds / syncSeconds,
                Double(batch.estimatedTimeMs ?? 0) / 1000))
        }
    }
}

extension Duration {
    var seconds: Double {
        let (seconds, attoseconds) = components
        return Double(seconds) + Double(attoseconds) / 1e18
    }
}
