import Crypto
import Foundation

/// Random, URL-safe identifiers and secrets.
public enum Identifiers {
    private static let alphabet = Array("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz")

    /// `count` base62 characters from the system's CSPRNG (unbiased: rejection sampling).
    public static func randomBase62(_ count: Int) -> String {
        var generator = SystemRandomNumberGenerator()
        return String((0..<count).map { _ in alphabet[Int.random(in: 0..<alphabet.count, using: &generator)] })
    }

    public static func generation() -> String { "gen_" + randomBase62(14) }
    public static func account() -> String { "acct_" + randomBase62(14) }
    public static func key() -> String { "key_" + randomBase62(14) }
    public static func batch() -> String { "batch_" + randomBase62(14) }
    /// 24 lower-case hex digits, the shape of the ids EcomViz clients know (MongoDB ObjectIds).
    public static func product() -> String {
        var generator = SystemRandomNumberGenerator()
        return (0..<12).map { _ in String(format: "%02x", UInt8.random(in: 0...255, using: &generator)) }.joined()
    }

    /// Lower-case hex SHA-256.
    public static func sha256Hex(_ text: String) -> String {
        sha256Hex(Array(text.utf8))
    }

    public static func sha256Hex(_ bytes: [UInt8]) -> String {
        SHA256.hash(data: bytes).hexString
    }
}

extension Sequence where Element == UInt8 {
    var hexString: String { map { String(format: "%02x", $0) }.joined() }
}
