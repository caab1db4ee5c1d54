import CVips
import Foundation

/// The title a photo's own metadata gives it, if any: the first real one of XMP `dc:title`,
/// EXIF `XPTitle`, a PNG text chunk "Title", IPTC ObjectName (2:05), EXIF `ImageDescription`
/// and a PNG text chunk "Description". Cameras' and tools' defaults ("OLYMPUS DIGITAL CAMERA",
/// "default", "IMG_1234") are not titles.
enum EmbeddedTitle {
    /// Never throws: metadata that cannot be read is no title.
    static func read(_ source: [UInt8]) -> String? {
        title(in: fields(source))
    }

    /// The text fields and the XMP and IPTC blocks libvips finds in the header.
    static func fields(_ source: [UInt8]) -> [String: [UInt8]] {
        guard (try? Vips.start()) != nil else { return [:] }
        var out: UnsafeMutablePointer<UInt8>?
        var length = 0
        let status = source.withUnsafeBytes { pv_vips_text_fields($0.baseAddress, $0.count, &out, &length) }
        guard status == 0 else {
            _ = Vips.lastError()  // clears libvips' error state
            return [:]
        }
        guard let out else { return [:] }
        defer { pv_vips_free(out) }
        let bytes = UnsafeBufferPointer(start: out, count: length)
        var fields: [String: [UInt8]] = [:]
        var offset = 0
        func count() -> Int? {
            guard offset + 4 <= bytes.count else { return nil }
            let value = UnsafeRawBufferPointer(bytes).loadUnaligned(fromByteOffset: offset, as: UInt32.self)
            offset += 4
            return Int(value)
        }
        while let nameLength = count(), offset + nameLength <= bytes.count {
            let name = String(decoding: bytes[offset..<offset + nameLength], as: UTF8.self)
            offset += nameLength
            guard let valueLength = count(), offset + valueLength <= bytes.count else { break }
            fields[name] = Array(bytes[offset..<offset + valueLength])
            offset += valueLength
        }
        return fields
    }

    static func title(in fields: [String: [UInt8]]) -> String? {
        func text(_ name: String) -> String? { fields[name].map { String(decoding: $0, as: UTF8.self) } }
        // PNG text chunks: "png-comment-<index>-<keyword>".
        func png(_ keyword: String) -> String? {
            fields.keys.filter { $0.hasPrefix("png-comment-") && $0.hasSuffix("-" + keyword) }.sorted().lazy.compactMap(text).first
        }
        let candidates: [String?] = [
            fields["xmp-data"].flatMap(xmpTitle),
            text("exif-ifd0-XPTitle").map(exifValue),
            png("Title"),
            fields["iptc-data"].flatMap(iptcObjectName),
            text("exif-ifd0-ImageDescription").map(exifValue),
            png("Description"),
        ]
        return candidates.lazy.compactMap { $0.flatMap(cleaned) }.first
    }

    /// libvips shows an EXIF tag as "value (Tag Name, Format, N components, M bytes)".
    static func exifValue(_ shown: String) -> String {
        guard shown.hasSuffix(" bytes)"), let open = shown.range(of: " (", options: .backwards) else { return shown }
        return String(shown[..<open.lowerBound])
    }

    /// The x-default (else the first) entry of `dc:title` in an XMP packet.
    static func xmpTitle(_ packet: [UInt8]) -> String? {
        let xml = String(decoding: packet, as: UTF8.self)
        guard let start = xml.range(of: "<dc:title"), let end = xml.range(of: "</dc:title>", range: start.upperBound..<xml.endIndex)
        else { return nil }
        let element = xml[start.upperBound..<end.lowerBound]
        var entries: [(isDefault: Bool, text: String)] = []
        var rest = element[...]
        while let open = rest.range(of: "<rdf:li") {
            guard let tagEnd = rest.range(of: ">", range: open.upperBound..<rest.endIndex),
                  let close = rest.range(of: "</rdf:li>", range: tagEnd.upperBound..<rest.endIndex)
            else { break }
            let attributes = rest[open.upperBound..<tagEnd.lowerBound]
            entries.append((attributes.contains("x-default"), unescapeXML(String(rest[tagEnd.upperBound..<close.lowerBound]))))
            rest = rest[close.upperBound...]
        }
        return (entries.first { $0.isDefault } ?? entries.first)?.text
    }

    static func unescapeXML(_ text: String) -> String {
        var out = ""
        var rest = text[...]
        while let amp = rest.firstIndex(of: "&") {
            out += rest[..<amp]
            guard let semicolon = rest[amp...].firstIndex(of: ";"), rest.distance(from: amp, to: semicolon) <= 10 else {
                out += "&"
                rest = rest[rest.index(after: amp)...]
                continue
            }
            let entity = rest[rest.index(after: amp)..<semicolon]
            let named = ["amp": "&", "lt": "<", "gt": ">", "quot": "\"", "apos": "'"]
            if let value = named[String(entity)] {
                out += value
            } else if entity.hasPrefix("#x") || entity.hasPrefix("#X"), let code = UInt32(entity.dropFirst(2), radix: 16),
                      let scalar = Unicode.Scalar(code) {
                out.unicodeScalars.append(scalar)
            } else if entity.hasPrefix("#"), let code = UInt32(entity.dropFirst()), let scalar = Unicode.Scalar(code) {
                out.unicodeScalars.append(scalar)
            } else {
                out += rest[amp...semicolon]
            }
            rest = rest[rest.index(after: semicolon)...]
        }
        return out + rest
    }

    /// IPTC-IIM dataset 2:05 (Object Name): the tag marker 0x1C, record 2, dataset 5, a two-byte
    /// length, then the text (UTF-8, else Latin-1).
    static func iptcObjectName(_ block: [UInt8]) -> String? {
        var index = 0
        while index + 5 <= block.count {
            if block[index] == 0x1C, block[index + 1] == 2, block[index + 2] == 5 {
                let length = Int(block[index + 3]) << 8 | Int(block[index + 4])
                guard length < 0x8000, index + 5 + length <= block.count else { return nil }
                let bytes = Array(block[(index + 5)..<(index + 5 + length)])
                return String(validating: bytes, as: UTF8.self) ?? String(bytes.map { Character(Unicode.Scalar($0)) })
            }
            index += 1
        }
        return nil
    }

    /// What cameras, scanners and editors write when nobody gave a title.
    static let placeholders: Set<String> = [
        "olympus digital camera", "default", "untitled", "no title", "none", "null", "title", "description", "image",
        "photo", "picture", "sony dsc", "digital camera", "kodak digital still camera", "minolta digital camera",
        "samsung digital camera", "exif_jpeg_picture", "dcim", "camera", "created with gimp", "lead technologies inc. v1.01",
        "icon", "screenshot", "unknown", "n/a", "-", "image description", "jpeg image", "png image",
    ]

    static func cleaned(_ raw: String) -> String? {
        let text = raw.replacingOccurrences(of: "\0", with: "").trimmingCharacters(in: .whitespacesAndNewlines)
        guard !text.isEmpty, !placeholders.contains(text.lowercased()) else { return nil }
        // Nothing but punctuation or question marks (a charset that failed to convert).
        guard text.unicodeScalars.contains(where: { CharacterSet.alphanumerics.contains($0) }) else { return nil }
        // A camera's file name: IMG_1234, DSC01234, DSCN0042, P1010001, _MG_9876, PICT0001 (with an extension or not).
        let stem = text.lowercased().replacingOccurrences(of: #"\.(jpe?g|png|webp|heic|tiff?)$"#, with: "", options: .regularExpression)
        if stem.range(of: #"^(img|dsc|dscn|dscf|dsc_|_mg|pict|p|mvi|photo|image)[_-]?\d{3,}$"#, options: .regularExpression) != nil {
            return nil
        }
        return text
    }
}
