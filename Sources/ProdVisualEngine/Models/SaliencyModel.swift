import COpenCV

extension Vision {
    /// The salient-object model (U²-Net-p), loaded once and shared by every render.
    final class SaliencyModel: Sendable {
        private let model: LoadedModel

        init(path: String, turn: InferenceTurn) throws(ImagingError) {
            model = try LoadedModel("segmentation model", path: path, turn: turn, load: { pv_cv_saliency_load(path, $0, $1) },
                                    free: { pv_cv_saliency_free($0) })
        }

        /// Saliency 0...255 per pixel of the raster.
        func saliency(of rgb: Raster) throws(ImagingError) -> [UInt8] {
            var map = [UInt8](repeating: 0, count: rgb.width * rgb.height)
            let status = model.run { handle -> Int32 in
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
