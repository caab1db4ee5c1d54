import ArgumentParser

@main
struct ProdVisualCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "prodvisual",
        abstract: "Marketplace-ready product visuals from a product photo.",
        subcommands: [ServeCommand.self, KeysCommand.self, CreditsCommand.self, GenerateCommand.self, CutoutCommand.self, BenchCommand.self])
}

/// The data directory option shared by the operator commands.
struct DataDirectoryOption: ParsableArguments {
    @Option(name: .customLong("data-dir"), help: "Data directory (SQLite database, outputs). Env: PRODVISUAL_DATA_DIR.")
    var path: String?
}

/// A failure while running a command (not a usage mistake): printed as "Error: …", exit 1.
struct CommandFailure: Error, CustomStringConvertible {
    let description: String

    init(_ description: String) { self.description = description }
}
