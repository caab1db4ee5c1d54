import Testing

@testable import ProdVisualEngine

@Suite struct OutputMeasurementTests {
    static let engine = try! ImageEngine()

    /// A 400x300 opaque frame of `backdrop` with a 150x150 red square at (100, 50).
    static func squareOn(_ backdrop: UInt8) -> Raster {
        var raster = Raster(width: 400, height: 300, background: .color(RGBColor(r: backdrop, g: backdrop, b: backdrop)))
        for y in 50..<200 {
            for x in 100..<250 {
                let offset = (y * 400 + x) * 3
                raster.pixels[offset] = 200
                raster.pixels[offset + 1] = 40
                raster.pixels[offset + 2] = 40
            }
        }
        return raster
    }

    @Test func squareOnPureWhitePNGIsMeasuredExactly() throws {
        let png = try Vips.encode(Self.squareOn(255), as: .png, quality: 90)
        let measured = try Self.engine.measure(output: png)
        #expect(measured.width == 400 && measured.height == 300)
        #expect(measured.format == .png)
        #expect(measured.fileBytes == png.count)
        #expect(!measured.hasAlpha)
        #expect(measured.contentBox == PixelRect(x: 100, y: 50, width: 150, height: 150))
        #expect(measured.productFill == 0.5)  // 150 / 300 beats 150 / 400
        #expect(measured.pureWhiteBackgroundShare == 1)
    }

    @Test func jpegRoundingStillCountsAsWhite() throws {
        let jpeg = try Vips.encode(Self.squareOn(255), as: .jpeg, quality: 90)
        let measured = try Self.engine.measure(output: jpeg)
        #expect(measured.format == .jpeg)
        let box = try #require(measured.contentBox)
        // JPEG rings a pixel or two past a hard edge; never more.
        #expect(abs(box.x - 100) <= 2 && abs(box.y - 50) <= 2)
        #expect(abs(box.width - 150) <= 4 && abs(box.height - 150) <= 4)
        #expect(abs(measured.productFill - 0.5) < 0.015)
        #expect(measured.pureWhiteBackgroundShare >= 0.98, "white share \(measured.pureWhiteBackgroundShare)")
    }

    @Test func offWhiteBackdropIsNotPureWhite() throws {
        let png = try Vips.encode(Self.squareOn(245), as: .png, quality: 90)
        let measured = try Self.engine.measure(output: png)
        // The square still stands out from a light grey backdrop...
        #expect(measured.contentBox == PixelRect(x: 100, y: 50, width: 150, height: 150))
        // ...which is not white at all.
        #expect(measured.pureWhiteBackgroundShare == 0)
    }

    @Test func transparentOutputIsMeasuredByAlpha() throws {
        var raster = Raster(width: 300, height: 300, background: .transparent)
        for y in 0..<300 {
            for x in 0..<300 {
                let offset = (y * 300 + x) * 4
                if (90..<210).contains(x), (120..<180).contains(y) {
                    raster.pixels[offset..<offset + 4] = [30, 90, 200, 255]
                } else if (80..<220).contains(x), (110..<190).contains(y) {
                    // A faint fringe (alpha 6) is not product.
                    raster.pixels[offset..<offset + 4] = [30, 90, 200, 6]
                }
            }
        }
        let png = try Vips.encode(raster, as: .png, quality: 90)
        let measured = try Self.engine.measure(output: png)
        #expect(measured.hasAlpha)
        #expect(measured.contentBox == PixelRect(x: 90, y: 120, width: 120, height: 60))
        #expect(measured.productFill == 0.4)
        // Transparency is not white.
        #expect(measured.pureWhiteBackgroundShare == 0)
    }

    @Test func fullFrameSceneIsJudgedOnItsBorderRing() throws {
        // A "scene" whose content reaches every edge: a white frame only 1 px wide, inside the 6 px ring.
        var raster = Raster(width: 300, height: 300, background: .color(.white))
        for y in 1..<299 {
            for x in 1..<299 {
                let offset = (y * 300 + x) * 3
                // Busy enough that no single colour outnumbers the white frame in the ring.
                raster.pixels[offset..<offset + 3] = [UInt8((x * 7 + y * 3) % 200), UInt8((x * 3 + y * 5) % 200), 90]
            }
        }
        let measured = try Self.engine.measure(output: try Vips.encode(raster, as: .png, quality: 90))
        #expect(measured.contentBox == PixelRect(x: 1, y: 1, width: 298, height: 298))
        // Ring: 300² − 288² pixels, of which the outer 300² − 298² are white.
        let expected = Double(300 * 300 - 298 * 298) / Double(300 * 300 - 288 * 288)
        #expect(abs(measured.pureWhiteBackgroundShare - expected) < 1e-9)
    }

    @Test func bytesThatAreNoImageAreRefused() {
        #expect(throws: ImagingError.unsupportedFormat) { try Self.engine.measure(output: Array("not an image".utf8)) }
    }
}
