import ArgumentParser
import ProdVisualEngine

/// What the learned models are, where they come from, and whether this machine has them.
struct ModelsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "models",
        abstract: "List the learned models: licence, hash check, and whether each loaded.",
        discussion: "Exits 1 when a model is missing, fails its hash check or does not load; `make deps` installs them.")

    @OptionGroup var models: ModelDirectoryOption

    func run() async throws {
        let statuses = try models.load().statuses
        print("model directory: \(models.resolved)")
        for status in statuses {
            let entry = status.entry
            let state = switch status.state {
            case .loaded: "hash ok, loaded"
            case .missing: "missing (make deps installs it)"
            case .hashMismatch(let actual): "hash mismatch: \(actual), expected \(entry.sha256); refused"
            case .failed(let reason): "hash ok, failed to load: \(reason)"
            }
            print("""

                \(entry.name): \(entry.file)
                  \(entry.purpose)
                  licence: \(entry.license)
                  source:  \(entry.source)
                  from:    \(entry.package) \(entry.version) (PyPI wheel)
                  status:  \(state)
                """)
        }
        if statuses.contains(where: { $0.state != .loaded }) {
            print("\nThe tasks of the models that did not load run on the classical vision path.")
            throw ExitCode(1)
        }
    }
}
