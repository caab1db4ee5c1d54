import Foundation
import Logging
import ProdVisualStore
import Synchronization

/// Workers that claim queued generations from the store and render them.
///
/// Each of `concurrency` loops claims one job at a time under a lease it renews while rendering;
/// a job whose worker died is claimed again once its lease runs out. Several processes (or
/// nodes) can run workers over one store: the claim is a single atomic statement.
public final class JobRunner: Sendable {
    public struct Settings: Sendable {
        public var concurrency: Int
        /// How long a claim holds without renewal; a dead worker's job waits this long.
        public var lease: Duration
        /// How often an idle worker looks for work.
        public var pollInterval: Duration
        /// At shutdown, how long running jobs may take to finish before they are put back.
        public var grace: Duration

        public init(concurrency: Int, lease: Duration = .seconds(60), pollInterval: Duration = .milliseconds(200), grace: Duration = .seconds(30)) {
            self.concurrency = max(1, concurrency)
            self.lease = lease
            self.pollInterval = pollInterval
            self.grace = grace
        }
    }

    private struct State {
        var stopping = false
        /// Jobs being rendered, by id, with the worker that holds each.
        var running: [String: String] = [:]
    }

    let generations: GenerationService
    let settings: Settings
    let logger: Logger
    /// Unique per process: host, process id and a random suffix.
    let node: String
    private let state = Mutex(State())
    private let done: AsyncStream<Void>
    private let doneContinuation: AsyncStream<Void>.Continuation

    public init(generations: GenerationService, settings: Settings, logger: Logger) {
        self.generations = generations
        self.settings = settings
        self.logger = logger
        node = "\(ProcessInfo.processInfo.hostName):\(ProcessInfo.processInfo.processIdentifier):\(Identifiers.randomBase62(4))"
        (done, doneContinuation) = AsyncStream.makeStream(of: Void.self)
    }

    /// Runs the workers until `shutdown` has stopped them.
    public func run() async {
        let loops = Task {
            await withTaskGroup(of: Void.self) { group in
                for index in 0..<settings.concurrency {
                    group.addTask { await self.loop(worker: "\(self.node)/\(index)") }
                }
            }
            self.doneContinuation.yield()
        }
        await withTaskCancellationHandler {
            for await _ in done { break }
        } onCancel: {
            state.withLock { $0.stopping = true }
            loops.cancel()
        }
    }

    /// Stops claiming; lets running jobs finish within the grace period, then puts any still
    /// running back in the queue so that the next worker to start claims them at once.
    public func shutdown() async {
        state.withLock { $0.stopping = true }
        let deadline = ContinuousClock.now.advanced(by: settings.grace)
        while ContinuousClock.now < deadline, !state.withLock({ $0.running.isEmpty }) {
            try? await Task.sleep(for: .milliseconds(50))
        }
        let unfinished = state.withLock { $0.running }
        for (id, worker) in unfinished {
            if (try? await generations.store.releaseJob(id: id, worker: worker)) == true {
                logger.warning("job \(id) did not finish within the shutdown grace period; returned to the queue")
            }
        }
        doneContinuation.yield()
    }

    private var stopping: Bool { state.withLock { $0.stopping } }

    private func loop(worker: String) async {
        while !stopping {
            let job: GenerationRecord?
            do {
                let now = generations.clock()
                job = try await generations.store.claimJob(worker: worker, now: now, leaseUntil: now.addingTimeInterval(settings.lease.seconds))
            } catch {
                logger.error("claiming a job failed: \(error)")
                job = nil
            }
            guard let job else {
                try? await Task.sleep(for: settings.pollInterval)
                continue
            }
            state.withLock { $0.running[job.id] = worker }
            await withTaskGroup(of: Void.self) { group in
                group.addTask { await self.renew(job.id, worker: worker) }
                await generations.process(job: job)
                group.cancelAll()
            }
            state.withLock { _ = $0.running.removeValue(forKey: job.id) }
        }
    }

    /// Extends the lease every third of its length until cancelled.
    private func renew(_ id: String, worker: String) async {
        while true {
            do {
                try await Task.sleep(for: settings.lease / 3)
            } catch {
                return
            }
            let until = generations.clock().addingTimeInterval(settings.lease.seconds)
            if (try? await generations.store.renewLease(id: id, worker: worker, until: until)) == false {
                logger.warning("lost the lease on job \(id)")
                return
            }
        }
    }
}

extension Duration {
    var seconds: TimeInterval {
        let (seconds, attoseconds) = components
        return TimeInterval(seconds) + TimeInterval(attoseconds) / 1e18
    }
}
