import ArgumentParser

@main
struct ProdVisualCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "prodvisual",
        abstract: "Marketplace-ready product visuals from a product photo.",
        subcommands: [ServeCommand.self, KeysCommand.self, CreditsCommand.self, GenerateCommand.self, CutoutCommand.self, ContactSheetCommand.self, BenchCommand.self])
}

/// The data directory option shared by the operator commands.
struct DataDirectoryOption: ParsableArguments {
    @Option(name: .customLong("data-dir"), help: "Data directory (SQLite database, outputs). Env: PRODVISUAL_DATA_DIR.")
    var path: String?
}

/// The optional learned prior for the cutout, shared by every command that cuts out.
struct SegmentationModelOption: ParsableArguments {
    @Option(name: .customLong("segmentation-model"), help: "ONNX salient-object model (U²-Net style) to seed the cutout. Env: PRODVISUAL_SEGMENTATION_MODEL.")
    var path: String?

    var resolved: String? { path ?? environment.string(forKey: "prodvisual.segmentation.model") }
}

/// A failure while running a command (not a usage mistake): printed as "Error: …", exit 1.
struct CommandFailure: Error, CustomStringConvertible {
    let description: String

    init(_ description: String) { self.description = description }
}
