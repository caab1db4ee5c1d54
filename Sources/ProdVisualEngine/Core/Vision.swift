import COpenCV

/// The OpenCV routines the engine uses, through the C facade.
enum Vision {
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
