import COpenCV

/// A region of text found in an image, in its pixels.
public struct TextRegion: Sendable, Equatable {
    public let box: PixelRect
    /// The detector's mean probability over the region (0...1).
    public let score: Double

    public init(box: PixelRect, score: Double) {
        self.box = box
        self.score = score
    }
}

extension Vision {
    /// The text-region detector (PP-OCRv4 detection), loaded once and shared by every render.
    final class TextDetector: Sendable {
        private let model: LoadedModel
        /// The network's square input: text a few pixels high at this scale is still found.
        static let inputSide: Int32 = 640
        static let capacity = 256

        init(path: String, turn: InferenceTurn) throws(ImagingError) {
            model = try LoadedModel("text detector", path: path, turn: turn, load: { pv_cv_text_load(path, Self.inputSide, $0, $1) },
                                    free: { pv_cv_text_free($0) })
        }

        /// Text regions of the raster, largest first.
        func regions(in image: Raster) throws(ImagingError) -> [TextRegion] {
            let rgb = image.rgb
            var found = [pv_text_region](repeating: pv_text_region(), count: Self.capacity)
            var count: Int32 = 0
            let status = model.run { handle -> Int32 in
                rgb.pixels.withUnsafeBufferPointer { pixels in
                    found.withUnsafeMutableBufferPointer {
                        pv_cv_text_detect(handle, pixels.baseAddress, Int32(rgb.width), Int32(rgb.height), rgb.width * 3,
                                          $0.baseAddress, Int32(Self.capacity), &count)
                    }
                }
            }
            guard status == 0 else { throw .processingFailed("the text detector failed (\(status))") }
            return found.prefix(Int(count)).map {
                TextRegion(box: PixelRect(x: Int($0.x), y: Int($0.y), width: Int($0.width), height: Int($0.height)), score: $0.score)
            }
        }
    }
}
