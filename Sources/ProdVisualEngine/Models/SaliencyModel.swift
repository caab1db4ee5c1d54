import COpenCV

extension Vision {
    /// The salient-object model (U²-Net-p), loaded once and shared by every render.
    /// `@unchecked`: the C++ side parses a network of its own for each inference.
    final class SaliencyModel: @unchecked Sendable {
        private let handle: OpaquePointer
        private let turn: InferenceTurn

        init(path: String, turn: InferenceTurn) throws(ImagingError) {
            self.turn = turn
            var error = [CChar](repeating: 0, count: 512)
            guard let handle = pv_cv_saliency_load(path, &error, error.count) else {
                throw Vision.loadFailure("segmentation model", path, error)
            }
            self.handle = handle
        }

        deinit { pv_cv_saliency_free(handle) }

        /// Saliency 0...255 per pixel of the raster.
        func saliency(of rgb: Raster) throws(ImagingError) -> [UInt8] {
            var map = [UInt8](repeating: 0, count: rgb.width * rgb.height)
            let status = turn.take { () -> Int32 in
                rgb.pixels.withUnsafeBufferPointer { pixels in
                    map.withUnsafeMutableBufferPointer {
                        pv_cv_saliency_run(handle, pixels.baseAddress, Int32(rgb.width), Int32(rgb.height), rgb.width * 3, $0.baseAddress)
                    }
                }
            }
            guard status == 0 else { throw .processingFailed("the segmentation model failed (\(status))") }
            return map
        }
    }
}
