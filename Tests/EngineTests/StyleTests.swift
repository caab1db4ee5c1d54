import Foundation
import Testing

@testable import ProdVisualEngine

/// Every style on a product with a known shape: a red slab, 1.6 times as wide as it is high.
@Suite struct StyleTests {
    let engine = try! ImageEngine()

    static let photo: [UInt8] = {
        var image = Synthetic(width: 420, height: 320) { _, _ in (244, 244, 242) }
        image.paint((205, 28, 36)) { x, y in (90..<330).contains(x) && (100..<250).contains(y) }
        return try! image.encoded(.jpeg)
    }()

    static func spec(_ composition: Composition, width: Int = 640, height: Int = 640, format: ImageFormat = .png) -> RenderSpec {
        var spec = RenderSpec(
            composition: composition, width: width, height: height, productFill: 0.8, background: .color(.white),
            format: format, quality: 90, watermark: nil)
        spec.text = StyleText(headline: "New season", subheadline: "Free shipping", features: ["Light", "Strong", "Warm"],
                              badge: "-20%", widthLabel: "40 cm", heightLabel: "25 cm")
        spec.colors = [RGBColor(r: 30, g: 60, b: 200), RGBColor(r: 30, g: 170, b: 60)]
        return spec
    }

    static func isRed(_ image: PixelImage, _ x: Int, _ y: Int) -> Bool {
        let p = image.rgb(x: x, y: y)
        return image.alpha(x: x, y: y) > 128 && p[0] > 150 && p[1] < 90 && p[2] < 90
    }

    /// Bounding box of the slab's red in the output: the red region nearest the middle of the
    /// columns searched (a red sale badge elsewhere is not the product).
    static func redBox(_ image: PixelImage, columns: Range<Int>? = nil) -> PixelRect? {
        let columns = columns ?? 0..<image.width
        let centre = (x: (columns.lowerBound + columns.upperBound) / 2, y: image.height / 2)
        var start: (x: Int, y: Int)?
        var nearest = Int.max
        for y in stride(from: 0, to: image.height, by: 2) {
            for x in stride(from: columns.lowerBound, to: columns.upperBound, by: 2) where isRed(image, x, y) {
                let d = (x - centre.x) * (x - centre.x) + (y - centre.y) * (y - centre.y)
                if d < nearest { nearest = d; start = (x, y) }
            }
        }
        guard let start else { return nil }
        var seen = Set<Int>([start.y * image.width + start.x])
        var queue = [start]
        var minX = start.x, minY = start.y, maxX = start.x, maxY = start.y
        while let (x, y) = queue.popLast() {
            minX = min(minX, x); maxX = max(maxX, x); minY = min(minY, y); maxY = max(maxY, y)
            for (nx, ny) in [(x + 1, y), (x - 1, y), (x, y + 1), (x, y - 1)]
            where columns.contains(nx) && (0..<image.height).contains(ny) && isRed(image, nx, ny) && seen.insert(ny * image.width + nx).inserted {
                queue.append((nx, ny))
            }
        }
        return PixelRect(x: minX, y: minY, width: maxX - minX + 1, height: maxY - minY + 1)
    }

    @Test(arguments: Composition.allCases.filter { $0 != .colorVariants && $0 != .comparison })
    func sizeFormatAndAnUnstretchedProduct(_ composition: Composition) throws {
        let spec = Self.spec(composition, width: 720, height: 560, format: composition == .transparent ? .png : .jpeg)
        let rendered = try engine.render(source: Self.photo, spec: spec)
        #expect(FormatSniffer.sniff(rendered.bytes) == spec.format)
        let image = try engine.decodePixels(rendered.bytes)
        #expect(image.width == 720 && image.height == 560)
        let box = try #require(Self.redBox(image), "\(composition.rawValue): the product is missing")
        let aspect = Double(box.width) / Double(box.height)
        #expect(abs(aspect - 1.6) < 0.1, "\(composition.rawValue): product box \(box), aspect \(aspect)")
        #expect(box.x > 0 && box.y > 0 && box.x + box.width < 720 && box.y + box.height < 560, "\(composition.rawValue): cut off at the edge")
    }

    @Test func comparisonShowsTheOriginalBesideTheProcessedProduct() throws {
        let image = try engine.decodePixels(try engine.render(source: Self.photo, spec: Self.spec(.comparison, width: 1000, height: 560)).bytes)
        let before = try #require(Self.redBox(image, columns: 0..<500))
        let after = try #require(Self.redBox(image, columns: 500..<1000))
        for box in [before, after] { #expect(abs(Double(box.width) / Double(box.height) - 1.6) < 0.1, "\(box)") }
        // The original keeps its grey-white backdrop; the processed side is pure white around the product.
        #expect(image.rgb(x: 40, y: 300) != [255, 255, 255])
        #expect(image.rgb(x: 960, y: 300) == [255, 255, 255])
    }

    @Test func colourVariantsRecolourTheProductIntoEachColour() throws {
        let image = try engine.decodePixels(try engine.render(source: Self.photo, spec: Self.spec(.colorVariants, width: 1000, height: 500)).bytes)
        var red = 0
        for y in 0..<500 { for x in 0..<1000 where Self.isRed(image, x, y) { red += 1 } }
        #expect(red < 100, "no copy keeps the original red: \(red) red pixels")
        // Each half holds one copy, in its own colour: mostly blue on the left, green on the right.
        func dominant(_ columns: Range<Int>) -> (blue: Int, green: Int) {
            var counts = (blue: 0, green: 0)
            for y in stride(from: 0, to: 500, by: 2) {
                for x in stride(from: columns.lowerBound, to: columns.upperBound, by: 2) {
                    let p = image.rgb(x: x, y: y).map(Int.init)
                    if p[2] > p[0] + 60 && p[2] > p[1] + 40 { counts.blue += 1 }
                    if p[1] > p[0] + 60 && p[1] > p[2] + 40 { counts.green += 1 }
                }
            }
            return counts
        }
        let left = dominant(0..<500), right = dominant(500..<1000)
        #expect(left.blue > 2000 && left.blue > 10 * left.green, "\(left)")
        #expect(right.green > 2000 && right.green > 10 * right.blue, "\(right)")
    }

    @Test(arguments: [Composition.whiteBackground, .dropShadow])
    func plainBackgroundsTakeTheRequestedColour(_ composition: Composition) throws {
        var spec = Self.spec(composition)
        spec.background = .color(RGBColor(r: 40, g: 90, b: 200))
        let image = try engine.decodePixels(try engine.render(source: Self.photo, spec: spec).bytes)
        for (x, y) in [(2, 2), (637, 2), (2, 637), (637, 637)] { #expect(image.rgb(x: x, y: y) == [40, 90, 200]) }
    }

    @Test func scenesAreReproducibleFromTheirSeedAndVaryAcrossSeeds() throws {
        var spec = Self.spec(.lifestyle, width: 480, height: 480)
        spec.seed = 7
        let first = try engine.render(source: Self.photo, spec: spec).bytes
        #expect(try engine.render(source: Self.photo, spec: spec).bytes == first)
        spec.seed = 8
        #expect(try engine.render(source: Self.photo, spec: spec).bytes != first)
        spec.scene = "kitchen"
        let kitchen = try engine.render(source: Self.photo, spec: spec).bytes
        spec.seed = 9
        // A named scene is that scene whatever the seed; only its textures move.
        #expect(try engine.decodePixels(try engine.render(source: Self.photo, spec: spec).bytes).rgb(x: 240, y: 40)
            == (try engine.decodePixels(kitchen).rgb(x: 240, y: 40)))
    }

    @Test func storyTextKeepsOutOfTheAppsSafeZones() throws {
        // Only text differs between the two renders: where they differ is where the text is.
        var plain = Self.spec(.socialStory, width: 540, height: 960)
        plain.text = StyleText()
        var worded = plain
        worded.text = StyleText(headline: "A headline long enough to wrap over two lines", subheadline: "And a subheadline")
        let a = try engine.decodePixels(try engine.render(source: Self.photo, spec: plain).bytes)
        let b = try engine.decodePixels(try engine.render(source: Self.photo, spec: worded).bytes)
        var rows: [Int] = []
        for y in 0..<960 where (0..<540).contains(where: { a.rgb(x: $0, y: y) != b.rgb(x: $0, y: y) }) { rows.append(y) }
        let (top, bottom) = (try #require(rows.min()), try #require(rows.max()))
        #expect(top >= Int(960 * 0.14) && bottom <= Int(960 * 0.8), "text rows \(top)...\(bottom)")
    }

    @Test func fittedTextNeverLeavesItsBox() throws {
        var stage = Stage(width: 400, height: 300)
        let box = PixelRect(x: 20, y: 30, width: 200, height: 60)
        let long = String(repeating: "Extraordinarily long marketing words ", count: 4)
        let used = try stage.text(long, in: box, font: .heavy, colour: .ink)
        #expect(used.x >= box.x && used.y >= box.y && used.x + used.width <= box.x + box.width && used.y + used.height <= box.y + box.height, "\(used)")
        #expect(used.width > 100, "the text was drawn, at a readable size")
    }

    @Test func inkContrastsWithItsBackdrop() {
        #expect(RGBColor(r: 250, g: 240, b: 230).readableInk == .ink)
        #expect(RGBColor(r: 20, g: 24, b: 40).readableInk == .white)
        #expect(RGBColor(r: 20, g: 24, b: 40).readableInk.contrast(with: RGBColor(r: 20, g: 24, b: 40)) > 4.5)
    }
}
