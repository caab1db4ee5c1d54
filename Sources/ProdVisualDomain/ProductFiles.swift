import Foundation

/// Source photos of products, kept on local disk so that generation never fetches them again.
/// One folder per product; files are written atomically under names the service chooses.
public struct ProductFiles: Sendable {
    public let directory: URL

    public init(directory: URL) throws {
        self.directory = directory
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    }

    /// Stores a source photo and returns its path relative to the directory.
    public func write(_ bytes: [UInt8], product: String, name: String) throws -> String {
        guard OutputStorage.isSafeFileName(product), OutputStorage.isSafeFileName(name) else {
            throw ServiceError(.serverError, "Unsafe product file name.")
        }
        let folder = directory.appendingPathComponent(product)
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        let temporary = folder.appendingPathComponent(".\(name).partial")
        try Data(bytes).write(to: temporary)
        guard rename(temporary.path, folder.appendingPathComponent(name).path) == 0 else {
            throw ServiceError(.serverError, "Cannot store the product photo (errno \(errno)).")
        }
        return "\(product)/\(name)"
    }

    public func read(_ relativePath: String) throws -> [UInt8] {
        let parts = relativePath.split(separator: "/").map(String.init)
        guard parts.count == 2, parts.allSatisfy(OutputStorage.isSafeFileName) else {
            throw ServiceError(.serverError, "Unsafe product file path.")
        }
        return Array(try Data(contentsOf: directory.appendingPathComponent(relativePath)))
    }

    /// Removes a product's folder (a creation that failed half-way).
    public func delete(product: String) {
        guard OutputStorage.isSafeFileName(product) else { return }
        try? FileManager.default.removeItem(at: directory.appendingPathComponent(product))
    }
}
