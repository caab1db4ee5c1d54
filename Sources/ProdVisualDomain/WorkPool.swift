import NIOPosix

/// A bounded pool of threads for CPU-heavy image work, so that rendering never runs on the
/// event loops or the cooperative pool and at most `threads` renders run at once.
public final class WorkPool: Sendable {
    private let pool: NIOThreadPool

    public init(threads: Int) {
        pool = NIOThreadPool(numberOfThreads: max(1, threads))
        pool.start()
    }

    public func run<T: Sendable>(_ work: @escaping @Sendable () throws -> T) async throws -> T {
        try await pool.runIfActive {
            // A render frees hundreds of megabytes of pixels; hand the free pages back to the
            // system rather than keep them for the next render (a few milliseconds).
            defer { ProcessMemory.returnFreeMemory() }
            return try work()
        }
    }

    public func shutdown() async throws {
        try await pool.shutdownGracefully()
    }
}
