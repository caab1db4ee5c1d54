import ArgumentParser
import ProdVisualDomain
import ProdVisualEngine
import ProdVisualHTTP
import Foundation

#if canImport(Glibc)
import Glibc
#endif

@main
struct ProdVisualCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "prodvisual",
        abstract: "Marketplace-ready product visuals from a product photo.",
        subcommands: [ServeCommand.self, KeysCommand.self, CreditsCommand.self, MigrateCommand.self, GenerateCommand.self, CutoutCommand.self, ContactSheetCommand.self, ModelsCommand.self, BenchCommand.self])

    /// Runs the command, then leaves without exit-time teardown. Pango renders text with a font
    /// thread of its own that can still be working when a command returns; destroying its
    /// font map under it at exit crashed about one run in twenty, after the work was done.
    static func main() async {
        ProcessMemory.limitArenas()
        let code: Int32
        do {
            var command = try parseAsRoot()
            if var asynchronous = command as? any AsyncParsableCommand {
                try await asynchronous.run()
            } else {
                try command.run()
            }
            code = 0
        } catch {
            code = exitCode(for: error).rawValue
            let message = fullMessage(for: error)
            if !message.isEmpty {
                // Help and version go to standard output, as ArgumentParser's own exit does.
                FileHandle(fileDescriptor: code == 0 ? STDOUT_FILENO : STDERR_FILENO).write(Data((message + "\n").utf8))
            }
        }
        fflush(nil)  // every C stream: what print() buffered reaches its file
        _exit(code)
    }
}

/// Where records and files are, shared by every command that touches them: the data directory
/// alone by default; a PostgreSQL database and an S3 bucket that several nodes share when given.
struct StorageOptions: ParsableArguments {
    @Option(name: .customLong("data-dir"), help: "Data directory (SQLite database, outputs, server key). Env: PRODVISUAL_DATA_DIR.")
    var dataDirectory: String?
    @Option(name: .customLong("database-url"), help: "postgres://USER:PASSWORD@HOST:PORT/DB, shared by several nodes, instead of SQLite. Env: PRODVISUAL_DATABASE_URL.")
    var databaseURL: String?
    @Option(name: .customLong("object-store-url"), help: "s3://BUCKET[/prefix] for outputs and photos, instead of the data directory. Env: PRODVISUAL_OBJECT_STORE_URL.")
    var objectStoreURL: String?
    @Option(name: .customLong("s3-endpoint"), help: "The S3 endpoint, e.g. http://127.0.0.1:8333 (default: AWS for AWS_REGION). Env: PRODVISUAL_S3_ENDPOINT.")
    var s3Endpoint: String?

    /// Flags first, then PRODVISUAL_* variables; credentials and the shared secret come from the
    /// environment only (AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_REGION, PRODVISUAL_SERVER_SECRET),
    /// so that they never show in a process list.
    var resolved: StorageConfiguration {
        var storage = StorageConfiguration()
        storage.dataDirectory = URL(fileURLWithPath: dataDirectory ?? environment.string(forKey: "prodvisual.data.dir", default: "data"))
        storage.databaseURL = databaseURL ?? environment.string(forKey: "prodvisual.database.url")
        storage.objectStoreURL = objectStoreURL ?? environment.string(forKey: "prodvisual.object.store.url")
        storage.s3Endpoint = s3Endpoint ?? environment.string(forKey: "prodvisual.s3.endpoint")
        storage.s3Region = environment.string(forKey: "aws.region", default: storage.s3Region)
        storage.s3AccessKeyID = environment.string(forKey: "aws.access.key.id")
        storage.s3SecretAccessKey = environment.string(forKey: "aws.secret.access.key")
        storage.serverSecret = environment.string(forKey: "prodvisual.server.secret")
        return storage
    }

    /// How an operator command reaches the same storage again.
    var commandLine: String {
        let storage = resolved
        return storage.databaseURL != nil ? "--database-url …" : "--data-dir \(storage.dataDirectory.path)"
    }
}

/// Where the learned models are (`make deps` installs them), shared by every command that renders.
struct ModelDirectoryOption: ParsableArguments {
    @Option(name: .customLong("model-dir"), help: "Directory of the learned models (default ./models). Env: PRODVISUAL_MODEL_DIR.")
    var path: String?

    var resolved: String { path ?? environment.string(forKey: "prodvisual.model.dir") ?? "models" }

    /// The catalogue's models from the directory, each loaded on first use; a missing or
    /// mismatched one is left out and its task runs on the classical path.
    func load() throws -> ModelSet { try ModelSet.load(directory: resolved) }
}

/// A failure while running a command (not a usage mistake): printed as "Error: …", exit 1.
struct CommandFailure: Error, CustomStringConvertible {
    let description: String

    init(_ description: String) { self.description = description }
}
