import ArgumentParser
import Foundation
import Logging
import ProdVisualDomain
import ProdVisualHTTP

extension BenchCommand {
    /// Whether memory stays flat under sustained work: generations of every style over the
    /// packshots, two at a time, through the same services a server runs; the resident size after
    /// the first 100 beside the size after all of them.
    struct Soak: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Resident memory after 100 and after 1,000 generations (bar: the end within 10% of the first).")

        @Option(name: .customLong("bench-dir"), help: "The shared bench folder.") var benchDirectory = "../shared/bench"
        @Option(help: "Generations in all.") var generations = 1000
        @OptionGroup var models: ModelDirectoryOption

        func run() async throws {
            let scratch = FileManager.default.temporaryDirectory.appendingPathComponent("pv-soak-\(UUID().uuidString)")
            try FileManager.default.createDirectory(at: scratch, withIntermediateDirectories: true)
            defer { try? FileManager.default.removeItem(at: scratch) }
            // The packshots at 800 pixels: memory, not speed, is measured, and a thousand
            // generations should take minutes, not an hour.
            let names = try FileManager.default.subpathsOfDirectory(atPath: benchDirectory + "/packshots").filter { $0.hasSuffix(".jpg") }.sorted()
            let photos = try names.enumerated().map { index, name in
                let small = scratch.appendingPathComponent("\(index).jpg").path
                try BenchCommand.runTool("vips", ["thumbnail", benchDirectory + "/packshots/" + name, small + "[Q=90]", "800"])
                return Array(try Data(contentsOf: URL(fileURLWithPath: small)))
            }
            guard !photos.isEmpty else { throw CommandFailure("no packshots under \(benchDirectory)/packshots") }
            var logger = Logger(label: "bench")
            logger.logLevel = .error
            var configuration = ServerConfiguration()
            configuration.storage.dataDirectory = scratch.appendingPathComponent("data")
            configuration.modelDirectory = models.resolved
            let services = try await AppServices.open(configuration, logger: logger)
            let account = try await services.accounts.createAccount(name: "soak", credits: 0)
            let key = try await services.accounts.authenticate(
                bearer: try await services.accounts.issueKey(accountID: account.id, mode: .test, name: "soak").secret)
            // Cheap and varied: each style in turn, at a small size, over every packshot.
            let styles = StyleCatalog.all.map(\.id)
            let requests = (0..<generations).map { index in
                var request = GenerationRequest(source: .bytes(photos[index % photos.count]), style: styles[index % styles.count], dimensions: "600x600")
                if let style = StyleCatalog.style(id: styles[index % styles.count]) { ContactSheetCommand.sample(&request, for: style) }
                return request
            }

            var marks: [(count: Int, megabytes: Double)] = [(0, Self.residentMegabytes())]
            var failures = 0
            for start in stride(from: 0, to: requests.count, by: 2) {
                try await withThrowingTaskGroup(of: Bool.self) { group in
                    for request in requests[start..<min(start + 2, requests.count)] {
                        group.addTask { (try? await services.generations.generate(request, by: key)) != nil }
                    }
                    for try await succeeded in group where !succeeded { failures += 1 }
                }
                let done = min(start + 2, requests.count)
                if done == 100 || done == requests.count || done % 250 == 0 { marks.append((done, Self.residentMegabytes())) }
            }
            try await services.shutdown()
            for mark in marks { print(String(format: "  after %5d generations: RSS %6.1f MB", mark.count, mark.megabytes)) }
            if let first = marks.first(where: { $0.count == 100 }), let last = marks.last, last.count > 100 {
                print(String(format: "RSS after %d / after 100: %.2f (bar: at most 1.10); %d of %d failed", last.count, last.megabytes / first.megabytes, failures, requests.count))
            }
        }

        static func residentMegabytes() -> Double {
            let status = (try? String(contentsOfFile: "/proc/self/status", encoding: .utf8)) ?? ""
            let line = status.split(separator: "\n").first { $0.hasPrefix("VmRSS:") } ?? ""
            return (Double(line.split(separator: " ").dropFirst().first ?? "0") ?? 0) / 1024
        }
    }
}
