import COpenCV

/// The OpenCV routines the engine uses, through the C facade.
enum Vision {
    struct Segmentation {
        let mask: [UInt8]
        let report: pv_cutout_report
    }

    /// A user-supplied ONNX salient-object model, loaded once and shared by every render.
    /// `@unchecked`: the C++ side serialises inference on the model behind a mutex.
    final class SaliencyModel: @unchecked Sendable {
        private let handle: OpaquePointer

        init(path: String) throws(ImagingError) {
            var error = [CChar](repeating: 0, count: 512)
            guard let handle = pv_cv_saliency_load(path, &error, error.count) else {
                let reason = String(decoding: error.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
                throw .processingFailed("cannot load the segmentation model \(path): \(reason)")
            }
            self.handle = handle
        }

        deinit { pv_cv_saliency_free(handle) }

        /// Saliency 0...255 per pixel of the raster.
        func saliency(of rgb: Raster) throws(ImagingError) -> [UInt8] {
            var map = [UInt8](repeating: 0, count: rgb.width * rgb.height)
            let status = rgb.pixels.withUnsafeBufferPointer { pixels in
                map.withUnsafeMutableBufferPointer {
                    pv_cv_saliency_run(handle, pixels.baseAddress, Int32(rgb.width), Int32(rgb.height), rgb.width * 3, $0.baseAddress)
                }
            }
            guard status == 0 else { throw .processingFailed("the segmentation model failed (\(status))") }
            return map
        }
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

    /// Resizes RGB (area averaging down, cubic up) or straight-alpha RGBA (premultiplied, so
    /// edges keep no dark fringe).
    static func resize(_ image: Raster, width: Int, height: Int) throws(ImagingError) -> Raster {
        try resize(image, region: PixelRect(x: 0, y: 0, width: image.width, height: image.height), width: width, height: height)
    }

    /// Resizes a region of the raster, read in place.
    static func resize(_ image: Raster, region: PixelRect, width: Int, height: Int) throws(ImagingError) -> Raster {
        let bands = image.bands
        guard region.x >= 0, region.y >= 0, region.width > 0, region.height > 0,
              region.x + region.width <= image.width, region.y + region.height <= image.height
        else { throw .processingFailed("resize region outside the image") }
        var out = [UInt8](repeating: 0, count: width * height * bands)
        let status = image.pixels.withUnsafeBufferPointer { source in
            out.withUnsafeMutableBufferPointer {
                let resize = bands == 4 ? pv_cv_resize_rgba : pv_cv_resize_rgb
                let start = source.baseAddress! + (region.y * image.width + region.x) * bands
                return resize(start, Int32(region.width), Int32(region.height), image.width * bands, $0.baseAddress, Int32(width), Int32(height))
            }
        }
        guard status == 0 else { throw .processingFailed("resize failed (\(status))") }
        return Raster(width: width, height: height, bands: bands, pixels: out)
    }

    /// Recolours an RGBA product layer in place, keeping its shading.
    static func recolour(_ layer: inout Raster, to colour: RGBColor) throws(ImagingError) {
        let (width, height) = (layer.width, layer.height)
        let target = [colour.r, colour.g, colour.b]
        let status = layer.pixels.withUnsafeMutableBufferPointer { pixels in
            target.withUnsafeBufferPointer { pv_cv_recolour(pixels.baseAddress, Int32(width), Int32(height), $0.baseAddress) }
        }
        guard status == 0 else { throw .processingFailed("recolour failed (\(status))") }
    }

    static func composite(_ layer: Raster, onto canvas: inout Raster, x: Int, y: Int) throws(ImagingError) {
        let (width, height, bands) = (canvas.width, canvas.height, canvas.bands)
        let status = layer.pixels.withUnsafeBufferPointer { source in
            canvas.pixels.withUnsafeMutableBufferPointer {
                pv_cv_composite($0.baseAddress, Int32(width), Int32(height), Int32(bands),
                                source.baseAddress, Int32(layer.width), Int32(layer.height), Int32(x), Int32(y))
            }
        }
        guard status == 0 else { throw .processingFailed("composite failed (\(status))") }
    }

    static func watermark(_ canvas: inout Raster, mask: [UInt8], maskWidth: Int, maskHeight: Int) throws(ImagingError) {
        let (width, height, bands) = (canvas.width, canvas.height, canvas.bands)
        let status = mask.withUnsafeBufferPointer { text in
            canvas.pixels.withUnsafeMutableBufferPointer {
                pv_cv_watermark($0.baseAddress, Int32(width), Int32(height), Int32(bands),
                                text.baseAddress, Int32(maskWidth), Int32(maskHeight), 0.35)
            }
        }
        guard status == 0 else { throw .processingFailed("watermark failed (\(status))") }
    }
}
