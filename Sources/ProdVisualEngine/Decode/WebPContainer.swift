/// libvips 8.14 writes a small EXIF block of its own into WebP files even when told to strip
/// metadata; this removes EXIF and XMP chunks from the RIFF container after encoding.
enum WebPContainer {
    // VP8X feature flags (WebP container specification).
    private static let exifFlag: UInt8 = 0x08
    private static let xmpFlag: UInt8 = 0x04

    static func strippingMetadata(_ file: [UInt8]) -> [UInt8] {
        guard file.count >= 12, FormatSniffer.sniff(file) == .webp else { return file }
        var chunks: [UInt8] = []
        var offset = 12
        while offset + 8 <= file.count {
            let fourCC = String(decoding: file[offset..<offset + 4], as: UTF8.self)
            let size = Int(file[offset + 4]) | Int(file[offset + 5]) << 8 | Int(file[offset + 6]) << 16 | Int(file[offset + 7]) << 24
            let end = min(file.count, offset + 8 + size + (size & 1))
            var chunk = Array(file[offset..<end])
            if fourCC == "VP8X", chunk.count > 8 { chunk[8] &= ~(exifFlag | xmpFlag) }
            if fourCC != "EXIF", fourCC != "XMP " { chunks += chunk }
            offset = end
        }
        let riffSize = UInt32(chunks.count + 4)
        let header: [UInt8] = Array("RIFF".utf8)
            + [UInt8(riffSize & 0xFF), UInt8(riffSize >> 8 & 0xFF), UInt8(riffSize >> 16 & 0xFF), UInt8(riffSize >> 24)]
            + Array("WEBP".utf8)
        return header + chunks
    }
}
