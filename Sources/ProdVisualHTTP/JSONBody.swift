import Foundation
import Hummingbird
import ProdVisualDomain

/// What every JSON request body must be before it is decoded: declared as JSON, not empty, and
/// with each key once per object. Parsers keep the last of two equal keys without a word, so a
/// body like `{"style":"white_bg","style":"lifestyle"}` would mean something the sender may not
/// have meant; it is refused instead.
enum JSONBody {
    static func check(_ buffer: ByteBuffer, contentType: String, expecting what: String) throws {
        guard !contentType.isEmpty else {
            throw ServiceError.invalid("Missing Content-Type: send the body as application/json.")
        }
        let mediaType = contentType.split(separator: ";").first.map { $0.trimmingCharacters(in: .whitespaces) } ?? ""
        guard mediaType == "application/json" || mediaType.hasSuffix("+json") else {
            throw ServiceError.invalid("Unsupported Content-Type '\(contentType)'. Send application/json.")
        }
        guard buffer.readableBytes > 0 else { throw ServiceError.invalid("The request body is empty: send \(what).") }
        if let key = firstDuplicateKey(in: buffer.readableBytesView) {
            throw ServiceError.invalid("The request body has the key '\(key)' twice in one object; send each key once.")
        }
    }

    /// The first key that appears twice in one object; nil when none does. Only strings in key
    /// position count, compared after their escapes are decoded.
    static func firstDuplicateKey(in bytes: some Collection<UInt8>) -> String? {
        var stack: [JSONFrame] = []
        var index = bytes.startIndex
        while index != bytes.endIndex {
            let byte = bytes[index]
            switch byte {
            case UInt8(ascii: "{"): stack.append(.object(keys: [], expectingKey: true))
            case UInt8(ascii: "["): stack.append(.array)
            case UInt8(ascii: "}"), UInt8(ascii: "]"): _ = stack.popLast()
            case UInt8(ascii: ","):
                if case .object(let keys, _) = stack.last { stack[stack.count - 1] = .object(keys: keys, expectingKey: true) }
            case UInt8(ascii: "\""):
                var end = bytes.index(after: index)
                while end != bytes.endIndex, bytes[end] != UInt8(ascii: "\"") {
                    if bytes[end] == UInt8(ascii: "\\") { end = bytes.index(after: end) }
                    if end != bytes.endIndex { end = bytes.index(after: end) }
                }
                guard end != bytes.endIndex else { return nil }
                if case .object(var keys, true) = stack.last {
                    let token = Array(bytes[index...end])
                    let key = (try? JSONSerialization.jsonObject(with: Data(token), options: .fragmentsAllowed) as? String)
                        ?? String(decoding: token.dropFirst().dropLast(), as: UTF8.self)
                    guard keys.insert(key).inserted else { return key }
                    stack[stack.count - 1] = .object(keys: keys, expectingKey: false)
                }
                index = end
            default: break
            }
            index = bytes.index(after: index)
        }
        return nil
    }
}

/// An open object (with the keys seen so far) or array, while scanning for duplicate keys.
private enum JSONFrame {
    case object(keys: Set<String>, expectingKey: Bool)
    case array
}
