import CVips
import Foundation

/// The libvips calls the engine makes, through the C shim.
enum Vips {
    /// Starts libvips once per process; every entry point calls it, so no caller can race it.
    static func start() throws(ImagingError) {
        guard pv_vips_init() == 0 else { throw .processingFailed("libvips failed to start: \(lastError())") }
    }

    static func lastError() -> String {
        var buffer = [CChar](repeating: 0, count: 512)
        pv_vips_last_error(&buffer, buffer.count)
        return String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    struct Header {
        let width: Int
        let height: Int
        let hasAlpha: Bool
    }

    static func header(_ bytes: [UInt8]) throws(ImagingError) -> Header {
        try start()
        var width: Int32 = 0, height: Int32 = 0, bands: Int32 = 0, hasAlpha: Int32 = 0
        let status = bytes.withUnsafeBytes { pv_vips_header($0.baseAddress, $0.count, &width, &height, &bands, &hasAlpha) }
        guard status == 0 else { throw .undecodable(lastError()) }
        return Header(width: Int(width), height: Int(height), hasAlpha: hasAlpha != 0)
    }

    /// Decoded, oriented 8-bit sRGB that fits inside the box (never enlarged).
    static func decode(_ bytes: [UInt8], fittingIn maxWidth: Int, _ maxHeight: Int) throws(ImagingError) -> Raster {
        try start()
        var pixels: UnsafeMutablePointer<UInt8>?
        var width: Int32 = 0, height: Int32 = 0, bands: Int32 = 0
        let status = bytes.withUnsafeBytes {
            pv_vips_decode($0.baseAddress, $0.count, Int32(clamping: maxWidth), Int32(clamping: maxHeight), &pixels, &width, &height, &bands)
        }
        guard status == 0, let pixels else { throw .undecodable(lastError()) }
        defer { pv_vips_free(pixels) }
        let count = Int(width) * Int(height) * Int(bands)
        return Raster(width: Int(width), height: Int(height), bands: Int(bands), pixels: Array(UnsafeBufferPointer(start: pixels, count: count)))
    }

    static func encode(_ raster: Raster, as format: ImageFormat, quality: Int) throws(ImagingError) -> [UInt8] {
        try start()
        let code: Int32 = switch format {
        case .png: Int32(PV_VIPS_PNG)
        case .jpeg: Int32(PV_VIPS_JPEG)
        case .webp: Int32(PV_VIPS_WEBP)
        }
        var output: UnsafeMutableRawPointer?
        var length = 0
        let status = raster.pixels.withUnsafeBufferPointer {
            pv_vips_encode($0.baseAddress, Int32(raster.width), Int32(raster.height), Int32(raster.bands), code, Int32(quality), &output, &length)
        }
        guard status == 0, let output else { throw .processingFailed("encoding \(format.rawValue): \(lastError())") }
        defer { pv_vips_free(output) }
        let bytes = Array(UnsafeRawBufferPointer(start: output, count: length))
        return format == .webp ? WebPContainer.strippingMetadata(bytes) : bytes
    }

    /// A one-band coverage mask of the text, set in `font` (a Pango description).
    /// Text wrapped and sized to fit the box, as a one-band coverage mask. Markup characters in
    /// the text are escaped: what the caller sends is what is drawn.
    static func fittedText(_ text: String, font: String, width: Int, height: Int, align: TextAlignment) throws(ImagingError) -> (pixels: [UInt8], width: Int, height: Int) {
        try start()
        guard width > 0, height > 0 else { throw .invalidSpec("no room for the text") }
        let escaped = text.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;")
            .replacingOccurrences(of: ">", with: "&gt;")
        let alignment = align.rawValue
        let mask = try TextThread.shared.run { () throws(ImagingError) in
            var pixels: UnsafeMutablePointer<UInt8>?
            var outWidth: Int32 = 0, outHeight: Int32 = 0
            guard pv_vips_text_fit(escaped, font, Int32(width), Int32(height), alignment, &pixels, &outWidth, &outHeight) == 0, let pixels else {
                throw .processingFailed("text: \(lastError())")
            }
            defer { pv_vips_free(pixels) }
            return TextMask(pixels: Array(UnsafeBufferPointer(start: pixels, count: Int(outWidth) * Int(outHeight))), width: Int(outWidth), height: Int(outHeight))
        }
        return (mask.pixels, mask.width, mask.height)
    }

    /// A one-band coverage mask of rendered text.
    struct TextMask: Sendable {
        let pixels: [UInt8]
        let width: Int
        let height: Int
    }
}
