import ArgumentParser
import ProdVisualEngine
import Foundation

#if canImport(Glibc)
import Glibc
#endif

@main
struct ProdVisualCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "prodvisual",
        abstract: "Marketplace-ready product visuals from a product photo.",
        subcommands: [ServeCommand.self, KeysCommand.self, CreditsCommand.self, GenerateCommand.self, CutoutCommand.self, ContactSheetCommand.self, ModelsCommand.self, BenchCommand.self])

    /// Runs the command, then leaves without exit-time teardown. Pango renders text with a font
    /// thread of its own that can still be working when a command returns; destroying its
    /// font map under it at exit crashed about one run in twenty, after the work was done.
    static func main() async {
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

/// The data directory option shared by the operator commands.
struct DataDirectoryOption: ParsableArguments {
    @Option(name: .customLong("data-dir"), help: "Data directory (SQLite database, outputs). Env: PRODVISUAL_DATA_DIR.")
    var path: String?
}

/// Where the learned models are (`make deps` installs them), shared by every command that renders.
struct ModelDirectoryOption: ParsableArguments {
    @Option(name: .customLong("model-dir"), help: "Directory of the learned models (default ./models). Env: PRODVISUAL_MODEL_DIR.")
    var path: String?

    var resolved: String { path ?? environment.string(forKey: "prodvisual.model.dir") ?? "models" }

    /// The catalogue's models from the directory; a missing or mismatched one is left out and
    /// its task runs on the classical path.
    func load() throws -> (models: ModelSet, statuses: [ModelStatus]) { try ModelSet.load(directory: resolved) }
}

/// A failure while running a command (not a usage mistake): printed as "Error: …", exit 1.
struct CommandFailure: Error, CustomStringConvertible {
    let description: String

    init(_ description: String) { self.description = description }
}
