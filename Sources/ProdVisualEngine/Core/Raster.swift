/// Interleaved 8-bit pixels the engine passes between libvips and OpenCV.
struct Raster {
    var width: Int
    var height: Int
    var bands: Int
    var pixels: [UInt8]

    init(width: Int, height: Int, bands: Int, pixels: [UInt8]) {
        precondition(pixels.count == width * height * bands)
        self.width = width
        self.height = height
        self.bands = bands
        self.pixels = pixels
    }

    /// A canvas filled with one colour: opaque RGB, or fully transparent RGBA.
    init(width: Int, height: Int, background: Background) {
        switch background {
        case .color(let color):
            // Filled a pixel at a time through the buffer: appending row by row costs ~25 ms at 1500².
            let pixels = [UInt8](unsafeUninitializedCapacity: width * height * 3) { buffer, count in
                for index in stride(from: 0, to: width * height * 3, by: 3) {
                    buffer[index] = color.r
                    buffer[index + 1] = color.g
                    buffer[index + 2] = color.b
                }
                count = width * height * 3
            }
            self.init(width: width, height: height, bands: 3, pixels: pixels)
        case .transparent:
            self.init(width: width, height: height, bands: 4, pixels: [UInt8](repeating: 0, count: width * height * 4))
        }
    }

    /// The colour bands alone (drops alpha).
    var rgb: Raster {
        guard bands == 4 else { return self }
        var out = [UInt8](repeating: 0, count: width * height * 3)
        for index in 0..<(width * height) {
            out[index * 3] = pixels[index * 4]
            out[index * 3 + 1] = pixels[index * 4 + 1]
            out[index * 3 + 2] = pixels[index * 4 + 2]
        }
        return Raster(width: width, height: height, bands: 3, pixels: out)
    }

    /// With an alpha band (opaque where there was none).
    var rgba: Raster {
        guard bands == 3 else { return self }
        let pixels = [UInt8](unsafeUninitializedCapacity: width * height * 4) { buffer, count in
            for index in 0..<(width * height) {
                buffer[index * 4] = self.pixels[index * 3]
                buffer[index * 4 + 1] = self.pixels[index * 3 + 1]
                buffer[index * 4 + 2] = self.pixels[index * 3 + 2]
                buffer[index * 4 + 3] = 255
            }
            count = width * height * 4
        }
        return Raster(width: width, height: height, bands: 4, pixels: pixels)
    }

    /// The alpha band as a mask (255 everywhere when there is none).
    var alpha: [UInt8] {
        guard bands == 4 else { return [UInt8](repeating: 255, count: width * height) }
        return (0..<(width * height)).map { pixels[$0 * 4 + 3] }
    }
}

