import ArgumentParser
import Foundation
import Logging
import ProdVisualHTTP
import ProdVisualStore

extension BenchCommand {
    /// How fast workers take jobs off the queue, with the rendering taken away: trivial jobs
    /// claimed and completed by concurrent workers, on SQLite and on PostgreSQL in one run.
    struct Claims: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Claims per second of trivial jobs by concurrent workers, SQLite beside PostgreSQL.")

        @Option(help: "Jobs to claim and complete per store.") var jobs = 2000
        @Option(help: "Concurrent workers.") var workers = 8
        @OptionGroup var storage: StorageOptions

        func run() async throws {
            var logger = Logger(label: "bench")
            logger.logLevel = .warning
            let scratch = FileManager.default.temporaryDirectory.appendingPathComponent("pv-claims-\(UUID().uuidString)")
            try FileManager.default.createDirectory(at: scratch, withIntermediateDirectories: true)
            defer { try? FileManager.default.removeItem(at: scratch) }

            let sqlite = try await rate(on: SQLiteStore(path: scratch.appendingPathComponent("claims.sqlite").path))
            print(String(format: "claims/s, %d trivial jobs, %d workers: SQLite %.0f", jobs, workers, sqlite))
            guard let url = storage.resolved.databaseURL else {
                print("PostgreSQL: no --database-url (or PRODVISUAL_DATABASE_URL) given; scripts/dev-services.sh starts one")
                return
            }
            let postgres = try await PostgresStore.connect(url: url, logger: logger)
            let shared: Double
            do {
                shared = try await rate(on: postgres)
            } catch {
                await postgres.shutdown()
                throw error
            }
            await postgres.shutdown()
            print(String(format: "claims/s, %d trivial jobs, %d workers: PostgreSQL %.0f; ratio PostgreSQL / SQLite %.2f", jobs, workers, shared, shared / sqlite))
        }

        /// Enqueues the jobs under a new account, then times the workers draining them.
        private func rate(on store: any Store) async throws -> Double {
            // The workers claim whatever is queued: never run on a database with real work waiting.
            guard try await store.queueLoad(recent: 1).unfinished == 0 else {
                throw CommandFailure("the database has unfinished jobs; run this bench on a scratch database")
            }
            let now = Date()
            let account = AccountRecord(id: "acct_bench\(UUID().uuidString.prefix(8))", name: "bench", createdAt: now)
            try await store.createAccount(account, initialCredits: 0)
            let key = APIKeyRecord(
                id: "key_\(account.id)", accountID: account.id, mode: .test, secretHash: UUID().uuidString, hint: "0000",
                name: "bench", createdAt: now)
            try await store.insertKey(key)
            let run = UUID().uuidString.prefix(8)
            let queued = (0..<jobs).map { index in
                QueuedGeneration(
                    record: GenerationRecord(
                        id: "gen_\(run)_\(index)", accountID: account.id, keyID: key.id, mode: .test, status: .pending,
                        style: "white_bg", platform: "generic", format: "png", width: 1, height: 1, parameters: "{}",
                        creditsUsed: 0, createdAt: now, expiresAt: now.addingTimeInterval(3600)),
                    request: Data("{}".utf8))
            }
            for chunk in stride(from: 0, to: queued.count, by: 500) {
                _ = try await store.enqueue(Array(queued[chunk..<min(chunk + 500, queued.count)]), batch: nil)
            }
            let output = GenerationOutput(outputFile: "x.png", fileSize: 1, generationTimeMs: 1)
            let started = ContinuousClock.now
            let claimed = try await withThrowingTaskGroup(of: Int.self, returning: Int.self) { group in
                for worker in 0..<workers {
                    group.addTask {
                        var count = 0
                        while let job = try await store.claimJob(worker: "w\(worker)", now: Date(), leaseUntil: Date().addingTimeInterval(60)) {
                            _ = try await store.completeGeneration(id: job.id, output: output, at: Date())
                            count += 1
                        }
                        return count
                    }
                }
                return try await group.reduce(0, +)
            }
            let seconds = (ContinuousClock.now - started).seconds
            guard claimed == jobs else { throw CommandFailure("claimed \(claimed) of \(jobs) jobs") }
            return Double(claimed) / seconds
        }
    }
}
