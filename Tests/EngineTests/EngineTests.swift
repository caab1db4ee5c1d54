import Foundation
import Testing

@testable import ProdVisualEngine

@Suite struct FormatSnifferTests {
    @Test func recognisesOnlyTheThreeFormatsByTheirBytes() throws {
        let image = Synthetic(width: 16, height: 16) { _, _ in (200, 200, 200) }
        #expect(FormatSniffer.sniff(try image.encoded(.png)) == .png)
        #expect(FormatSniffer.sniff(try image.encoded(.jpeg)) == .jpeg)
        #expect(FormatSniffer.sniff(try image.encoded(.webp)) == .webp)
        #expect(FormatSniffer.sniff(Array("GIF89a..........".utf8)) == nil)
        #expect(FormatSniffer.sniff(Array("RIFF....WAVEfmt ".utf8)) == nil)
        #expect(FormatSniffer.sniff([0xFF, 0xD8]) == nil)
        #expect(FormatSniffer.sniff([]) == nil)
    }
}

@Suite struct DecodingTests {
    let engine = try! ImageEngine()

    @Test func pixelLimitIsCheckedFromTheHeader() throws {
        let image = try Synthetic(width: 200, height: 160) { _, _ in (90, 90, 90) }.encoded()
        let strict = try ImageEngine(limits: DecodeLimits(maxPixels: 200 * 160 - 1))
        #expect(throws: ImagingError.tooManyPixels(width: 200, height: 160, limit: 200 * 160 - 1)) {
            try strict.imageInfo(source: image)
        }
        #expect(try engine.imageInfo(source: image).width == 200)
    }

    @Test func corruptAndForeignBytesAreRefused() throws {
        let jpeg = try Synthetic(width: 64, height: 64) { x, y in (Double(x * 4), Double(y * 4), 90) }.encoded(.jpeg)
        #expect(throws: ImagingError.unsupportedFormat) { try engine.decodePixels(Array("hello".utf8)) }
        #expect {
            try engine.decodePixels(Array(jpeg.prefix(jpeg.count / 2)))
        } throws: { error in
            if case ImagingError.undecodable = error { return true }
            return false
        }
    }

    @Test func exifOrientationIsApplied() throws {
        // 200 wide, 100 high, left half red: stored landscape, displayed portrait.
        var image = Synthetic(width: 200, height: 100) { _, _ in (240, 240, 240) }
        image.paint((220, 20, 20)) { x, _ in x < 100 }
        let rotated = withOrientation6(try image.encoded(.jpeg))
        let info = try engine.imageInfo(source: rotated)
        #expect(info.width == 100 && info.height == 200)
        let pixels = try engine.decodePixels(rotated)
        #expect(pixels.width == 100 && pixels.height == 200)
        // Rotated clockwise, the left (red) half ends up on top.
        #expect(pixels.rgb(x: 50, y: 20)[0] > 180 && pixels.rgb(x: 50, y: 20)[1] < 80)
        #expect(pixels.rgb(x: 50, y: 180)[1] > 200)
    }
}

extension DecodingTests {
    @Test func shrinksToFitAndNeverEnlarges() throws {
        let jpeg = try Synthetic(width: 400, height: 300) { x, y in (Double(x % 256), Double(y % 256), 120) }.encoded(.jpeg)
        // Exactly a shrink-on-load factor, between factors, and larger than the source.
        for (box, expected) in [((100, 100), (100, 75)), ((250, 250), (250, 188)), ((800, 800), (400, 300))] {
            let raster = try Vips.decode(jpeg, fittingIn: box.0, box.1)
            #expect(abs(raster.width - expected.0) <= 1 && abs(raster.height - expected.1) <= 1, "\(box): \(raster.width)x\(raster.height)")
        }
    }

    @Test func downsizingWithAlphaLendsNoColourFromTransparentPixels() throws {
        // Opaque red on the left, fully transparent black on the right.
        var pixels = [UInt8](repeating: 0, count: 64 * 32 * 4)
        for y in 0..<32 {
            for x in 0..<32 { pixels.replaceSubrange((y * 64 + x) * 4..<(y * 64 + x) * 4 + 4, with: [230, 20, 20, 255]) }
        }
        let png = try Vips.encode(Raster(width: 64, height: 32, bands: 4, pixels: pixels), as: .png, quality: 100)
        let small = try Vips.decode(png, fittingIn: 20, 20)
        #expect(small.bands == 4 && small.width == 20)
        for x in 0..<small.width {
            let offset = (5 * small.width + x) * 4
            // Wherever some of the red shows, it is red, not darkened towards the black behind.
            if small.pixels[offset + 3] > 8 { #expect(small.pixels[offset] > 200, "x \(x): \(Array(small.pixels[offset..<offset + 4]))") }
        }
    }
}

@Suite struct CutoutTests {
    let engine = try! ImageEngine()

    @Test func discOnAGradient() throws {
        var image = Synthetic(width: 240, height: 180) { x, y in
            (235 - Double(x) * 0.2, 232 - Double(y) * 0.15, 225 - Double(x + y) * 0.1)
        }
        image.paint((150, 30, 40)) { x, y in hypot(Double(x - 120), Double(y - 90)) < 50 }
        let cutout = try engine.cutout(source: try image.encoded())
        let result = score(try engine.decodePixels(cutout.png), against: image.truth)
        #expect(result.iou > 0.96, "IoU \(result.iou)")
        #expect(result.mae < 0.03, "MAE \(result.mae)")
        #expect(cutout.report.uniformBackground)
        #expect(cutout.report.confidence > 0.5)
        let box = cutout.report.boundingBox
        #expect(abs(box.x - 70) <= 2 && abs(box.width - 100) <= 4, "\(box)")
    }

    @Test func ringKeepsItsHoleTransparent() throws {
        var image = Synthetic(width: 240, height: 200) { _, _ in (214, 216, 220) }
        image.paint((40, 70, 140)) { x, y in
            let r = hypot(Double(x - 120), Double(y - 100))
            return r < 70 && r > 30
        }
        let pixels = try engine.decodePixels(try engine.cutout(source: try image.encoded()).png)
        #expect(pixels.alpha(x: 120, y: 100) == 0, "the hole shows the backdrop")
        #expect(pixels.alpha(x: 120, y: 50) == 255, "the ring itself is product")
        let result = score(pixels, against: image.truth)
        #expect(result.iou > 0.93, "IoU \(result.iou)")
    }

    @Test func castShadowIsBackground() throws {
        var image = Synthetic(width: 260, height: 200) { _, _ in (236, 236, 234) }
        image.paint((30, 110, 60)) { x, y in (90..<160).contains(x) && (50..<120).contains(y) }
        image.shadow(centre: (150, 128), radius: (70, 30), depth: 0.35)
        let cutout = try engine.cutout(source: try image.encoded())
        let pixels = try engine.decodePixels(cutout.png)
        #expect(pixels.alpha(x: 180, y: 130) < 50, "shadow beside the square must not be product")
        #expect(pixels.alpha(x: 125, y: 85) == 255)
        let result = score(pixels, against: image.truth)
        #expect(result.iou > 0.93, "IoU \(result.iou)")
        // Measured, and kept for styles that draw a shadow of their own.
        #expect(cutout.report.shadowStrength > 0.2)
    }

    @Test func shadowOnASaturatedTableIsBackground() throws {
        // Orange wood-like stripes; a shadow scales all channels, shrinking CIELAB chroma.
        var image = Synthetic(width: 260, height: 200) { x, y in
            let grain = Double((x * 3 + y / 4) % 9) - 4
            return (196 + grain, 120 + grain * 0.6, 60 + grain * 0.3)
        }
        image.paint((210, 210, 214)) { x, y in (90..<160).contains(x) && (50..<120).contains(y) }
        image.shadow(centre: (140, 128), radius: (80, 26), depth: 0.4)
        let pixels = try engine.decodePixels(try engine.cutout(source: try image.encoded()).png)
        #expect(pixels.alpha(x: 140, y: 135) < 50, "the shadow on the table must not be product")
        #expect(pixels.alpha(x: 125, y: 85) == 255)
    }

    @Test func whitePrintOnTheProductStaysOpaque() throws {
        // A grey bag with a black strap carrying white letters and a white logo, on white.
        var image = Synthetic(width: 320, height: 240) { _, _ in (250, 250, 250) }
        image.paint((120, 120, 124)) { x, y in (60..<260).contains(x) && (50..<200).contains(y) }
        image.paint((20, 20, 22)) { x, y in (140..<180).contains(x) && (50..<200).contains(y) }
        let letters = [(150, 70), (150, 100), (150, 130), (150, 160)]
        image.paint((250, 250, 250)) { x, y in letters.contains { (x - $0.0) >= 0 && (x - $0.0) < 20 && (y - $0.1) >= 0 && (y - $0.1) < 6 } }
        image.paint((250, 250, 250)) { x, y in hypot(Double(x - 230), Double(y - 170)) < 9 }
        let pixels = try engine.decodePixels(try engine.cutout(source: try image.encoded()).png)
        for (x, y) in letters { #expect(pixels.alpha(x: x + 10, y: y + 3) == 255, "letter at \(x),\(y) was cut out") }
        #expect(pixels.alpha(x: 230, y: 170) == 255, "the logo was cut out")
        #expect(pixels.alpha(x: 20, y: 20) == 0)
    }

    @Test func fragmentsAreNotPassedOffAsTheProduct() throws {
        // Sixteen white bulbs on white: only pins and rims stand out, scattered over the frame.
        // The cutout must say it does not know, so that styles keep the whole photo.
        let cutout = try engine.cutout(source: try Bench.bytes("packshots/B074M5HPBD/9ea6992d.jpg"))
        #expect(cutout.report.confidence < 0.1, "confidence \(cutout.report.confidence)")
        #expect(cutout.report.fillRatio > 0.95, "fill \(cutout.report.fillRatio)")
    }

    @Test func existingAlphaIsKept() throws {
        var rgba = [UInt8]()
        for y in 0..<100 {
            for x in 0..<100 {
                let inside = (25..<75).contains(x) && (30..<70).contains(y)
                rgba += [200, 180, 40, inside ? 255 : 0]
            }
        }
        let png = try Vips.encode(Raster(width: 100, height: 100, bands: 4, pixels: rgba), as: .png, quality: 100)
        let cutout = try engine.cutout(source: png)
        #expect(cutout.report.hadAlpha)
        #expect(cutout.report.boundingBox == PixelRect(x: 25, y: 30, width: 50, height: 40))
    }

    /// Studio photos from the shared bench, every backdrop kind, each with its own bar: the issue's
    /// floor (IoU 0.90) for the hardest ones (two-tone tabletops, spotlit dark sets, a white mouse
    /// on light grey), and a stricter one for those that were always clean.
    @Test(arguments: [
        ("00000002_003_paper", 0.95, 0.01), ("00000000_001_white_sweep", 0.95, 0.01),
        ("00000004_005_textured", 0.95, 0.01), ("00000009_013_white_sweep", 0.95, 0.01),
        ("00000012_015_paper", 0.95, 0.01), ("00000014_017_textured", 0.95, 0.01),
        ("00000019_024_tabletop", 0.90, 0.02), ("00000015_018_tabletop", 0.90, 0.02),
        ("00000004_004_dark", 0.90, 0.02), ("00000018_022_dark", 0.90, 0.02),
        ("00000021_026_grey_studio", 0.90, 0.02), ("00000005_007_white_sweep", 0.90, 0.02),
    ])
    func studioBenchStaysAboveItsBar(_ name: String, minimumIoU: Double, maximumMAE: Double) throws {
        let cutout = try engine.cutout(source: try Bench.bytes("cutout/studio/images/\(name).jpg"))
        let mask = try engine.decodePixels(try Bench.bytes("cutout/studio/masks/\(name).png"))
        let truth = stride(from: 0, to: mask.data.count, by: mask.bands).map { mask.data[$0] }
        let result = score(try engine.decodePixels(cutout.png), against: truth)
        #expect(result.iou > minimumIoU, "\(name): IoU \(result.iou)")
        #expect(result.mae < maximumMAE, "\(name): MAE \(result.mae)")
    }
}

@Suite struct RenderTests {
    let engine = try! ImageEngine()

    func product() throws -> [UInt8] {
        var image = Synthetic(width: 300, height: 200) { _, y in (228, 228, 230 - Double(y) * 0.05) }
        image.paint((20, 60, 160)) { x, y in (100..<200).contains(x) && (40..<160).contains(y) }
        return try image.encoded(.jpeg)
    }

    func spec(_ composition: Composition = .whiteBackground, _ format: ImageFormat = .png, width: Int = 400, height: Int = 300,
              background: Background = .color(.white), watermark: String? = nil) -> RenderSpec {
        RenderSpec(composition: composition, width: width, height: height, productFill: 0.8, background: background,
                   format: format, quality: 90, watermark: watermark)
    }

    @Test(arguments: ImageFormat.allCases)
    func whiteBackgroundIsExactSizePureWhiteAndUnstretched(_ format: ImageFormat) throws {
        let rendered = try engine.render(source: try product(), spec: spec(.whiteBackground, format))
        #expect(FormatSniffer.sniff(rendered.bytes) == format)
        let pixels = try engine.decodePixels(rendered.bytes)
        #expect(pixels.width == 400 && pixels.height == 300)
        if format != .webp {  // lossy WebP may round white to 254
            for (x, y) in [(0, 0), (399, 0), (0, 299), (399, 299)] { #expect(pixels.rgb(x: x, y: y) == [255, 255, 255]) }
        }
        // The 100x120 product fits 80% of the height: 240 high, so 200 wide, centred.
        var columns = 0, rows = 0
        for x in 0..<400 where pixels.rgb(x: x, y: 150)[0] < 128 { columns += 1 }
        for y in 0..<300 where pixels.rgb(x: 200, y: y)[0] < 128 { rows += 1 }
        #expect(abs(rows - 240) <= 4, "height \(rows)")
        #expect(abs(columns - 200) <= 4, "width \(columns)")
    }

    @Test func sameInputRendersTheSameBytes() throws {
        let source = try Bench.bytes("cutout/scenes/images/00000003.jpg")
        let first = try engine.render(source: source, spec: spec(.whiteBackground, .png))
        let second = try engine.render(source: source, spec: spec(.whiteBackground, .png))
        #expect(first.bytes == second.bytes)
    }

    @Test func customBackgroundColour() throws {
        let rendered = try engine.render(source: try product(), spec: spec(background: .color(RGBColor(hex: "#f4e1d2")!)))
        #expect(try engine.decodePixels(rendered.bytes).rgb(x: 3, y: 3) == [0xF4, 0xE1, 0xD2])
    }

    @Test func transparentHasAlphaAndRefusesJPEG() throws {
        let rendered = try engine.render(source: try product(), spec: spec(.transparent))
        let pixels = try engine.decodePixels(rendered.bytes)
        #expect(pixels.bands == 4)
        #expect(pixels.alpha(x: 2, y: 2) == 0)
        #expect(pixels.alpha(x: 200, y: 150) == 255)
        #expect(throws: ImagingError.self) { try engine.render(source: try product(), spec: spec(.transparent, .jpeg)) }
        #expect(throws: ImagingError.self) { try engine.render(source: try product(), spec: spec(.whiteBackground, .jpeg, background: .transparent)) }
    }

    @Test func metadataIsStripped() throws {
        let tagged = withOrientation6(try product())
        #expect(tagged.count > 0 && String(decoding: tagged, as: UTF8.self).contains("Exif"))
        for format in ImageFormat.allCases {
            let rendered = try engine.render(source: tagged, spec: spec(.whiteBackground, format))
            #expect(!String(decoding: rendered.bytes, as: UTF8.self).contains("Exif"), "\(format) keeps EXIF")
        }
    }

    @Test func watermarkIsVisibleAcrossTheImage() throws {
        let clean = try engine.decodePixels(try engine.render(source: try product(), spec: spec()).bytes)
        let marked = try engine.decodePixels(try engine.render(source: try product(), spec: spec(watermark: "SAMPLE")).bytes)
        var changedPerQuadrant = [0, 0, 0, 0]
        for y in 0..<300 {
            for x in 0..<400 where clean.rgb(x: x, y: y) != marked.rgb(x: x, y: y) {
                changedPerQuadrant[(y / 150) * 2 + x / 200] += 1
            }
        }
        for count in changedPerQuadrant { #expect(count > 300, "\(changedPerQuadrant)") }
    }

    @Test func invalidSpecsAreRefused() throws {
        #expect(throws: ImagingError.self) { try engine.render(source: try product(), spec: spec(width: 0)) }
        var bad = spec()
        bad.productFill = 1.5
        #expect(throws: ImagingError.self) { try engine.render(source: try product(), spec: bad) }
    }
}

@Suite struct ColorTests {
    @Test func hexParsing() {
        #expect(RGBColor(hex: "#ffffff") == .white)
        #expect(RGBColor(hex: "FFF") == .white)
        #expect(RGBColor(hex: "#0a0B0c") == RGBColor(r: 10, g: 11, b: 12))
        #expect(RGBColor(hex: "#12345") == nil)
        #expect(RGBColor(hex: "#gggggg") == nil)
        #expect(RGBColor(r: 10, g: 11, b: 255).hex == "#0a0bff")
    }
}
