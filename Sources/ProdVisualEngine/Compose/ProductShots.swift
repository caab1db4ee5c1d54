import COpenCV
import CVips

/// A rectangle as fractions of an image's width and height (after EXIF orientation), so that it
/// holds whatever size the image is decoded at.
public struct NormalizedRect: Sendable, Equatable {
    public let x: Double
    public let y: Double
    public let width: Double
    public let height: Double

    public init(x: Double, y: Double, width: Double, height: Double) {
        self.x = x
        self.y = y
        self.width = width
        self.height = height
    }

    /// `rect`, in the pixels of an image `width` × `height`, as fractions of it.
    public init(_ rect: PixelRect, width: Int, height: Int) {
        self.init(x: Double(rect.x) / Double(width), y: Double(rect.y) / Double(height),
                  width: Double(rect.width) / Double(width), height: Double(rect.height) / Double(height))
    }

    /// In the pixels of an image `width` × `height`, rounded outwards.
    public func pixels(width: Int, height: Int) -> PixelRect {
        let left = Int((x * Double(width)).rounded(.down)), top = Int((y * Double(height)).rounded(.down))
        let right = Int(((x + self.width) * Double(width)).rounded(.up))
        let bottom = Int(((y + self.height) * Double(height)).rounded(.up))
        return PixelRect(x: left, y: top, width: right - left, height: bottom - top)
    }

    /// Intersection over union with another rectangle.
    public func overlap(_ other: NormalizedRect) -> Double {
        let w = max(0, min(x + width, other.x + other.width) - max(x, other.x))
        let h = max(0, min(y + height, other.y + other.height) - max(y, other.y))
        let intersection = w * h
        let union = width * height + other.width * other.height - intersection
        return union > 0 ? intersection / union : 0
    }
}

extension PixelRect {
    /// Intersection over union with another rectangle.
    func overlap(_ other: PixelRect) -> Double {
        NormalizedRect(self, width: 1, height: 1).overlap(NormalizedRect(other, width: 1, height: 1))
    }

    /// The part inside `frame`, nil when none is.
    func clipped(to frame: PixelRect) -> PixelRect? {
        let left = max(x, frame.x), top = max(y, frame.y)
        let right = min(x + width, frame.x + frame.width), bottom = min(y + height, frame.y + frame.height)
        return right > left && bottom > top ? PixelRect(x: left, y: top, width: right - left, height: bottom - top) : nil
    }
}

extension Vips {
    /// The rectangle `region` (in the pixels of the oriented image shrunk by `shrink`: 1, 2, 4 or
    /// 8) decoded alone, clipped to the image; with where it really starts.
    static func decodeRegion(_ bytes: [UInt8], shrink: Int, region: PixelRect) throws(ImagingError) -> (raster: Raster, origin: (x: Int, y: Int)) {
        try start()
        var left = Int32(clamping: region.x), top = Int32(clamping: region.y)
        var width = Int32(clamping: region.width), height = Int32(clamping: region.height)
        var pixels: UnsafeMutablePointer<UInt8>?
        var bands: Int32 = 0
        let status = bytes.withUnsafeBytes {
            pv_vips_decode_region($0.baseAddress, $0.count, Int32(shrink), &left, &top, &width, &height, &pixels, &bands)
        }
        guard status == 0, let pixels else { throw .undecodable(lastError()) }
        defer { pv_vips_free(pixels) }
        let count = Int(width) * Int(height) * Int(bands)
        let raster = Raster(width: Int(width), height: Int(height), bands: Int(bands), pixels: Array(UnsafeBufferPointer(start: pixels, count: count)))
        return (raster, (Int(left), Int(top)))
    }
}

extension Raster {
    /// Opaque RGB: RGBA flattened onto white (a product shot's backdrop), RGB as it is.
    func flattened() throws(ImagingError) -> Raster {
        guard bands == 4 else { return self }
        var canvas = Raster(width: width, height: height, background: .color(.white))
        try Vision.composite(self, onto: &canvas, x: 0, y: 0)
        return canvas
    }

    /// A region copied out.
    func cropped(_ region: PixelRect) -> Raster {
        var out = [UInt8]()
        out.reserveCapacity(region.width * region.height * bands)
        for y in region.y..<(region.y + region.height) {
            let start = (y * width + region.x) * bands
            out.append(contentsOf: pixels[start..<(start + region.width * bands)])
        }
        return Raster(width: region.width, height: region.height, bands: bands, pixels: out)
    }
}

extension ImageEngine {
    /// The format and header, with the same checks (format from the bytes, pixel limit from the
    /// header) as every other entry point, before any pixel is decoded.
    func checkedHeader(_ source: [UInt8]) throws(ImagingError) -> (format: ImageFormat, header: Vips.Header) {
        let info = try imageInfo(source: source)
        return (info.format, try Vips.header(source))
    }

    /// The product's segmentation at working resolution, as every style starts from it.
    func productSegmentation(_ source: [UInt8], header: Vips.Header, subject: Subject = .product) throws(ImagingError) -> Segmentation {
        try seed(source, header: header, subject: subject).finish()
    }

    /// The photo re-encoded after an edit: a JPEG stays a JPEG (quality 95, no chroma
    /// subsampling, so that another round of rendering loses next to nothing and keeps JPEG's
    /// shrink-on-load), anything else becomes a lossless PNG (which keeps alpha).
    static func encodePhoto(_ raster: Raster, like format: ImageFormat) throws(ImagingError) -> [UInt8] {
        if format == .jpeg { return try Vips.encode(try raster.flattened(), as: .jpeg, quality: photoQuality) }
        return try Vips.encode(raster, as: .png, quality: 100)
    }

    /// JPEG quality of edited photos: libvips turns chroma subsampling off from 90 up.
    static let photoQuality = 95
}
