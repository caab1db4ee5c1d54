import Foundation
import Testing

#if canImport(FoundationNetworking)
import FoundationNetworking
@testable import ServerHarness
#endif

/// One HTTP answer, read whole.
struct HTTPReply: Sendable, CustomStringConvertible {
    let status: Int
    /// Header names in lower case.
    let headers: [String: String]
    let body: Data

    var text: String { String(decoding: body, as: UTF8.self) }

    func header(_ name: String) -> String? { headers[name.lowercased()] }

    /// The body as a JSON object.
    func json(sourceLocation: SourceLocation = #_sourceLocation) throws -> [String: Any] {
        let object = try? JSONSerialization.jsonObject(with: body)
        return try #require(object as? [String: Any], "not a JSON object: \(self)", sourceLocation: sourceLocation)
    }

    /// Checks the error envelope `{"error": {"code", "message", "status"}}` and returns the message.
    @discardableResult
    func expectError(_ code: String, _ status: Int, sourceLocation: SourceLocation = #_sourceLocation) throws -> String {
        #expect(self.status == status, "\(self)", sourceLocation: sourceLocation)
        let envelope = try #require(try json(sourceLocation: sourceLocation)["error"] as? [String: Any], "\(self)", sourceLocation: sourceLocation)
        #expect(envelope["code"] as? String == code, "\(self)", sourceLocation: sourceLocation)
        #expect(envelope["status"] as? Int == status, "\(self)", sourceLocation: sourceLocation)
        let message = envelope["message"] as? String ?? ""
        #expect(!message.isEmpty, "\(self)", sourceLocation: sourceLocation)
        return message
    }

    var description: String { "HTTP \(status): \(text.prefix(2000))" }
}

/// A plain HTTP client on loopback, like a customer's: URLSession, JSON in and out.
struct APIClient: Sendable {
    let baseURL: String
    private let session: URLSession

    init(baseURL: String) {
        self.baseURL = baseURL
        let configuration = URLSessionConfiguration.ephemeral
        configuration.connectionProxyDictionary = [:]
        configuration.requestCachePolicy = .reloadIgnoringLocalCacheData
        configuration.urlCache = nil
        session = URLSession(configuration: configuration)
    }

    func get(_ pathOrURL: String, key: String? = nil, timeout: TimeInterval = 120) async throws -> HTTPReply {
        try await send("GET", pathOrURL, key: key, body: nil, headers: [:], timeout: timeout)
    }

    func post(
        _ pathOrURL: String, key: String?, json object: [String: Any], headers: [String: String] = [:], timeout: TimeInterval = 300
    ) async throws -> HTTPReply {
        let body = try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])
        return try await send("POST", pathOrURL, key: key, body: body, headers: headers, timeout: timeout)
    }

    func send(
        _ method: String, _ pathOrURL: String, key: String?, body: Data?, headers: [String: String], timeout: TimeInterval
    ) async throws -> HTTPReply {
        let address = pathOrURL.hasPrefix("http") ? pathOrURL : baseURL + pathOrURL
        guard let url = URL(string: address) else { throw ServerProcessError(description: "bad URL \(address)") }
        var request = URLRequest(url: url, timeoutInterval: timeout)
        request.httpMethod = method
        if let key { request.setValue("Bearer \(key)", forHTTPHeaderField: "Authorization") }
        if let body {
            request.httpBody = body
            request.setValue("application/json", forHTTPHeaderField: "Content-Type")
        }
        for (name, value) in headers { request.setValue(value, forHTTPHeaderField: name) }
        let (data, response) = try await session.data(for: request)
        guard let http = response as? HTTPURLResponse else { throw ServerProcessError(description: "\(method) \(address): not HTTP") }
        var fields: [String: String] = [:]
        for (name, value) in http.allHeaderFields {
            if let name = name as? String, let value = value as? String { fields[name.lowercased()] = value }
        }
        return HTTPReply(status: http.statusCode, headers: fields, body: data)
    }
}

struct PollTimeout: Error, CustomStringConvertible {
    let description: String
}

/// Asks `probe` every `interval` until it returns a value, for at most `timeout`. Errors of
/// the probe (a connection refused while a server restarts, say) count as "not yet"; the last
/// one is in the time-out's message, with `context`.
func poll<T>(
    _ what: String, timeout: Duration, every interval: Duration = .milliseconds(200),
    context: @autoclosure () -> String = "",
    _ probe: () async throws -> T?
) async throws -> T {
    let start = ContinuousClock.now
    var lastError: (any Error)?
    while ContinuousClock.now - start < timeout {
        do {
            if let value = try await probe() { return value }
        } catch {
            lastError = error
        }
        try await Task.sleep(for: interval)
    }
    let tail = lastError.map { "; last error: \($0)" } ?? ""
    throw PollTimeout(description: "timed out after \(timeout) waiting for \(what)\(tail)\n\(context())")
}

/// RFC 3339 date-times as the API writes them, with or without fractional seconds.
func parseRFC3339(_ text: String) -> Date? {
    let plain = ISO8601DateFormatter()
    plain.formatOptions = [.withInternetDateTime]
    if let date = plain.date(from: text) { return date }
    let fractional = ISO8601DateFormatter()
    fractional.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
    return fractional.date(from: text)
}

/// True when the bytes start like a JPEG file (SOI marker, then another marker).
func looksLikeJPEG(_ data: Data) -> Bool {
    data.count > 3 && data.prefix(3).elementsEqual([0xFF, 0xD8, 0xFF])
}

extension ServerProcess {
    /// A client for the running process. Each use gets a new one, so no connection kept alive
    /// to a killed process is reused.
    var api: APIClient {
        get throws {
            guard isRunning else { throw ServerProcessError(description: "the server is not running") }
            return APIClient(baseURL: baseURL)
        }
    }
}
