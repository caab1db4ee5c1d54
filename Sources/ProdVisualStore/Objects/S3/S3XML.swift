import Foundation

/// Reads the few elements we need from S3's small, flat XML answers (ListObjectsV2 pages and
/// error bodies) without an XML parser: their text has no nested markup, only entities.
enum S3XML {
    /// The decoded text of every `<name>…</name>` element, in document order.
    static func texts(of name: String, in xml: String) -> [String] {
        let open = "<\(name)>", close = "</\(name)>"
        var texts: [String] = []
        var rest = xml[...]
        while let start = rest.range(of: open), let end = rest.range(of: close, range: start.upperBound..<rest.endIndex) {
            texts.append(decodeEntities(rest[start.upperBound..<end.lowerBound]))
            rest = rest[end.upperBound...]
        }
        return texts
    }

    static func text(of name: String, in xml: String) -> String? {
        texts(of: name, in: xml).first
    }

    /// The five predefined entities and numeric character references, as XML requires.
    private static func decodeEntities(_ text: Substring) -> String {
        guard text.contains("&") else { return String(text) }
        var decoded = ""
        var rest = text
        while let ampersand = rest.firstIndex(of: "&"), let semicolon = rest[ampersand...].firstIndex(of: ";") {
            decoded += rest[..<ampersand]
            let entity = rest[rest.index(after: ampersand)..<semicolon]
            if let character = character(for: entity) {
                decoded.append(character)
            } else {
                decoded += rest[ampersand...semicolon]
            }
            rest = rest[rest.index(after: semicolon)...]
        }
        return decoded + rest
    }

    private static func character(for entity: Substring) -> Character? {
        switch entity {
        case "amp": return "&"
        case "lt": return "<"
        case "gt": return ">"
        case "quot": return "\""
        case "apos": return "'"
        default:
            let code: UInt32?
            if entity.hasPrefix("#x") {
                code = UInt32(entity.dropFirst(2), radix: 16)
            } else if entity.hasPrefix("#") {
                code = UInt32(entity.dropFirst(), radix: 10)
            } else {
                code = nil
            }
            return code.flatMap(Unicode.Scalar.init).map(Character.init)
        }
    }
}
