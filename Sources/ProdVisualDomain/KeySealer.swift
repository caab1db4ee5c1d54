import Crypto
import Foundation

/// Encrypts API key secrets at rest. Keys are looked up by hash, but webhooks are signed with the
/// key itself (as the API document specifies), so the secret is kept, sealed with AES-GCM under
/// a key derived from the server secret: a stolen database alone reveals no key.
public struct KeySealer: Sendable {
    /// Raw key bytes: SymmetricKey itself is not Sendable.
    private let key: [UInt8]

    public init(serverSecret: SymmetricKey) {
        let derived = HKDF<SHA256>.deriveKey(
            inputKeyMaterial: serverSecret, info: Data("prodvisual api-key seal v1".utf8), outputByteCount: 32)
        key = derived.withUnsafeBytes { Array($0) }
    }

    /// Base64 of nonce, ciphertext and tag.
    public func seal(_ secret: String) throws -> String {
        guard let combined = try AES.GCM.seal(Data(secret.utf8), using: SymmetricKey(data: key)).combined else {
            throw ServiceError(.serverError, "Cannot seal the key.")
        }
        return combined.base64EncodedString()
    }

    /// The secret, or nil when the text was not sealed under this server's secret.
    public func open(_ sealed: String) -> String? {
        guard let data = Data(base64Encoded: sealed),
              let box = try? AES.GCM.SealedBox(combined: data),
              let plain = try? AES.GCM.open(box, using: SymmetricKey(data: key))
        else { return nil }
        return String(decoding: plain, as: UTF8.self)
    }
}
