import Foundation
import Hummingbird
import Logging

/// Runs a Hummingbird application on 127.0.0.1 with a port the kernel picks, hands `body`
/// that port, and stops the server when `body` returns or throws.
func withLoopbackServer<T: Sendable>(
    _ router: Router<BasicRequestContext>, label: String,
    _ body: (_ port: Int) async throws -> T
) async throws -> T {
    let (ports, portContinuation) = AsyncStream.makeStream(of: Int.self)
    let app = Application(
        router: router,
        configuration: .init(address: .hostname("127.0.0.1", port: 0), serverName: label),
        onServerRunning: { channel in
            portContinuation.yield(channel.localAddress?.port ?? 0)
            portContinuation.finish()
        },
        // Stopping by cancellation makes Hummingbird log errors; keep the test output readable.
        logger: Logger(label: label, factory: { _ in SwiftLogNoOpLogHandler() })
    )
    return try await withThrowingTaskGroup(of: Void.self) { group in
        group.addTask {
            try await app.runService(gracefulShutdownSignals: [])
        }
        var iterator = ports.makeAsyncIterator()
        guard let port = await iterator.next(), port > 0 else {
            group.cancelAll()
            throw ServerProcessError(description: "\(label) did not start")
        }
        do {
            let result = try await body(port)
            group.cancelAll()
            return result
        } catch {
            group.cancelAll()
            throw error
        }
    }
}

/// The bench's product photos, read in place from `shared/bench` beside the checkout (never
/// copied into the repository).
enum Packshots {
    static let root = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("../shared/bench/packshots").standardizedFileURL

    /// The JPEGs of at most `maxBytes`, as paths under `root`, in a stable order: small files
    /// keep fetching and decoding quick.
    static func smallPhotos(maxBytes: Int = 150_000) throws -> [String] {
        let manager = FileManager.default
        guard manager.fileExists(atPath: root.path) else {
            throw ServerProcessError(description: "The bench photos are missing: expected them in \(root.path)")
        }
        let photos = try manager.subpathsOfDirectory(atPath: root.path).filter { $0.hasSuffix(".jpg") }.sorted().filter {
            let size = (try? manager.attributesOfItem(atPath: root.appendingPathComponent($0).path)[.size] as? Int) ?? .max
            return size <= maxBytes
        }
        guard !photos.isEmpty else { throw ServerProcessError(description: "No JPEG of at most \(maxBytes) bytes in \(root.path)") }
        return photos
    }
}
