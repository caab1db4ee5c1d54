import COpenCV
import Foundation
import Testing

@testable import ProdVisualEngine

// MARK: Helpers

extension Synthetic {
    /// A photo-like backdrop: the colour with a little sensor noise.
    init(width: Int, height: Int, backdrop: (Double, Double, Double)) {
        self.init(width: width, height: height) { x, y in
            let noise = Double((x * 31 + y * 17) % 3) - 1
            return (backdrop.0 + noise, backdrop.1 + noise, backdrop.2 + noise)
        }
    }
}

/// The truth's bounding box and area, in fractions of the frame, counted from its pixels.
func truthGeometry(_ image: Synthetic) -> (box: ProductAnalysis.Box, area: Double) {
    var minX = image.width, minY = image.height, maxX = -1, maxY = -1, count = 0
    for y in 0..<image.height {
        for x in 0..<image.width where image.truth[y * image.width + x] >= 128 {
            minX = min(minX, x)
            maxX = max(maxX, x)
            minY = min(minY, y)
            maxY = max(maxY, y)
            count += 1
        }
    }
    let w = Double(image.width), h = Double(image.height)
    return (ProductAnalysis.Box(x: Double(minX) / w, y: Double(minY) / h, width: Double(maxX - minX + 1) / w,
                                height: Double(maxY - minY + 1) / h), Double(count) / (w * h))
}

/// Every pixel's bytes scaled by `factor` (a photo exposed brighter or darker), clipped to 255.
func exposed(_ image: PixelImage, by factor: Double) throws -> [UInt8] {
    let table = (0..<256).map { UInt8(min(255, (Double($0) * factor).rounded())) }
    let pixels = image.data.map { table[Int($0)] }
    return try Vips.encode(Raster(width: image.width, height: image.height, bands: image.bands, pixels: pixels), as: .jpeg, quality: 95)
}

/// Rank correlation: Pearson's on the ranks (ties share their mean rank).
func spearman(_ a: [Double], _ b: [Double]) -> Double {
    func ranks(_ values: [Double]) -> [Double] {
        let order = values.indices.sorted { values[$0] < values[$1] }
        var out = [Double](repeating: 0, count: values.count)
        var i = 0
        while i < order.count {
            var j = i
            while j + 1 < order.count && values[order[j + 1]] == values[order[i]] { j += 1 }
            for k in i...j { out[order[k]] = Double(i + j) / 2 }
            i = j + 1
        }
        return out
    }
    let (x, y) = (ranks(a), ranks(b))
    let mx = x.reduce(0, +) / Double(x.count), my = y.reduce(0, +) / Double(y.count)
    let cov = zip(x, y).map { ($0 - mx) * ($1 - my) }.reduce(0, +)
    let vx = x.map { ($0 - mx) * ($0 - mx) }.reduce(0, +), vy = y.map { ($0 - my) * ($0 - my) }.reduce(0, +)
    return cov / (vx * vy).squareRoot()
}

func percent(_ value: Double) -> String { "\(Int((value * 100).rounded()))%" }

// MARK: Metadata written into files, byte by byte, as cameras and editors write it

enum MetadataFixture {
    static func bigEndian32(_ value: Int) -> [UInt8] { [UInt8(value >> 24 & 0xFF), UInt8(value >> 16 & 0xFF), UInt8(value >> 8 & 0xFF), UInt8(value & 0xFF)] }
    static func bigEndian16(_ value: Int) -> [UInt8] { [UInt8(value >> 8 & 0xFF), UInt8(value & 0xFF)] }

    /// An APP1 Exif segment with IFD0 ImageDescription (ASCII) and XPTitle (UCS-2, little-endian).
    static func exif(description: String?, xpTitle: String? = nil) -> [UInt8] {
        var entries: [(tag: Int, type: Int, count: Int, data: [UInt8])] = []
        if let description { entries.append((0x010E, 2, description.utf8.count + 1, Array(description.utf8) + [0])) }
        if let xpTitle {
            let bytes: [UInt8] = xpTitle.utf16.flatMap { [UInt8($0 & 0xFF), UInt8($0 >> 8)] } + [0, 0]
            entries.append((0x9C9B, 1, bytes.count, bytes))
        }
        var tiff: [UInt8] = [0x4D, 0x4D, 0x00, 0x2A] + bigEndian32(8) + bigEndian16(entries.count)
        var dataOffset = 8 + 2 + 12 * entries.count + 4
        var data: [UInt8] = []
        for entry in entries {
            tiff += bigEndian16(entry.tag) + bigEndian16(entry.type) + bigEndian32(entry.count)
            if entry.data.count <= 4 {
                tiff += entry.data + [UInt8](repeating: 0, count: 4 - entry.data.count)
            } else {
                tiff += bigEndian32(dataOffset)
                data += entry.data + (entry.data.count % 2 == 1 ? [0] : [])
                dataOffset += entry.data.count + entry.data.count % 2
            }
        }
        tiff += [0, 0, 0, 0] + data
        return segment(0xE1, Array("Exif".utf8) + [0, 0] + tiff)
    }

    /// An APP1 XMP segment whose dc:title has a German entry before the x-default one.
    static func xmp(title: String) -> [UInt8] {
        let packet = """
            <?xpacket begin="\u{FEFF}" id="W5M0MpCehiHzreSzNTczkc9d"?><x:xmpmeta xmlns:x="adobe:ns:meta/">\
            <rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"><rdf:Description rdf:about="" \
            xmlns:dc="http://purl.org/dc/elements/1.1/"><dc:title><rdf:Alt><rdf:li xml:lang="de-DE">Reisetasche</rdf:li>\
            <rdf:li xml:lang="x-default">\(title)</rdf:li></rdf:Alt></dc:title></rdf:Description></rdf:RDF></x:xmpmeta>\
            <?xpacket end="w"?>
            """
        return segment(0xE1, Array("http://ns.adobe.com/xap/1.0/".utf8) + [0] + Array(packet.utf8))
    }

    /// An APP13 Photoshop segment with an IPTC-IIM resource holding ObjectName (2:05).
    static func iptc(objectName: String) -> [UInt8] {
        let name = Array(objectName.utf8)
        var iim: [UInt8] = [0x1C, 0x02, 0x00, 0x00, 0x02, 0x00, 0x04]  // record version 4
        iim += [0x1C, 0x02, 0x05] + bigEndian16(name.count) + name
        if iim.count % 2 == 1 { iim.append(0) }
        let resource = Array("8BIM".utf8) + [0x04, 0x04, 0x00, 0x00] + bigEndian32(iim.count) + iim
        return segment(0xED, Array("Photoshop 3.0".utf8) + [0] + resource)
    }

    static func segment(_ marker: UInt8, _ payload: [UInt8]) -> [UInt8] { [0xFF, marker] + bigEndian16(payload.count + 2) + payload }

    /// The JPEG with the segments inserted right after its start-of-image marker.
    static func jpeg(_ jpeg: [UInt8], inserting segments: [UInt8]) -> [UInt8] { Array(jpeg[0..<2]) + segments + Array(jpeg[2...]) }

    /// The PNG with a tEXt chunk inserted right after its IHDR chunk.
    static func png(_ png: [UInt8], keyword: String, text: String) -> [UInt8] {
        let body = Array("tEXt".utf8) + Array(keyword.utf8) + [0] + Array(text.utf8)
        let chunk = bigEndian32(body.count - 4) + body + bigEndian32(Int(crc32(body)))
        return Array(png[0..<33]) + chunk + Array(png[33...])
    }

    static func crc32(_ bytes: [UInt8]) -> UInt32 {
        var crc: UInt32 = 0xFFFF_FFFF
        for byte in bytes {
            crc ^= UInt32(byte)
            for _ in 0..<8 { crc = crc & 1 == 1 ? (crc >> 1) ^ 0xEDB8_8320 : crc >> 1 }
        }
        return ~crc
    }
}

// MARK: Tests

@Suite struct AnalysisTests {
    let engine = try! ImageEngine()

    @Test func solidNavyObjectOnWhite() throws {
        var image = Synthetic(width: 360, height: 240, backdrop: (253, 253, 253))
        image.paint((31, 42, 68)) { x, y in (110..<260).contains(x) && (50..<200).contains(y) }
        let analysis = try engine.analyze(source: try image.encoded(.png))
        let truth = truthGeometry(image)

        #expect(analysis.width == 360 && analysis.height == 240 && analysis.orientation == .landscape && analysis.format == .png)
        #expect(abs(analysis.boundingBox.x - truth.box.x) < 0.01 && abs(analysis.boundingBox.width - truth.box.width) < 0.015, "\(analysis.boundingBox) vs \(truth.box)")
        #expect(abs(analysis.boundingBox.y - truth.box.y) < 0.015 && abs(analysis.boundingBox.height - truth.box.height) < 0.02, "\(analysis.boundingBox) vs \(truth.box)")
        #expect(abs(analysis.fill.mask - truth.area) < 0.02, "mask fill \(analysis.fill.mask) vs \(truth.area)")
        #expect(abs(analysis.fill.boundingBox - truth.box.width * truth.box.height) < 0.02)

        let names = analysis.dominantColors.map(\.name)
        #expect(analysis.dominantColors.first?.name == "navy", "\(analysis.dominantColors)")
        #expect((analysis.dominantColors.first?.share ?? 0) > 0.95, "\(analysis.dominantColors)")
        #expect(!names.contains("white"), "the backdrop leaked into the colours: \(analysis.dominantColors)")
        #expect(analysis.background.kind == .white && analysis.background.color == "#fdfdfd", "\(analysis.background)")
        #expect(analysis.cutoutConfidence > 0.8, "confidence \(analysis.cutoutConfidence)")
        #expect(analysis.exposure.verdict == .ok)
        #expect(analysis.embeddedTitle == nil)
    }

    @Test func twoColourObjectSharesMatchTheirAreas() throws {
        // A red body with a blue band on light grey paper: the shares are counted from the pixels.
        var image = Synthetic(width: 320, height: 320, backdrop: (196, 196, 200))
        let body: (Int, Int) -> Bool = { x, y in (60..<260).contains(x) && (40..<280).contains(y) }
        let band: (Int, Int) -> Bool = { x, y in body(x, y) && (200..<280).contains(y) }
        image.paint((196, 32, 47)) { x, y in body(x, y) && !band(x, y) }
        image.paint((42, 91, 215)) { x, y in band(x, y) }
        var red = 0, blue = 0
        for y in 0..<320 {
            for x in 0..<320 where body(x, y) {
                if band(x, y) { blue += 1 } else { red += 1 }
            }
        }
        let analysis = try engine.analyze(source: try image.encoded(.png))
        let colours = Dictionary(uniqueKeysWithValues: analysis.dominantColors.map { ($0.name, $0.share) })
        let redShare = Double(red) / Double(red + blue), blueShare = Double(blue) / Double(red + blue)
        #expect(abs((colours["red"] ?? 0) - redShare) < 0.05, "\(analysis.dominantColors) vs red \(redShare)")
        #expect(abs((colours["blue"] ?? 0) - blueShare) < 0.05, "\(analysis.dominantColors) vs blue \(blueShare)")
        #expect(analysis.dominantColors.count == 2, "\(analysis.dominantColors)")
        #expect(analysis.background.kind == .uniform, "\(analysis.background)")
        #expect(analysis.orientation == .square)
    }

    @Test func coloursOfARealPackshotMatchItsPixels() throws {
        // A grey duffel with black straps, and a jar with a yellow band. The truth is measured on
        // the cutout's own pixels: the share that is dark, and the share that is clearly yellow.
        for file in ["packshots/B0799CK52K/528c608a.jpg", "packshots/B07GTFSCHB/844a1cce.jpg"] {
            let source = try Bench.bytes(file)
            let analysis = try engine.analyze(source: source)
            let cutout = try Vips.decode(try engine.cutout(source: source).png, fittingIn: 512, 512)
            var total = 0, dark = 0, yellow = 0, neutral = 0
            for index in 0..<(cutout.width * cutout.height) where cutout.pixels[index * 4 + 3] >= 128 {
                let lab = CIELAB(RGBColor(r: cutout.pixels[index * 4], g: cutout.pixels[index * 4 + 1], b: cutout.pixels[index * 4 + 2]))
                total += 1
                if lab.l < 32 { dark += 1 }
                if lab.b > 30 { yellow += 1 }
                if (lab.a * lab.a + lab.b * lab.b).squareRoot() < 10 { neutral += 1 }
            }
            let labs = analysis.dominantColors.map { ($0, CIELAB(RGBColor(hex: $0.hex)!)) }
            let reportedDark = labs.filter { $0.1.l < 32 }.map(\.0.share).reduce(0, +)
            let reportedYellow = labs.filter { $0.1.b > 30 }.map(\.0.share).reduce(0, +)
            let reportedNeutral = labs.filter { ($0.1.a * $0.1.a + $0.1.b * $0.1.b).squareRoot() < 10 }.map(\.0.share).reduce(0, +)
            let measured = (dark: Double(dark) / Double(total), yellow: Double(yellow) / Double(total), neutral: Double(neutral) / Double(total))
            let report = "\(file): \(analysis.dominantColors.map { "\($0.name) \(percent($0.share)) \($0.hex)" }); measured \(measured)"
            print(report)
            #expect(abs(reportedDark - measured.dark) < 0.08, "dark: \(report)")
            #expect(abs(reportedYellow - measured.yellow) < 0.05, "yellow: \(report)")
            #expect(abs(reportedNeutral - measured.neutral) < 0.1, "neutral: \(report)")
            // Names agree with the colours they name: dark ones darker than grey, neutral ones neutral.
            let grey = CIELAB(RGBColor(hex: ColorNames.references.first { $0.name == "grey" }!.hex)!)
            for (colour, lab) in labs {
                if ["black", "charcoal"].contains(colour.name) { #expect(lab.l < grey.l, "\(colour)") }
                if ["black", "charcoal", "grey", "light grey", "white"].contains(colour.name) {
                    #expect((lab.a * lab.a + lab.b * lab.b).squareRoot() < 8, "\(colour)")
                }
            }
            #expect(analysis.background.kind == .white, "\(file): \(analysis.background)")
            #expect(abs(analysis.dominantColors.map(\.share).reduce(0, +) - 1) < 0.08, "\(report)")
        }
    }

    @Test func blurIsMeasuredAndFlagged() throws {
        let source = try Bench.bytes("packshots/B0799CK52K/528c608a.jpg")
        let sharp = try engine.analyze(source: source)
        // Blurred at the source by sigma 4: about 2 pixels at the scale sharpness is measured at.
        let pixels = try engine.decodePixels(source)
        var blurred = pixels.data
        let status = blurred.withUnsafeMutableBufferPointer {
            pv_cv_blur_region($0.baseAddress, Int32(pixels.width), Int32(pixels.height), Int32(pixels.bands), 0, 0,
                              Int32(pixels.width), Int32(pixels.height), 4)
        }
        #expect(status == 0)
        let soft = try engine.analyze(source: try Vips.encode(
            Raster(width: pixels.width, height: pixels.height, bands: pixels.bands, pixels: blurred), as: .jpeg, quality: 95))
        #expect(!sharp.sharpness.isBlurry, "\(sharp.sharpness)")
        #expect(soft.sharpness.isBlurry, "\(soft.sharpness)")
        #expect(soft.sharpness.laplacianVariance < 0.25 * sharp.sharpness.laplacianVariance, "\(soft.sharpness) vs \(sharp.sharpness)")
        // The same product, so the same colours: blur moves edges, not what the product is.
        #expect(soft.dominantColors.first?.name == sharp.dominantColors.first?.name)
    }

    @Test func exposureFollowsTheLight() throws {
        // A book with a white cover on a white sweep, exposed at half and at twice its values.
        let source = try Bench.bytes("cutout/studio/images/00000020_025_white_sweep.jpg")
        let pixels = try engine.decodePixels(source)
        let normal = try engine.analyze(source: source)
        let dark = try engine.analyze(source: try exposed(pixels, by: 0.45))
        let bright = try engine.analyze(source: try exposed(pixels, by: 2))
        #expect(normal.exposure.verdict == .ok, "\(normal.exposure)")
        #expect(dark.exposure.verdict == .under, "\(dark.exposure)")
        #expect(bright.exposure.verdict == .over, "\(bright.exposure)")
        #expect(dark.exposure.meanLuminance < normal.exposure.meanLuminance - 0.2)
        #expect(bright.exposure.meanLuminance > normal.exposure.meanLuminance + 0.1)
        #expect(bright.exposure.clippedHighlights > normal.exposure.clippedHighlights + 0.2)
        // A dark product on white is dark, not underexposed.
        let bag = try engine.analyze(source: try Bench.bytes("packshots/B0799CK52K/25ffa37c.jpg"))
        #expect(bag.exposure.meanLuminance < 0.3 && bag.exposure.verdict == .ok, "\(bag.exposure)")
    }

    @Test func orientationIsSquareWithinTwoPercent() throws {
        for (width, height, expected) in [
            (200, 196, ProductAnalysis.Orientation.square), (196, 200, .square), (200, 190, .landscape), (150, 200, .portrait),
        ] {
            var image = Synthetic(width: width, height: height, backdrop: (240, 240, 240))
            image.paint((30, 120, 60)) { x, y in (width / 4..<width * 3 / 4).contains(x) && (height / 4..<height * 3 / 4).contains(y) }
            let analysis = try engine.analyze(source: try image.encoded(.jpeg))
            #expect(analysis.orientation == expected, "\(width)x\(height)")
            #expect(analysis.format == .jpeg)
        }
    }

    @Test func theInputsOwnTransparencyIsTheMask() throws {
        // Opaque red on transparent black: the black under the transparency is no colour of it.
        var rgba = [UInt8]()
        for y in 0..<160 {
            for x in 0..<200 {
                let inside = (50..<150).contains(x) && (40..<120).contains(y)
                rgba += inside ? [200, 30, 40, 255] : [0, 0, 0, 0]
            }
        }
        let png = try Vips.encode(Raster(width: 200, height: 160, bands: 4, pixels: rgba), as: .png, quality: 100)
        let analysis = try engine.analyze(source: png)
        #expect(analysis.background.kind == .transparent && analysis.background.color == nil)
        #expect(analysis.cutoutConfidence == 1)
        #expect(analysis.dominantColors.map(\.name) == ["red"], "\(analysis.dominantColors)")
        #expect(abs(analysis.fill.mask - 100.0 * 80 / (200 * 160)) < 0.01)
    }

    @Test func sameBytesSameAnalysis() throws {
        let source = try Bench.bytes("cutout/scenes/images/00000003.jpg")
        #expect(try engine.analyze(source: source) == (try engine.analyze(source: source)))
    }

    @Test func foreignBytesAreRefused() throws {
        #expect(throws: ImagingError.unsupportedFormat) { try engine.analyze(source: Array("not an image".utf8)) }
    }
}

@Suite struct AnalysisTitleTests {
    let engine = try! ImageEngine()

    func jpeg() throws -> [UInt8] {
        var image = Synthetic(width: 120, height: 90, backdrop: (250, 250, 250))
        image.paint((90, 60, 40)) { x, y in (30..<90).contains(x) && (20..<70).contains(y) }
        return try image.encoded(.jpeg)
    }

    func png() throws -> [UInt8] {
        var image = Synthetic(width: 120, height: 90, backdrop: (250, 250, 250))
        image.paint((90, 60, 40)) { x, y in (30..<90).contains(x) && (20..<70).contains(y) }
        return try image.encoded(.png)
    }

    @Test func exifDescriptionIsTheTitle() throws {
        let tagged = MetadataFixture.jpeg(try jpeg(), inserting: MetadataFixture.exif(description: "  Canvas Weekender Duffel, Iron Grey \n"))
        #expect(try engine.analyze(source: tagged).embeddedTitle == "Canvas Weekender Duffel, Iron Grey")
    }

    @Test func xpTitleBeatsTheDescription() throws {
        let tagged = MetadataFixture.jpeg(try jpeg(), inserting: MetadataFixture.exif(description: "Side view", xpTitle: "Sac de sport « Starter »"))
        #expect(try engine.analyze(source: tagged).embeddedTitle == "Sac de sport « Starter »")
    }

    @Test func xmpTitleIsReadAndUnescaped() throws {
        let tagged = MetadataFixture.jpeg(
            try jpeg(), inserting: MetadataFixture.exif(description: "OLYMPUS DIGITAL CAMERA") + MetadataFixture.xmp(title: "Duffel &amp; Gym Bag &#x2014; 40 L"))
        #expect(try engine.analyze(source: tagged).embeddedTitle == "Duffel & Gym Bag — 40 L")
    }

    @Test func iptcObjectNameIsRead() throws {
        let tagged = MetadataFixture.jpeg(try jpeg(), inserting: MetadataFixture.iptc(objectName: "Vitamin E 268 mg, 365 capsules"))
        #expect(try engine.analyze(source: tagged).embeddedTitle == "Vitamin E 268 mg, 365 capsules")
    }

    @Test func pngTextTitleIsRead() throws {
        let tagged = MetadataFixture.png(try png(), keyword: "Title", text: "LED bulb GU10, 6 W")
        #expect(try engine.analyze(source: tagged).embeddedTitle == "LED bulb GU10, 6 W")
        let described = MetadataFixture.png(try png(), keyword: "Description", text: "Warm white spot")
        #expect(try engine.analyze(source: described).embeddedTitle == "Warm white spot")
    }

    @Test(arguments: ["OLYMPUS DIGITAL CAMERA", "default", "   ", "IMG_4032.JPG", "DSC01234", "????"])
    func placeholdersAreNoTitle(_ placeholder: String) throws {
        let tagged = MetadataFixture.jpeg(try jpeg(), inserting: MetadataFixture.exif(description: placeholder))
        #expect(try engine.analyze(source: tagged).embeddedTitle == nil)
        let png = MetadataFixture.png(try png(), keyword: "Title", text: placeholder)
        #expect(try engine.analyze(source: png).embeddedTitle == nil)
    }

    @Test func untaggedPhotosHaveNoTitle() throws {
        #expect(try engine.analyze(source: try jpeg()).embeddedTitle == nil)
        #expect(try engine.analyze(source: try Bench.bytes("packshots/B07GTFSCHB/844a1cce.jpg")).embeddedTitle == nil)
    }
}

@Suite struct AnalysisColourTests {
    /// Pairs from Sharma, Wu and Dalal's CIEDE2000 test data.
    @Test(arguments: [
        ((50.0, 2.6772, -79.7751), (50.0, 0.0, -82.7485), 2.0425),
        ((50.0, 2.5, 0.0), (73.0, 25.0, -18.0), 27.1492),
        ((50.0, 2.5, 0.0), (50.0, 3.2592, 0.3350), 1.0),
        ((60.2574, -34.0099, 36.2677), (60.4626, -34.1751, 39.4387), 1.2644),
        ((22.7233, 20.0904, -46.6940), (23.0331, 14.9730, -42.5619), 2.0373),
        ((2.0776, 0.0795, -1.1350), (0.9033, -0.0636, -0.5514), 0.9082),
    ])
    func ciede2000MatchesTheReference(_ first: (Double, Double, Double), _ second: (Double, Double, Double), _ expected: Double) {
        let a = CIELAB(l: first.0, a: first.1, b: first.2), b = CIELAB(l: second.0, a: second.1, b: second.2)
        #expect(abs(a.deltaE2000(b) - expected) < 1e-4, "\(a.deltaE2000(b))")
        #expect(abs(b.deltaE2000(a) - expected) < 1e-4)
    }

    @Test func everyReferenceIsNamedByItsOwnName() {
        #expect(ColorNames.references.count >= 30)
        #expect(Set(ColorNames.references.map(\.name)).count == ColorNames.references.count)
        for (name, hex) in ColorNames.references {
            #expect(ColorNames.nearest(to: CIELAB(RGBColor(hex: hex)!)) == name)
            #expect(CIELAB(RGBColor(hex: hex)!).rgb.hex == hex, "\(name) does not survive sRGB -> CIELAB -> sRGB")
        }
    }

    @Test func closeClustersMergeAndSmallOnesDrop() {
        func cluster(_ hex: String, _ share: Double) -> pv_colour_cluster {
            let lab = CIELAB(RGBColor(hex: hex)!)
            return pv_colour_cluster(lab: (lab.l, lab.a, lab.b), share: share)
        }
        // Two shades of one navy, a red, and a 2% speck of yellow.
        let colours = ProductAnalysis.dominantColors([
            cluster("#1a2d5a", 0.5), cluster("#22345f", 0.3), cluster("#c4202f", 0.18), cluster("#f0d21e", 0.02),
        ])
        #expect(colours.map(\.name) == ["navy", "red"], "\(colours)")
        #expect(abs(colours[0].share - 0.8) < 1e-9 && abs(colours[1].share - 0.18) < 1e-9)
    }
}
