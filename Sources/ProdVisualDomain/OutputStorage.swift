import Crypto
import Foundation
import ProdVisualStore

/// Rendered files in the object store, served back through signed, expiring URLs.
///
/// A URL is `{publicURL}/output/{file}?expires={unix}&signature={hex}`, where the signature is
/// HMAC-SHA256 over "file:expires" under the server secret: it cannot be forged or extended, and
/// needs no database look-up to check. Every node sharing the secret and the object store
/// serves every link, whichever node rendered it.
public struct OutputStorage: Sendable {
    let objects: any ObjectStore
    let publicURL: String
    /// Raw key bytes: SymmetricKey itself is not Sendable.
    let signingKey: [UInt8]

    public init(objects: any ObjectStore, publicURL: String, secret: SymmetricKey) {
        self.objects = objects
        self.publicURL = publicURL.hasSuffix("/") ? String(publicURL.dropLast()) : publicURL
        self.signingKey = secret.withUnsafeBytes { Array($0) }
    }

    /// Stores the file whole or not at all; returns its size.
    public func write(_ bytes: [UInt8], as fileName: String) async throws -> Int {
        guard Self.isSafeFileName(fileName) else { throw ServiceError(.serverError, "Unsafe output file name.") }
        do {
            try await objects.put(bytes, key: Self.key(fileName), contentType: Self.contentType(of: fileName))
        } catch let error as ObjectStoreError {
            throw ServiceError(.serverError, "Cannot store the output: \(error).")
        }
        return bytes.count
    }

    public func delete(_ fileName: String) async throws {
        guard Self.isSafeFileName(fileName) else { return }
        try await objects.delete(key: Self.key(fileName))
    }

    public func url(for fileName: String, expiresAt: Date) -> String {
        let expires = Int(expiresAt.timeIntervalSince1970)
        return "\(publicURL)/output/\(fileName)?expires=\(expires)&signature=\(signature(fileName, expires))"
    }

    /// The file's bytes when the signature is genuine and unexpired and the file exists; nil otherwise.
    public func read(fileName: String, expires: String?, signature: String?, now: Date) async throws -> [UInt8]? {
        guard let expires, let expiry = Int(expires), let signature,
              Self.isSafeFileName(fileName),
              constantTimeEquals(signature, self.signature(fileName, expiry)),
              Double(expiry) > now.timeIntervalSince1970
        else { return nil }
        return try await objects.get(key: Self.key(fileName))
    }

    static func key(_ fileName: String) -> String { "outputs/\(fileName)" }

    public static func contentType(of fileName: String) -> String {
        switch fileName.split(separator: ".").last.map({ $0.lowercased() }) {
        case "png": "image/png"
        case "jpg", "jpeg": "image/jpeg"
        case "webp": "image/webp"
        default: "application/octet-stream"
        }
    }

    private func signature(_ fileName: String, _ expires: Int) -> String {
        HMAC<SHA256>.authenticationCode(for: Data("\(fileName):\(expires)".utf8), using: SymmetricKey(data: signingKey)).hexString
    }

    /// Output names are our own ids plus an extension: nothing else may reach the object store.
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

/// The server's own secret: it signs output links and seals API keys. One node creates it once in
/// its data directory (mode 0600); several nodes must share one, given to each as 64 hex digits.
public enum ServerSecret {
    /// 32 bytes written as 64 hexadecimal digits (`openssl rand -hex 32`).
    public static func parse(hex: String) throws -> SymmetricKey {
        let digits = Array(hex.trimmingCharacters(in: .whitespacesAndNewlines).utf8)
        var bytes: [UInt8] = []
        var index = 0
        while digits.count == 64, index < 64, let byte = UInt8(String(decoding: digits[index..<index + 2], as: UTF8.self), radix: 16) {
            bytes.append(byte)
            index += 2
        }
        guard bytes.count == 32 else {
            throw ServiceError(.serverError, "The server secret must be 64 hexadecimal digits (make one with: openssl rand -hex 32).")
        }
        return SymmetricKey(data: bytes)
    }

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
