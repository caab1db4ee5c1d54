import Foundation
import Testing

@testable import ProdVisualStore

/// The worked examples of AWS's "Signature calculations for the Authorization header" page for
/// S3: their credentials, their moment, their expected signatures.
@Suite struct SigV4Tests {
    let signer = SigV4(
        accessKeyID: "AKIAIOSFODNN7EXAMPLE", secretAccessKey: "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
        region: "us-east-1")
    let host = "examplebucket.s3.amazonaws.com"
    /// 2013-05-24T00:00:00Z.
    let moment = Date(timeIntervalSince1970: 1_369_353_600)
    let emptySHA256 = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"

    private func authorization(
        _ method: String, _ path: String, query: [(name: String, value: String)] = [],
        headers: [(name: String, value: String)] = [], payloadSHA256: String? = nil
    ) throws -> String {
        let signed = signer.signedHeaders(
            method: method, host: host, path: path, query: query, headers: headers,
            payloadSHA256: payloadSHA256 ?? emptySHA256, date: moment)
        return try #require(signed.first { $0.name == "authorization" }?.value)
    }

    @Test func getObjectWithRange() throws {
        #expect(
            try authorization("GET", "/test.txt", headers: [(name: "Range", value: "bytes=0-9")])
                == "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request,"
                + "SignedHeaders=host;range;x-amz-content-sha256;x-amz-date,"
                + "Signature=f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41")
    }

    /// A payload, a key with a character to encode (`$`), and headers sorted around the
    /// ones the signer adds.
    @Test func putObject() throws {
        let payloadSHA256 = SigV4.hexSHA256(Array("Welcome to Amazon S3.".utf8))
        #expect(payloadSHA256 == "44ce7dd67c959e0d3524ffac1771dfbba87d2b6b4b4e99e42034a8b803f8b072")
        let value = try authorization(
            "PUT", "/test$file.text",
            headers: [
                (name: "Date", value: "Fri, 24 May 2013 00:00:00 GMT"),
                (name: "x-amz-storage-class", value: "REDUCED_REDUNDANCY"),
            ],
            payloadSHA256: payloadSHA256)
        #expect(value.contains("SignedHeaders=date;host;x-amz-content-sha256;x-amz-date;x-amz-storage-class,"))
        #expect(value.hasSuffix("Signature=98ad721746da40c64f1a55b78f14c238d841ea1380cd77a1b5971af0ece108bd"))
    }

    /// A query parameter without a value is signed as `lifecycle=`.
    @Test func getBucketLifecycle() throws {
        #expect(
            try authorization("GET", "/", query: [(name: "lifecycle", value: "")])
                .hasSuffix("Signature=fea454ca298b7da1c68078a5d1bdbfbbe0d65c699e0f91ac7a200a0136783543"))
    }

    /// Given out of order, the query is signed sorted.
    @Test func listObjects() throws {
        #expect(
            try authorization("GET", "/", query: [(name: "prefix", value: "J"), (name: "max-keys", value: "2")])
                .hasSuffix("Signature=34b48302e7b5fa45bde8084f4b7868a86f0a534bc59db6670ed5711ef69dc6f7"))
    }

    @Test func signedHeadersAreSentAsSigned() {
        let signed = signer.signedHeaders(
            method: "PUT", host: "127.0.0.1:8333", path: "/b/k", query: [],
            headers: [(name: "content-type", value: "image/png")], payloadSHA256: emptySHA256, date: moment)
        let names = signed.map(\.name)
        #expect(names == ["content-type", "host", "x-amz-content-sha256", "x-amz-date", "authorization"])
        #expect(signed.first { $0.name == "host" }?.value == "127.0.0.1:8333")
        #expect(signed.first { $0.name == "x-amz-date" }?.value == "20130524T000000Z")
        #expect(signed.last?.value.contains("SignedHeaders=content-type;host;x-amz-content-sha256;x-amz-date,") == true)
    }

    @Test func encodingIsS3s() {
        #expect(SigV4.uriEncode("a-b_c.d~e") == "a-b_c.d~e")
        #expect(SigV4.uriEncode("a b+c=é!*'()/") == "a%20b%2Bc%3D%C3%A9%21%2A%27%28%29%2F")
        #expect(SigV4.canonicalPath("/bucket/a b/c$d.png") == "/bucket/a%20b/c%24d.png")
        #expect(
            SigV4.canonicalQuery([(name: "prefix", value: "p/run 1/"), (name: "list-type", value: "2")])
                == "list-type=2&prefix=p%2Frun%201%2F")
    }

    @Test func timestampsAreUTC() {
        #expect(SigV4.timestamp(moment) == "20130524T000000Z")
        #expect(SigV4.timestamp(Date(timeIntervalSince1970: 1_780_000_000)) == "20260528T202640Z")
    }
}
