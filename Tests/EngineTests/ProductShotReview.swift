import Foundation
import Testing

@testable import ProdVisualEngine

/// Contact sheets of the product-shot operations on every bench packshot, to look at: run with
/// `PRODVISUAL_REVIEW_DIR=/tmp/review swift test --filter ProductShotReview`. Skipped otherwise.
@Suite(.enabled(if: ProcessInfo.processInfo.environment["PRODVISUAL_REVIEW_DIR"] != nil), .serialized)
struct ProductShotReview {
    let engine = try! ImageEngine()
    let directory = URL(fileURLWithPath: ProcessInfo.processInfo.environment["PRODVISUAL_REVIEW_DIR"] ?? "/tmp")

    static func photos(_ folder: String) throws -> [String] {
        let root = Bench.root.appendingPathComponent(folder)
        let manager = FileManager.default
        var found: [String] = []
        for entry in try manager.contentsOfDirectory(atPath: root.path).sorted() {
            var isDirectory: ObjCBool = false
            let path = root.appendingPathComponent(entry).path
            guard manager.fileExists(atPath: path, isDirectory: &isDirectory) else { continue }
            if isDirectory.boolValue {
                for file in try manager.contentsOfDirectory(atPath: path).sorted() where file.hasSuffix(".jpg") || file.hasSuffix(".png") {
                    found.append("\(folder)/\(entry)/\(file)")
                }
            } else if entry.hasSuffix(".jpg") || entry.hasSuffix(".png") {
                found.append("\(folder)/\(entry)")
            }
        }
        return found
    }

    func write(_ name: String, _ tiles: [(label: String, image: [UInt8])], columns: Int) throws {
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let sheet = try engine.contactSheet(tiles, columns: columns, tileSide: 360)
        try Data(sheet).write(to: directory.appendingPathComponent(name))
    }

    @Test func detailCrops() throws {
        for (width, height, name) in [(600, 600, "square"), (800, 600, "4x3")] {
            var tiles: [(label: String, image: [UInt8])] = []
            for path in try Self.photos("packshots") {
                let source = try Bench.bytes(path)
                let started = ContinuousClock.now
                let windows = try engine.detailCropWindows(source: source, count: 3, width: width, height: height)
                let crops = try engine.detailCrops(source: source, count: 3, width: width, height: height, format: .jpeg, quality: 90)
                print("\(path) \(width)x\(height): \(crops.count) crops in \(ContinuousClock.now - started) (both calls); windows \(windows.map { "\($0.rect) ×\(String(format: "%.2f", $0.upscale)) score \(String(format: "%.2f", $0.score))" })")
                tiles.append((String(path.split(separator: "/").last!), source))
                for (index, crop) in crops.enumerated() {
                    tiles.append(("\(index + 1): ×\(String(format: "%.2f", windows[index].upscale))", crop.bytes))
                }
                for _ in crops.count..<3 { tiles.append(("—", try Synthetic(width: 8, height: 8) { _, _ in (236, 237, 240) }.encoded())) }
            }
            for part in stride(from: 0, to: tiles.count, by: 24) {
                try write("detail-\(name)-\(part / 24).png", Array(tiles[part..<min(tiles.count, part + 24)]), columns: 4)
            }
        }
    }

    @Test func faces() throws {
        var tiles: [(label: String, image: [UInt8])] = []
        for path in try Self.photos("packshots") + Self.photos("vto/persons") {
            let source = try Bench.bytes(path)
            let started = ContinuousClock.now
            let result = try engine.hidingFaces(source: source)
            let elapsed = ContinuousClock.now - started
            let after = result.crop == nil ? [] : try engine.detectFaces(source: result.bytes)
            print("\(path): faces \(result.faces.map { String(format: "(%.2f %.2f %.2f %.2f)", $0.x, $0.y, $0.width, $0.height) }) crop \(result.crop.map { String(format: "(%.2f %.2f %.2f %.2f)", $0.x, $0.y, $0.width, $0.height) } ?? "none") after \(after.count) in \(elapsed)")
            tiles.append((String(path.split(separator: "/").last!), source))
            tiles.append(("\(result.faces.count) face(s), after \(after.count)", result.bytes))
        }
        try write("faces.png", tiles, columns: 6)
    }

    @Test func marks() throws {
        var tiles: [(label: String, image: [UInt8])] = []
        for path in try Self.photos("packshots") {
            let source = try Bench.bytes(path)
            let started = ContinuousClock.now
            let result = try engine.removingMarks(source: source)
            let elapsed = ContinuousClock.now - started
            print("\(path): \(result.marks.count) marks in \(elapsed): \(result.marks.map { String(format: "(%.2f %.2f %.2f %.2f) ΔE %.0f (0: words)", $0.rect.x, $0.rect.y, $0.rect.width, $0.rect.height, $0.contrast ?? 0) })")
            tiles.append((String(path.split(separator: "/").last!), source))
            tiles.append(("\(result.marks.count) mark(s) removed", result.bytes))
            // The largest mark, before and after, twice its size around it.
            if let mark = result.marks.first {
                let before = try engine.decodePixels(source), after = try engine.decodePixels(result.bytes)
                let r = mark.rect.pixels(width: before.width, height: before.height)
                let pad = max(r.width, r.height) / 2
                let zoom = PixelRect(x: max(0, r.x - pad), y: max(0, r.y - pad), width: min(before.width - max(0, r.x - pad), r.width + 2 * pad),
                                     height: min(before.height - max(0, r.y - pad), r.height + 2 * pad))
                for (label, image) in [("before", before), ("after", after)] {
                    let raster = Raster(pixels: image).cropped(zoom)
                    tiles.append((label, try Vips.encode(raster, as: .png, quality: 100)))
                }
            } else {
                let blank = try Synthetic(width: 8, height: 8) { _, _ in (236, 237, 240) }.encoded()
                tiles.append(("—", blank))
                tiles.append(("—", blank))
            }
        }
        try write("marks.png", tiles, columns: 4)
    }

    /// Seconds per operation on 1-2 MP photos: the best of three, wall clock and CPU (both
    /// threads: the cutout runs beside the detection).
    @Test func timings() throws {
        func enlarged(_ path: String, by factor: Double) throws -> [UInt8] {
            let raster = try Vips.decode(try Bench.bytes(path), fittingIn: 10_000, 10_000)
            let big = try Vision.resize(raster.rgb, width: Int(Double(raster.width) * factor), height: Int(Double(raster.height) * factor))
            return try Vips.encode(big, as: .jpeg, quality: 92)
        }
        let studio = try Bench.bytes("cutout/studio/images/00000002_003_paper.jpg")
        let jar = try enlarged("packshots/B07GTFSCHB/844a1cce.jpg", by: 1.25)
        let model = try enlarged("vto/persons/model_4.png", by: 1.3)
        let cases: [(String, [UInt8], () throws -> Void)] = [
            ("detail crops ×3 800x800, studio 1000x1300", studio, { _ = try engine.detailCrops(source: studio, count: 3, width: 800, height: 800, format: .jpeg, quality: 90) }),
            ("removing marks, jar 1280x1280", jar, { _ = try engine.removingMarks(source: jar) }),
            ("removing marks, studio 1000x1300 (none found)", studio, { _ = try engine.removingMarks(source: studio) }),
            ("hiding faces, model 998x1331", model, { _ = try engine.hidingFaces(source: model) }),
            ("hiding faces, studio 1000x1300 (none found)", studio, { _ = try engine.hidingFaces(source: studio) }),
            ("white_bg 1000x1000 for comparison, studio", studio, {
                _ = try engine.render(source: studio, spec: RenderSpec(composition: .whiteBackground, width: 1000, height: 1000, productFill: 0.85,
                                                                         background: .color(.white), format: .jpeg, quality: 90, watermark: nil))
            }),
        ]
        for (name, _, body) in cases {
            var wall = Double.infinity, cpu = Double.infinity
            for _ in 0..<3 {
                let startedCPU = clock(), started = ContinuousClock.now
                try body()
                let elapsed = ContinuousClock.now - started
                wall = min(wall, Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18)
                cpu = min(cpu, Double(clock() - startedCPU) / Double(CLOCKS_PER_SEC))
            }
            print(String(format: "timing: %@: %.2f s wall, %.2f s CPU", name, wall, cpu))
        }
    }
}
