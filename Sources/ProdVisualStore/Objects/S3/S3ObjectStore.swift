import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1

/// Objects in an S3-compatible bucket (AWS, SeaweedFS, MinIO, R2), for when several nodes must
/// see the same files.
///
/// Requests are path-style, `{endpoint}/{bucket}/{prefix}/{key}`, which every S3-compatible
/// server answers without a DNS name per bucket. A PUT replaces an object whole, so readers never
/// see half of one.
public struct S3ObjectStore: ObjectStore {
    /// Where the objects live, as written `s3://BUCKET[/PREFIX]`.
    public struct Location: Equatable, Sendable {
        public let bucket: String
        /// The folder of the bucket every key is under; nil for the bucket's root.
        public let prefix: String?

        /// Reads `s3://BUCKET` or `s3://BUCKET/PREFIX` and nothing else: a bucket name as S3
        /// allows it, and a prefix of the same form as an object key.
        public static func parse(_ url: String) throws -> Location {
            let scheme = "s3://"
            func refuse(_ reason: String) -> S3ConfigurationError {
                S3ConfigurationError("object store URL '\(url)' is not s3://BUCKET[/PREFIX]: \(reason)")
            }
            guard url.hasPrefix(scheme) else { throw refuse("it must start with s3://") }
            var path = url.dropFirst(scheme.count)
            if path.hasSuffix("/") { path = path.dropLast() }
            let bucket = String(path.prefix { $0 != "/" })
            let prefix = path.count > bucket.count ? String(path.dropFirst(bucket.count + 1)) : nil
            guard isValidBucketName(bucket) else {
                throw refuse("'\(bucket)' is not a bucket name (3 to 63 lower-case letters, digits, '.' and '-')")
            }
            if let prefix, !ObjectKey.isValid(prefix) {
                throw refuse("the prefix '\(prefix)' must be 1 to 4 parts of letters, digits, '_', '-' and '.'")
            }
            return Location(bucket: bucket, prefix: prefix)
        }

        private static func isValidBucketName(_ name: String) -> Bool {
            let isLetterOrDigit = { (character: Character) in character.isLetter || character.isNumber }
            return (3...63).contains(name.count)
                && name.allSatisfy { $0.isASCII && ($0.isLowercase || $0.isNumber || $0 == "." || $0 == "-") }
                && name.first.map(isLetterOrDigit) == true && name.last.map(isLetterOrDigit) == true
        }
    }

    public let location: Location
    /// `scheme://host[:port]`, with no path.
    public let endpoint: String
    /// The endpoint's `host[:port]` as written: sent and signed as the Host header.
    private let host: String
    private let signer: SigV4
    private let httpClient: HTTPClient
    /// How many keys a ListObjectsV2 page asks for; the tests make it small to walk many pages.
    var listPageSize = 1000
    /// Every request, its body included, must be done within this; AsyncHTTPClient's own
    /// deadline stops at the response head. The tests shorten it to see it work.
    var requestTimeout: Duration = .seconds(30)
    /// Far above any upload (15 MiB) or platform output (30 MB): a bound on memory, not a policy.
    static let maximumObjectBytes = 256 * 1024 * 1024
    /// A ListObjectsV2 page of 1000 keys is some hundreds of kilobytes.
    private static let maximumListBytes = 16 * 1024 * 1024
    private static let maximumErrorBytes = 64 * 1024

    /// - Parameters:
    ///   - url: `s3://BUCKET[/PREFIX]`.
    ///   - endpoint: `http(s)://HOST[:PORT]` of an S3-compatible server; nil for AWS's
    ///     `https://s3.{region}.amazonaws.com`.
    public init(
        url: String, endpoint: String?, region: String, accessKeyID: String, secretAccessKey: String,
        httpClient: HTTPClient
    ) throws {
        location = try Location.parse(url)
        let endpoint = endpoint ?? "https://s3.\(region).amazonaws.com"
        let trimmed = endpoint.hasSuffix("/") ? String(endpoint.dropLast()) : endpoint
        guard let components = URLComponents(string: trimmed),
            let scheme = components.scheme?.lowercased(), scheme == "http" || scheme == "https",
            components.host?.isEmpty == false, components.path.isEmpty,
            components.query == nil, components.fragment == nil, components.user == nil
        else {
            throw S3ConfigurationError("S3 endpoint '\(endpoint)' is not http(s)://HOST[:PORT]")
        }
        self.endpoint = trimmed
        host = String(trimmed.dropFirst(scheme.count + "://".count))
        signer = SigV4(accessKeyID: accessKeyID, secretAccessKey: secretAccessKey, region: region)
        self.httpClient = httpClient
    }

    public func put(_ bytes: [UInt8], key: String, contentType: String) async throws {
        let objectKey = try bucketKey(key)
        let response = try await send(
            .PUT, key: objectKey, body: bytes, contentType: contentType, successLimit: Self.maximumErrorBytes)
        guard (200..<300).contains(response.status.code) else { throw failure("PUT \(key)", response) }
    }

    public func get(key: String) async throws -> [UInt8]? {
        let objectKey = try bucketKey(key)
        let response = try await send(.GET, key: objectKey, successLimit: Self.maximumObjectBytes)
        switch response.status.code {
        case 200: return Array(response.body.readableBytesView)
        case 404 where !response.isMissingBucket: return nil
        default: throw failure("GET \(key)", response)
        }
    }

    public func delete(key: String) async throws {
        try await deleteObject(try bucketKey(key), named: key)
    }

    public func deleteAll(under prefix: String) async throws {
        let listPrefix = try bucketKey(prefix) + "/"
        var continuationToken: String?
        repeat {
            var query = [
                (name: "list-type", value: "2"), (name: "prefix", value: listPrefix),
                (name: "max-keys", value: String(listPageSize)),
            ]
            if let continuationToken { query.append((name: "continuation-token", value: continuationToken)) }
            let response = try await send(.GET, key: nil, query: query, successLimit: Self.maximumListBytes)
            guard response.status.code == 200 else { throw failure("LIST \(prefix)", response) }
            let page = String(decoding: response.body.readableBytesView, as: UTF8.self)

            // Deleting a page before asking for the next is safe: the token marks a key, not
            // a position.
            for objectKey in S3XML.texts(of: "Key", in: page) {
                // A listing is the server's word; never delete outside what was asked for.
                guard objectKey.hasPrefix(listPrefix) else {
                    throw ObjectStoreError.backend("LIST \(prefix): the server listed '\(objectKey)' under '\(listPrefix)'")
                }
                try await deleteObject(objectKey, named: objectKey)
            }

            continuationToken = nil
            if S3XML.text(of: "IsTruncated", in: page) == "true" {
                guard let next = S3XML.text(of: "NextContinuationToken", in: page) else {
                    throw ObjectStoreError.backend("LIST \(prefix): a truncated page without a continuation token")
                }
                continuationToken = next
            }
        } while continuationToken != nil
    }

    /// Deleting a missing object succeeds, as the protocol promises; a missing bucket does not.
    private func deleteObject(_ objectKey: String, named name: String) async throws {
        let response = try await send(.DELETE, key: objectKey, successLimit: Self.maximumErrorBytes)
        guard (200..<300).contains(response.status.code) || (response.status.code == 404 && !response.isMissingBucket)
        else { throw failure("DELETE \(name)", response) }
    }

    /// The key within the bucket: the location's prefix, then the caller's key once checked.
    private func bucketKey(_ key: String) throws -> String {
        guard ObjectKey.isValid(key) else { throw ObjectStoreError.invalidKey(key) }
        return location.prefix.map { "\($0)/\(key)" } ?? key
    }

    // MARK: - HTTP

    private struct Response: Sendable {
        let status: HTTPResponseStatus
        let body: ByteBuffer

        /// S3 answers 404 both for a missing key and for a missing bucket; only the first is
        /// "no such object", the second is a configuration error to report.
        var isMissingBucket: Bool {
            S3XML.text(of: "Code", in: String(decoding: body.readableBytesView, as: UTF8.self)) == "NoSuchBucket"
        }
    }

    /// Signs and sends one request to the bucket (`key` nil) or to an object, and reads the
    /// whole answer: up to `successLimit` bytes of a 2xx body, less of an error's.
    private func send(
        _ method: HTTPMethod, key: String?, query: [(name: String, value: String)] = [], body: [UInt8] = [],
        contentType: String? = nil, successLimit: Int
    ) async throws -> Response {
        let path = "/\(location.bucket)" + (key.map { "/\($0)" } ?? "")
        let queryString = SigV4.canonicalQuery(query)
        var request = HTTPClientRequest(
            url: endpoint + SigV4.canonicalPath(path) + (queryString.isEmpty ? "" : "?\(queryString)"))
        request.method = method
        let headers = signer.signedHeaders(
            method: method.rawValue, host: host, path: path, query: query,
            headers: contentType.map { [(name: "content-type", value: $0)] } ?? [],
            payloadSHA256: SigV4.hexSHA256(body), date: Date())
        for header in headers { request.headers.add(name: header.name, value: header.value) }
        if method == .PUT { request.body = .bytes(ByteBuffer(bytes: body)) }

        let operation = "\(method.rawValue) \(key ?? location.bucket)"
        let httpClient = self.httpClient
        let timeout = requestTimeout
        do {
            return try await withThrowingTaskGroup(of: Response.self) { group in
                group.addTask { [request] in
                    let response = try await httpClient.execute(request, timeout: TimeAmount(timeout))
                    let limit = (200..<300).contains(response.status.code) ? successLimit : Self.maximumErrorBytes
                    return Response(status: response.status, body: try await response.body.collect(upTo: limit))
                }
                group.addTask {
                    try await Task.sleep(for: timeout)
                    throw ObjectStoreError.backend("\(operation): no complete answer within \(timeout)")
                }
                defer { group.cancelAll() }
                // Two tasks were added: the first to finish, or to fail, decides.
                return try await group.next()!
            }
        } catch let error as ObjectStoreError {
            throw error
        } catch {
            throw ObjectStoreError.backend("\(operation): \(error)")
        }
    }

    /// `PUT a/b.png: 403 SignatureDoesNotMatch The request signature we calculated…`
    private func failure(_ operation: String, _ response: Response) -> ObjectStoreError {
        let xml = String(decoding: response.body.readableBytesView, as: UTF8.self)
        let said = [S3XML.text(of: "Code", in: xml), S3XML.text(of: "Message", in: xml)].compactMap { $0 }
        return .backend(([operation + ":", String(response.status.code)] + said).joined(separator: " "))
    }
}

/// An S3 object store's settings are unusable: the message says which and why.
public struct S3ConfigurationError: Error, Equatable, Sendable, CustomStringConvertible {
    public let description: String

    init(_ description: String) {
        self.description = description
    }
}
