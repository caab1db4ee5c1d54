import Foundation

/// The embedded default: objects are files under one folder, written under a temporary name
/// and renamed, so a crash never leaves half a file under the real name.
public struct LocalFolderObjectStore: ObjectStore {
    public let root: URL

    public init(root: URL) throws {
        self.root = root
        try FileManager.default.createDirectory(at: root, withIntermediateDirectories: true)
    }

    public func put(_ bytes: [UInt8], key: String, contentType: String) throws {
        let destination = try file(key)
        let folder = destination.deletingLastPathComponent()
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        let temporary = folder.appendingPathComponent(".\(destination.lastPathComponent).\(UUID().uuidString).partial")
        try Data(bytes).write(to: temporary)
        guard rename(temporary.path, destination.path) == 0 else {
            let code = errno
            try? FileManager.default.removeItem(at: temporary)
            throw ObjectStoreError.backend("cannot store \(key) (errno \(code))")
        }
    }

    public func get(key: String) throws -> [UInt8]? {
        let url = try file(key)
        guard FileManager.default.fileExists(atPath: url.path) else { return nil }
        return Array(try Data(contentsOf: url))
    }

    public func delete(key: String) throws {
        let url = try file(key)
        if FileManager.default.fileExists(atPath: url.path) { try FileManager.default.removeItem(at: url) }
    }

    public func deleteAll(under prefix: String) throws {
        let url = try file(prefix)
        if FileManager.default.fileExists(atPath: url.path) { try FileManager.default.removeItem(at: url) }
    }

    private func file(_ key: String) throws -> URL {
        guard ObjectKey.isValid(key) else { throw ObjectStoreError.invalidKey(key) }
        return root.appendingPathComponent(key)
    }
}
