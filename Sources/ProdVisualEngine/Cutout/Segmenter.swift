import COpenCV

extension Vision {
    struct Segmentation {
        let mask: [UInt8]
        let report: pv_cutout_report
    }

    /// Segmentation in phases: where the product is expected is known from the cheap seed,
    /// before GrabCut runs in `finish`, so a caller can decode that region (or run the learned
    /// model) meanwhile; `fuse` then joins the learned saliency map to the classical cut.
    final class Segmenter {
        private let handle: OpaquePointer
        private let width: Int
        private let height: Int
        /// The seed's bounding box, in the raster's pixels.
        let estimate: PixelRect
        /// 0...1: how well a smooth backdrop explains the border (low in rooms, on clutter).
        let backdropFit: Double

        /// `dropsHands`: leave out a hand or arm holding the product (not for photos of people).
        init(_ image: Raster, dropsHands: Bool) throws(ImagingError) {
            let rgb = image.rgb
            var handle: OpaquePointer?
            let status = rgb.pixels.withUnsafeBufferPointer { pixels in
                pv_cv_segmenter_create(pixels.baseAddress, Int32(rgb.width), Int32(rgb.height), rgb.width * 3, dropsHands ? 1 : 0, &handle)
            }
            guard status == PV_CV_OK.rawValue, let handle else {
                throw .processingFailed("segmentation failed (\(status))")
            }
            self.handle = handle
            width = rgb.width
            height = rgb.height
            var x: Int32 = 0, y: Int32 = 0, w: Int32 = 0, h: Int32 = 0
            pv_cv_segmenter_estimate(handle, &x, &y, &w, &h)
            estimate = PixelRect(x: Int(x), y: Int(y), width: Int(w), height: Int(h))
            backdropFit = pv_cv_segmenter_backdrop_fit(handle)
        }

        deinit { pv_cv_segmenter_free(handle) }

        /// The classical product mask at the raster's resolution, or nil when nothing stands out.
        /// `framingFallback` tries a centred-framing GrabCut where the border is no backdrop (slow;
        /// for the engine without a learned model).
        func finish(framingFallback: Bool) throws(ImagingError) -> Segmentation? {
            try collect { pv_cv_segmenter_finish(handle, framingFallback ? 1 : 0, $0, $1) }
        }

        /// The classical cut fused with a learned saliency map; text boxes inside the product stay opaque.
        func fuse(saliency: [UInt8], text: [PixelRect]) throws(ImagingError) -> Segmentation? {
            let boxes = Self.quadruples(text)
            return try saliency.withUnsafeBufferPointer { map throws(ImagingError) in
                try boxes.withUnsafeBufferPointer { boxes throws(ImagingError) in
                    try collect { pv_cv_segmenter_fuse(handle, map.baseAddress, boxes.baseAddress, Int32(text.count), $0, $1) }
                }
            }
        }

        /// `cut` of printed matter (a label, a leaflet) made the whole sheet its `text` lines are printed on.
        func printedOutline(_ cut: Segmentation, text: [PixelRect]) throws(ImagingError) -> Segmentation {
            let boxes = Self.quadruples(text)
            var mask = cut.mask
            var report = cut.report
            let status = mask.withUnsafeMutableBufferPointer { mask in
                boxes.withUnsafeBufferPointer { boxes in
                    pv_cv_segmenter_printed_outline(boxes.baseAddress, Int32(text.count), Int32(width), Int32(height), mask.baseAddress, &report)
                }
            }
            guard status == PV_CV_OK.rawValue else { throw .processingFailed("segmentation failed (\(status))") }
            return Segmentation(mask: mask, report: report)
        }

        /// Boxes as the C interface takes them: (x, y, width, height) after one another.
        private static func quadruples(_ boxes: [PixelRect]) -> [Int32] {
            boxes.flatMap { [Int32($0.x), Int32($0.y), Int32($0.width), Int32($0.height)] }
        }

        private func collect(_ run: (UnsafeMutablePointer<UInt8>?, UnsafeMutablePointer<pv_cutout_report>) -> Int32) throws(ImagingError) -> Segmentation? {
            var mask = [UInt8](repeating: 0, count: width * height)
            var report = pv_cutout_report()
            let status = mask.withUnsafeMutableBufferPointer { run($0.baseAddress, &report) }
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
