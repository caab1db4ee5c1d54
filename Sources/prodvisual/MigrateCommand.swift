import ArgumentParser
import Foundation
import Logging
import ProdVisualDomain
import ProdVisualHTTP
import ProdVisualStore

/// Moves a single node's data directory onto the shared storage of several nodes: its SQLite
/// records into an empty PostgreSQL database, its outputs and photos into the bucket.
struct MigrateCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "migrate",
        abstract: "Copy a data directory (SQLite and files) into an empty PostgreSQL database and the object store.")

    @Option(name: .customLong("from-data-dir"), help: "The single node's data directory.") var source: String
    @OptionGroup var storage: StorageOptions

    func run() async throws {
        let from = URL(fileURLWithPath: source)
        let target = storage.resolved
        guard target.databaseURL != nil else {
            throw ValidationError("Give the target: --database-url (and --object-store-url for the files), or their PRODVISUAL_* variables.")
        }
        // Sealed API keys and signed links stay valid only under the same secret.
        let keyFile = from.appendingPathComponent("server.key")
        guard let key = try? Data(contentsOf: keyFile), key.count == 32 else {
            throw CommandFailure("\(keyFile.path) is missing: is \(from.path) a ProdVisual data directory?")
        }
        let hex = key.map { String(format: "%02x", $0) }.joined()
        guard target.serverSecret?.lowercased() == hex else {
            throw CommandFailure("""
                Every node must keep this data directory's secret, or existing keys can no longer sign webhooks. Set it first:
                  export PRODVISUAL_SERVER_SECRET=\(hex)
                """)
        }

        var logger = Logger(label: "prodvisual")
        logger.logLevel = .warning
        let opened = try await Storage.open(target, logger: logger)
        do {
            guard let postgres = opened.store as? PostgresStore else { throw CommandFailure("the target database is not PostgreSQL") }
            for (table, rows) in try await postgres.importSQLite(path: from.appendingPathComponent("prodvisual.sqlite").path) {
                print("\(table): \(rows) rows")
            }
            let files = try await copyFiles(from: from, to: opened.objects)
            print("files: \(files) copied to \(target.objectStoreURL ?? target.dataDirectory.path)")
        } catch {
            await opened.close()
            throw error
        }
        await opened.close()
    }

    /// The outputs and product photos, under the same keys.
    private func copyFiles(from directory: URL, to objects: any ObjectStore) async throws -> Int {
        var count = 0
        for folder in ["outputs", "products"] {
            let root = directory.appendingPathComponent(folder)
            guard let walker = FileManager.default.enumerator(at: root, includingPropertiesForKeys: [.isRegularFileKey]) else { continue }
            while let file = walker.nextObject() as? URL {
                guard (try? file.resourceValues(forKeys: [.isRegularFileKey]))?.isRegularFile == true,
                      !file.lastPathComponent.hasPrefix(".")
                else { continue }
                let relative = file.path.dropFirst(directory.path.count).drop(while: { $0 == "/" })
                try await objects.put(
                    Array(try Data(contentsOf: file)), key: String(relative), contentType: OutputStorage.contentType(of: file.lastPathComponent))
                count += 1
            }
        }
        return count
    }
}
