import Foundation

/// Where rendered outputs, product photos and try-on inputs live: a local folder by default,
/// an S3-compatible bucket when several nodes must see the same files.
///
/// Keys are `/`-separated paths whose parts the service chooses (ids and extensions); every
/// implementation refuses anything else, so no caller can reach outside its folder or bucket prefix.
public protocol ObjectStore: Sendable {
    /// Stores the object whole or not at all: a reader never sees half of it.
    func put(_ bytes: [UInt8], key: String, contentType: String) async throws
    /// The object's bytes; nil when there is no such object.
    func get(key: String) async throws -> [UInt8]?
    /// Removes the object; removing one that does not exist is not an error.
    func delete(key: String) async throws
    /// Removes every object whose key starts with `prefix` followed by `/`.
    func deleteAll(under prefix: String) async throws
}

public enum ObjectKey {
    /// Whether `key` is one of ours: 1 to 4 parts of letters, digits, `_`, `-` and `.`, none
    /// empty, none starting with a dot.
    public static func isValid(_ key: String) -> Bool {
        let parts = key.split(separator: "/", omittingEmptySubsequences: false)
        return (1...4).contains(parts.count) && key.utf8.count <= 200 && parts.allSatisfy { part in
            !part.isEmpty && !part.hasPrefix(".")
                && part.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "_" || $0 == "-" || $0 == ".") }
        }
    }
}

public enum ObjectStoreError: Error, Equatable, Sendable, CustomStringConvertible {
    case invalidKey(String)
    /// The backend refused or failed: its status and what it said.
    case backend(String)

    public var description: String {
        switch self {
        case .invalidKey(let key): "invalid object key '\(key)'"
        case .backend(let message): "object store: \(message)"
        }
    }
}
