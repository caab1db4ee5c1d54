import CompressNIO
import Crypto
import Foundation
import Hummingbird

/// An answer that never changes while the server runs (the style and platform catalogues, the
/// OpenAPI document): encoded and compressed once, with an ETag so that a client that has it
/// gets a 304, and gzip for clients that ask for it.
struct StaticDocument: Sendable {
    let plain: ByteBuffer
    let gzipped: ByteBuffer
    let etag: String
    let contentType: String

    init(_ body: ByteBuffer, contentType: String = "application/json; charset=utf-8") throws {
        plain = body
        var source = body
        gzipped = try source.compress(with: .gzip())
        etag = "\"" + SHA256.hash(data: Data(body.readableBytesView)).prefix(16).map { String(format: "%02x", $0) }.joined() + "\""
        self.contentType = contentType
    }

    func response(to request: Request) -> Response {
        var headers: HTTPFields = [.eTag: etag, .cacheControl: "public, max-age=300", .vary: "Accept-Encoding"]
        if let tags = request.headers[.ifNoneMatch], Self.matches(tags, etag) {
            return Response(status: .notModified, headers: headers)
        }
        headers[.contentType] = contentType
        guard Self.acceptsGzip(request.headers[.acceptEncoding]) else {
            return Response(status: .ok, headers: headers, body: .init(byteBuffer: plain))
        }
        headers[.contentEncoding] = "gzip"
        return Response(status: .ok, headers: headers, body: .init(byteBuffer: gzipped))
    }

    /// `If-None-Match` holds a list of tags, possibly weak (`W/"…"`), or `*`.
    static func matches(_ header: String, _ etag: String) -> Bool {
        header.split(separator: ",").contains { tag in
            let tag = tag.trimmingCharacters(in: .whitespaces)
            return tag == "*" || tag == etag || tag == "W/" + etag
        }
    }

    /// Whether `Accept-Encoding` takes gzip at a quality above zero.
    static func acceptsGzip(_ header: String?) -> Bool {
        guard let header else { return false }
        return header.split(separator: ",").contains { entry in
            let parts = entry.split(separator: ";").map { $0.trimmingCharacters(in: .whitespaces).lowercased() }
            guard parts.first == "gzip" || parts.first == "x-gzip" || parts.first == "*" else { return false }
            let quality = parts.dropFirst().first { $0.hasPrefix("q=") }.flatMap { Double($0.dropFirst(2)) } ?? 1
            return quality > 0
        }
    }
}
