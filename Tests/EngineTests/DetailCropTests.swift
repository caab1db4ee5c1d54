import Foundation
import Testing

@testable import ProdVisualEngine

@Suite struct DetailCropTests {
    let engine = try! ImageEngine()

    /// A flat blue-grey product (700×500, mild grain) on a light backdrop, with high-detail patches:
    /// fine checks of two colours each, at known places.
    static func product(patches: [(rect: PixelRect, colours: ((Double, Double, Double), (Double, Double, Double)))]) -> Synthetic {
        var image = Synthetic(width: 900, height: 700) { _, _ in (238, 238, 236) }
        image.paint((96, 112, 138)) { x, y in
            // A rounded rectangle from (100, 100) to (800, 600), corner radius 40.
            let dx = max(0, max(140 - x, x - 760)), dy = max(0, max(140 - y, y - 560))
            return (100..<800).contains(x) && (100..<600).contains(y) && dx * dx + dy * dy <= 1600
        }
        for patch in patches {
            let r = patch.rect
            for y in r.y..<(r.y + r.height) {
                for x in r.x..<(r.x + r.width) {
                    image.set(x, y, ((x - r.x) / 3 + (y - r.y) / 3) % 2 == 0 ? patch.colours.0 : patch.colours.1)
                }
            }
        }
        return image
    }

    static let patch = PixelRect(x: 200, y: 170, width: 120, height: 120)
    static let ink = ((20.0, 20.0, 24.0), (250.0, 250.0, 250.0))

    /// Pixels of `crop` within `tolerance` (per channel) of one of the patch's two colours.
    func patchPixels(_ crop: PixelImage, _ colours: ((Double, Double, Double), (Double, Double, Double)), tolerance: Double = 60) -> [(x: Int, y: Int)] {
        var found: [(Int, Int)] = []
        for y in 0..<crop.height {
            for x in 0..<crop.width {
                let p = crop.rgb(x: x, y: y).map(Double.init)
                for c in [colours.0, colours.1] where abs(p[0] - c.0) < tolerance && abs(p[1] - c.1) < tolerance && abs(p[2] - c.2) < tolerance {
                    found.append((x, y))
                    break
                }
            }
        }
        return found
    }

    @Test func theFirstCropHoldsTheDetailedPatchWellPlaced() throws {
        let source = try Self.product(patches: [(Self.patch, Self.ink)]).encoded(.png)
        let windows = try engine.detailCropWindows(source: source, count: 3, width: 300, height: 300)
        let first = try #require(windows.first)
        // The window takes in the whole patch.
        let r = first.rect, p = Self.patch
        #expect(r.x <= p.x && r.y <= p.y && r.x + r.width >= p.x + p.width && r.y + r.height >= p.y + p.height, "window \(r), patch \(p)")

        // Measured on the crop's pixels: the checks (resampling blends some of them to grey, so
        // their extent is measured, not their count) span the whole patch, in the middle.
        let crops = try engine.detailCrops(source: source, count: 3, width: 300, height: 300, format: .png, quality: 90)
        let pixels = try engine.decodePixels(try #require(crops.first).bytes)
        let found = patchPixels(pixels, Self.ink)
        let xs = found.map(\.x), ys = found.map(\.y)
        let span = (Double(xs.max()! - xs.min()! + 1) / first.upscale, Double(ys.max()! - ys.min()! + 1) / first.upscale)
        #expect(span.0 > 0.95 * Double(p.width) && span.1 > 0.95 * Double(p.height), "patch span in source pixels: \(span)")
        #expect(span.0 < 1.05 * Double(p.width) && span.1 < 1.05 * Double(p.height), "nothing else looks like the patch: \(span)")
        let centre = (Double(xs.max()! + xs.min()!) / 2, Double(ys.max()! + ys.min()!) / 2)
        #expect((100.0...200.0).contains(centre.0) && (100.0...200.0).contains(centre.1), "patch centre in the 300-pixel crop: \(centre)")
        print("detail patch: window \(r), span \(span), centre in crop \(centre), ×\(String(format: "%.2f", first.upscale))")
    }

    @Test func severalCropsShowDifferentDetailAndDoNotOverlap() throws {
        let patches: [(rect: PixelRect, colours: ((Double, Double, Double), (Double, Double, Double)))] = [
            (PixelRect(x: 170, y: 160, width: 110, height: 110), ((200, 30, 30), (250, 240, 230))),
            (PixelRect(x: 560, y: 180, width: 110, height: 110), ((20, 140, 40), (240, 250, 240))),
            (PixelRect(x: 380, y: 420, width: 110, height: 110), ((230, 200, 20), (20, 20, 20))),
        ]
        let source = try Self.product(patches: patches).encoded(.png)
        let windows = try engine.detailCropWindows(source: source, count: 3, width: 240, height: 240)
        #expect(windows.count == 3)
        for i in 0..<windows.count {
            for j in (i + 1)..<windows.count {
                #expect(windows[i].rect.overlap(windows[j].rect) < ImageEngine.detailMaxOverlap, "\(windows[i].rect) and \(windows[j].rect)")
            }
        }
        // Each crop shows one patch most, and each patch is shown by one crop.
        let crops = try engine.detailCrops(source: source, count: 3, width: 240, height: 240, format: .png, quality: 90)
        var shown = Set<Int>()
        for crop in crops {
            let pixels = try engine.decodePixels(crop.bytes)
            let counts = patches.map { patchPixels(pixels, $0.colours, tolerance: 40).count }
            shown.insert(counts.indices.max { counts[$0] < counts[$1] }!)
        }
        #expect(shown.count == 3, "crops show patches \(shown)")
        let overlaps = windows.indices.flatMap { i in windows.indices.filter { $0 > i }.map { windows[i].rect.overlap(windows[$0].rect) } }
        print("detail patches: windows \(windows.map(\.rect)), pairwise IoU \(overlaps.map { String(format: "%.3f", $0) })")
    }

    @Test(arguments: [(300, 300, ImageFormat.jpeg), (400, 300, .png), (300, 400, .webp), (1000, 250, .jpeg)])
    func cropsAreExactlyTheRequestedSize(_ width: Int, _ height: Int, _ format: ImageFormat) throws {
        let source = try Self.product(patches: [(Self.patch, Self.ink)]).encoded(.jpeg)
        let crops = try engine.detailCrops(source: source, count: 2, width: width, height: height, format: format, quality: 90)
        #expect(!crops.isEmpty)
        for crop in crops {
            #expect(FormatSniffer.sniff(crop.bytes) == format)
            let pixels = try engine.decodePixels(crop.bytes)
            #expect(pixels.width == width && pixels.height == height, "\(pixels.width)x\(pixels.height)")
            #expect(crop.width == width && crop.height == height)
        }
    }

    /// The same region taken from a photo first shrunk to the output's size (a centre crop
    /// scaled down, then the region enlarged back) is what a naive pipeline delivers: the crop,
    /// decoded at the resolution it needs, must be at least as sharp.
    @Test(arguments: ["packshots/B0799CK52K/d80a51d3.jpg", "packshots/B07GTFSCHB/844a1cce.jpg"])
    func cropsAreAtLeastAsSharpAsTheNaiveOnes(_ path: String) throws {
        let source = try Bench.bytes(path)
        let (width, height) = (480, 480)
        let window = try #require(try engine.detailCropWindows(source: source, count: 1, width: width, height: height).first)
        let crop = try #require(try engine.detailCrops(source: source, count: 1, width: width, height: height, format: .png, quality: 90).first)
        let ours = try Vision.sharpness(Raster(pixels: try engine.decodePixels(crop.bytes)))

        let info = try engine.imageInfo(source: source)
        let side = min(info.width, info.height)
        let naiveScale = Double(width) / Double(side)
        let small = try Vips.decode(source, fittingIn: Int(Double(info.width) * naiveScale), Int(Double(info.height) * naiveScale))
        let s = Double(small.width) / Double(info.width)
        let r = window.rect
        let region = PixelRect(x: Int(Double(r.x) * s), y: Int(Double(r.y) * s),
                               width: min(small.width - Int(Double(r.x) * s), max(1, Int(Double(r.width) * s))),
                               height: min(small.height - Int(Double(r.y) * s), max(1, Int(Double(r.height) * s))))
        let naive = try Vision.sharpness(try Vision.resize(small.rgb, region: region, width: width, height: height))
        #expect(ours >= naive, "Laplacian variance: ours \(ours), naive \(naive)")
        print("\(path): sharpness ours \(Int(ours)), naive \(Int(naive)), ×\(String(format: "%.2f", window.upscale)) from source")
    }

    @Test func windowsKeepTheEnlargementBoundedOrTheMinimumSide() throws {
        // A large product: every window has at least output / 1.5 source pixels.
        let large = try Self.product(patches: [(Self.patch, Self.ink)]).encoded(.png)
        for window in try engine.detailCropWindows(source: large, count: 3, width: 600, height: 450) {
            #expect(window.upscale <= ImageEngine.detailMaxUpscale + 0.01, "\(window)")
            #expect(abs(Double(window.rect.width) / Double(window.rect.height) - 600.0 / 450.0) < 0.02, "aspect of \(window.rect)")
        }
        // A small product in a large photo: tighter crops, but never under the minimum side.
        var small = Synthetic(width: 1000, height: 800) { _, _ in (240, 240, 238) }
        small.paint((90, 60, 50)) { x, y in (450..<640).contains(x) && (350..<500).contains(y) }
        for y in 380..<440 { for x in 480..<540 { small.set(x, y, ((x / 2 + y / 2) % 2 == 0 ? (240, 220, 40) : (20, 20, 20))) } }
        let windows = try engine.detailCropWindows(source: try small.encoded(.png), count: 2, width: 800, height: 800)
        let first = try #require(windows.first)
        #expect(min(first.rect.width, first.rect.height) >= ImageEngine.detailMinimumSide, "\(first.rect)")
        #expect(first.rect.width <= 200, "a close-up of a 190-pixel product is no wider than it: \(first.rect)")
    }

    @Test func sameInputSameCrops() throws {
        let source = try Bench.bytes("packshots/B07GTFSCHB/844a1cce.jpg")
        let first = try engine.detailCrops(source: source, count: 3, width: 500, height: 400, format: .jpeg, quality: 85)
        let second = try engine.detailCrops(source: source, count: 3, width: 500, height: 400, format: .jpeg, quality: 85)
        #expect(first.map(\.bytes) == second.map(\.bytes))
    }

    @Test func invalidRequestsAreRefused() throws {
        let source = try Self.product(patches: []).encoded(.png)
        #expect(throws: ImagingError.self) { try engine.detailCrops(source: source, count: 0, width: 300, height: 300, format: .jpeg, quality: 90) }
        #expect(throws: ImagingError.self) { try engine.detailCrops(source: source, count: 3, width: 0, height: 300, format: .jpeg, quality: 90) }
        #expect(throws: ImagingError.self) { try engine.detailCrops(source: source, count: 3, width: 300, height: 300, format: .jpeg, quality: 0) }
        #expect(throws: ImagingError.unsupportedFormat) { try engine.detailCrops(source: [1, 2, 3], count: 3, width: 300, height: 300, format: .jpeg, quality: 90) }
    }
}

extension Raster {
    init(pixels image: PixelImage) {
        self.init(width: image.width, height: image.height, bands: image.bands, pixels: image.data)
    }
}
