import Crypto
import Foundation

/// AWS Signature Version 4 for S3, in the `Authorization` header: what every S3-compatible
/// server (AWS, SeaweedFS, MinIO, R2) checks before it answers.
///
/// The payload is always hashed and signed (never `UNSIGNED-PAYLOAD`), so a body cannot be
/// swapped in flight even over plain HTTP to a local server.
struct SigV4: Sendable {
    let accessKeyID: String
    let secretAccessKey: String
    let region: String

    static let algorithm = "AWS4-HMAC-SHA256"
    static let service = "s3"

    /// The headers to send: `headers`, plus `host`, `x-amz-date`, `x-amz-content-sha256` and
    /// `authorization`, all of them except `authorization` signed.
    ///
    /// `path` and the query are raw; they are encoded here as S3 expects, and the request must
    /// go out with ``canonicalPath(_:)`` and ``canonicalQuery(_:)`` so that what is sent is
    /// exactly what was signed.
    func signedHeaders(
        method: String,
        host: String,
        path: String,
        query: [(name: String, value: String)],
        headers: [(name: String, value: String)],
        payloadSHA256: String,
        date: Date
    ) -> [(name: String, value: String)] {
        let timestamp = Self.timestamp(date)
        let all = headers + [("host", host), ("x-amz-content-sha256", payloadSHA256), ("x-amz-date", timestamp)]
        let canonicalHeaders = all
            .map { (name: $0.name.lowercased(), value: Self.trimmed($0.value)) }
            .sorted { $0.name < $1.name }
        let signedNames = canonicalHeaders.map(\.name).joined(separator: ";")

        let canonicalRequest = [
            method,
            Self.canonicalPath(path),
            Self.canonicalQuery(query),
            canonicalHeaders.map { "\($0.name):\($0.value)\n" }.joined(),
            signedNames,
            payloadSHA256,
        ].joined(separator: "\n")

        let day = String(timestamp.prefix(8))
        let scope = "\(day)/\(region)/\(Self.service)/aws4_request"
        let stringToSign = [Self.algorithm, timestamp, scope, Self.hexSHA256(Array(canonicalRequest.utf8))]
            .joined(separator: "\n")

        var key = SymmetricKey(data: Array("AWS4\(secretAccessKey)".utf8))
        for part in [day, region, Self.service, "aws4_request"] {
            key = SymmetricKey(data: Self.hmac(part, key: key))
        }
        let signature = Self.hex(Self.hmac(stringToSign, key: key))

        let authorization = "\(Self.algorithm) Credential=\(accessKeyID)/\(scope),SignedHeaders=\(signedNames),Signature=\(signature)"
        return all + [("authorization", authorization)]
    }

    /// Each `/`-separated segment URI-encoded once, the slashes kept (S3 does not normalise
    /// paths, so `.` segments and repeated slashes stay as they are).
    static func canonicalPath(_ path: String) -> String {
        path.split(separator: "/", omittingEmptySubsequences: false)
            .map { uriEncode(String($0)) }
            .joined(separator: "/")
    }

    /// Names and values encoded, sorted by name then value, `name=value` joined with `&`;
    /// a parameter without a value is `name=`.
    static func canonicalQuery(_ query: [(name: String, value: String)]) -> String {
        query.map { (name: uriEncode($0.name), value: uriEncode($0.value)) }
            .sorted { ($0.name, $0.value) < ($1.name, $1.value) }
            .map { "\($0.name)=\($0.value)" }
            .joined(separator: "&")
    }

    /// RFC 3986 percent-encoding of every byte but the unreserved ones, upper-case hex:
    /// not Foundation's URL encodings, which leave characters such as `!*'()` or `+` alone.
    static func uriEncode(_ text: String) -> String {
        var encoded = ""
        for byte in text.utf8 {
            switch byte {
            case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"),
                UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "-"), UInt8(ascii: "_"),
                UInt8(ascii: "."), UInt8(ascii: "~"):
                encoded.append(Character(Unicode.Scalar(byte)))
            default:
                encoded += String(format: "%%%02X", byte)
            }
        }
        return encoded
    }

    static func hexSHA256(_ bytes: [UInt8]) -> String {
        hex(SHA256.hash(data: bytes))
    }

    /// `yyyyMMdd'T'HHmmss'Z'` in UTC.
    static func timestamp(_ date: Date) -> String {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "UTC")!
        let parts = calendar.dateComponents([.year, .month, .day, .hour, .minute, .second], from: date)
        func digits(_ value: Int?, _ width: Int) -> String {
            let text = String(value ?? 0)
            return String(repeating: "0", count: max(0, width - text.count)) + text
        }
        return digits(parts.year, 4) + digits(parts.month, 2) + digits(parts.day, 2) + "T"
            + digits(parts.hour, 2) + digits(parts.minute, 2) + digits(parts.second, 2) + "Z"
    }

    /// Header values are signed trimmed, with runs of spaces made one.
    private static func trimmed(_ value: String) -> String {
        value.split(separator: " ", omittingEmptySubsequences: true).joined(separator: " ")
    }

    private static func hmac(_ message: String, key: SymmetricKey) -> [UInt8] {
        Array(HMAC<SHA256>.authenticationCode(for: Array(message.utf8), using: key))
    }

    private static func hex(_ bytes: some Sequence<UInt8>) -> String {
        bytes.map { String(format: "%02x", $0) }.joined()
    }
}
