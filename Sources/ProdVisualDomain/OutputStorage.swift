import Crypto
import Foundation

/// Rendered files on local disk, served back through signed, expiring URLs.
///
/// A URL is `{publicURL}/output/{file}?expires={unix}&signature={hex}`, where the signature is
/// HMAC-SHA256 over "file:expires" under the server secret: it cannot be forged or extended, and
/// needs no database look-up to check.
public struct OutputStorage: Sendable {
    public let directory: URL
    let publicURL: String
    /// Raw key bytes: SymmetricKey itself is not Sendable.
    let signingKey: [UInt8]

    public init(directory: URL, publicURL: String, secret: SymmetricKey) throws {
        self.directory = directory
        self.publicURL = publicURL.hasSuffix("/") ? String(publicURL.dropLast()) : publicURL
        self.signingKey = secret.withUnsafeBytes { Array($0) }
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    }

    /// Writes the file atomically (temporary name, then rename): a crash never leaves half a file
    /// under the real name.
    public func write(_ bytes: [UInt8], as fileName: String) throws -> Int {
        let destination = directory.appendingPathComponent(fileName)
        let temporary = directory.appendingPathComponent(".\(fileName).partial")
        try Data(bytes).write(to: temporary)
        guard rename(temporary.path, destination.path) == 0 else {
            try? FileManager.default.removeItem(at: temporary)
            throw ServiceError(.serverError, "Cannot store the output (errno \(errno)).")
        }
        return bytes.count
    }

    public func delete(_ fileName: String) {
        try? FileManager.default.removeItem(at: directory.appendingPathComponent(fileName))
    }

    public func url(for fileName: String, expiresAt: Date) -> String {
        let expires = Int(expiresAt.timeIntervalSince1970)
        return "\(publicURL)/output/\(fileName)?expires=\(expires)&signature=\(signature(fileName, expires))"
    }

    /// The file's location when the signature is genuine and unexpired; nil otherwise.
    public func resolve(fileName: String, expires: String?, signature: String?, now: Date) -> URL? {
        guard let expires, let expiry = Int(expires), let signature,
              Self.isSafeFileName(fileName),
              constantTimeEquals(signature, self.signature(fileName, expiry)),
              Double(expiry) > now.timeIntervalSince1970
        else { return nil }
        let file = directory.appendingPathComponent(fileName)
        return FileManager.default.fileExists(atPath: file.path) ? file : nil
    }

    private func signature(_ fileName: String, _ expires: Int) -> String {
        HMAC<SHA256>.authenticationCode(for: Data("\(fileName):\(expires)".utf8), using: SymmetricKey(data: signingKey)).hexString
    }

    /// Output names are our own ids plus an extension: nothing else may reach the file system.
    static func isSafeFileName(_ name: String) -> Bool {
        !name.isEmpty && name.count < 64 && !name.hasPrefix(".")
            && name.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "_" || $0 == ".") }
    }

    private func constantTimeEquals(_ a: String, _ b: String) -> Bool {
        let x = Array(a.utf8), y = Array(b.utf8)
        guard x.count == y.count else { return false }
        return zip(x, y).reduce(0) { $0 | ($1.0 ^ $1.1) } == 0
    }
}

/// The server's own secret, created once in the data directory (mode 0600).
public enum ServerSecret {
    public static func loadOrCreate(in dataDirectory: URL) throws -> SymmetricKey {
        let file = dataDirectory.appendingPathComponent("server.key")
        if let existing = try? Data(contentsOf: file), existing.count == 32 {
            return SymmetricKey(data: existing)
        }
        let key = SymmetricKey(size: .bits256)
        let bytes = key.withUnsafeBytes { Data($0) }
        try FileManager.default.createDirectory(at: dataDirectory, withIntermediateDirectories: true)
        guard FileManager.default.createFile(atPath: file.path, contents: bytes, attributes: [.posixPermissions: 0o600]) else {
            throw ServiceError(.serverError, "Cannot write \(file.path).")
        }
        return key
    }
}
