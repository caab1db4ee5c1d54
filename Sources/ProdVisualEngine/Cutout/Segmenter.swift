import COpenCV

extension Vision {
    struct Segmentation {
        let mask: [UInt8]
        let report: pv_cutout_report
    }

    /// Segmentation in two phases: where the product is expected is known from the cheap seed,
    /// before GrabCut runs in `finish`, so a caller can decode that region meanwhile.
    final class Segmenter {
        private let handle: OpaquePointer
        private let width: Int
        private let height: Int
        /// The seed's bounding box, in the raster's pixels.
        let estimate: PixelRect

        /// Nil when no product stands out. With a model, its saliency map seeds the
        /// segmentation instead of the border's backdrop model.
        init?(_ image: Raster, model: SaliencyModel?) throws(ImagingError) {
            let rgb = image.rgb
            let prior = try model?.saliency(of: rgb)
            var handle: OpaquePointer?
            let status = rgb.pixels.withUnsafeBufferPointer { pixels in
                let create = { (saliency: UnsafePointer<UInt8>?) in
                    pv_cv_segmenter_create(pixels.baseAddress, Int32(rgb.width), Int32(rgb.height), rgb.width * 3, saliency, &handle)
                }
                guard let prior else { return create(nil) }
                return prior.withUnsafeBufferPointer { create($0.baseAddress) }
            }
            switch Int(status) {
            case Int(PV_CV_OK.rawValue): break
            case Int(PV_CV_NO_SUBJECT.rawValue): return nil
            default: throw .processingFailed("segmentation failed (\(status))")
            }
            guard let handle else { throw .processingFailed("segmentation returned no state") }
            self.handle = handle
            width = rgb.width
            height = rgb.height
            var x: Int32 = 0, y: Int32 = 0, w: Int32 = 0, h: Int32 = 0
            pv_cv_segmenter_estimate(handle, &x, &y, &w, &h)
            estimate = PixelRect(x: Int(x), y: Int(y), width: Int(w), height: Int(h))
        }

        deinit { pv_cv_segmenter_free(handle) }

        /// The product mask at the raster's resolution, or nil when nothing survives GrabCut.
        func finish() throws(ImagingError) -> Segmentation? {
            var mask = [UInt8](repeating: 0, count: width * height)
            var report = pv_cutout_report()
            let status = mask.withUnsafeMutableBufferPointer { pv_cv_segmenter_finish(handle, $0.baseAddress, &report) }
            switch Int(status) {
            case Int(PV_CV_OK.rawValue): return Segmentation(mask: mask, report: report)
            case Int(PV_CV_NO_SUBJECT.rawValue): return nil
            default: throw .processingFailed("segmentation failed (\(status))")
            }
        }
    }

    /// Soft RGBA of `crop`, whose area is the rectangle (x, y, w, h) of the coarse mask.
    static func refine(_ crop: Raster, coarse: [UInt8], coarseWidth: Int, coarseHeight: Int,
                       region: (x: Double, y: Double, width: Double, height: Double)) throws(ImagingError) -> Raster {
        let rgb = crop.rgb
        var out = [UInt8](repeating: 0, count: rgb.width * rgb.height * 4)
        let status = rgb.pixels.withUnsafeBufferPointer { pixels in
            coarse.withUnsafeBufferPointer { mask in
                out.withUnsafeMutableBufferPointer { destination in
                    pv_cv_refine(pixels.baseAddress, Int32(rgb.width), Int32(rgb.height), rgb.width * 3,
                                 mask.baseAddress, Int32(coarseWidth), Int32(coarseHeight),
                                 region.x, region.y, region.width, region.height, destination.baseAddress)
                }
            }
        }
        guard status == 0 else { throw .processingFailed("edge refinement failed (\(status))") }
        return Raster(width: rgb.width, height: rgb.height, bands: 4, pixels: out)
    }
}
