import Foundation
import Testing

@testable import ProdVisualEngine

/// The analysis against the shared bench: background kinds against the studio set's labels and
/// the scenes, cutout confidence against the true masks, a table of the packshots for review,
/// and the time an analysis takes beside a white_bg render. Tables are printed for the log.
@Suite(.serialized) struct AnalysisBenchTests {
    let engine = try! ImageEngine()

    /// The kind each bench label should read as.
    static func expectedKind(_ label: String) -> ProductAnalysis.Background.Kind {
        switch label {
        case "white_sweep": .white
        case "grey_studio", "paper", "dark": .uniform
        case "textured", "tabletop": .textured
        default: .cluttered
        }
    }

    /// IoU of the analysis' mask (at working size) against the true mask scaled to that size.
    func iou(_ measured: ImageEngine.AnalysisMeasurements, truthPNG: [UInt8]) throws -> Double {
        let work = measured.segmentation.work
        let truth = try Vips.decode(truthPNG, fittingIn: work.width, work.height)
        try #require(truth.width == work.width && truth.height == work.height)
        var intersection = 0, union = 0
        for index in 0..<(work.width * work.height) {
            let found = measured.segmentation.mask[index] >= 128, expected = truth.pixels[index * truth.bands] >= 128
            if found && expected { intersection += 1 }
            if found || expected { union += 1 }
        }
        return Double(intersection) / Double(max(1, union))
    }

    /// Every studio photo, and every other scene (each scene's cutout takes over a second in a
    /// debug build); PRODVISUAL_FULL_BENCH=1 takes all 30 scenes.
    @Test func backgroundKindsAndConfidenceAgainstTheBench() throws {
        let everyScene = ProcessInfo.processInfo.environment["PRODVISUAL_FULL_BENCH"] == "1"
        var rows: [(set: String, file: String, label: String, analysis: ProductAnalysis, iou: Double)] = []
        for set in ["studio", "scenes"] {
            let folder = Bench.root.appendingPathComponent("cutout/\(set)/images")
            let files = try FileManager.default.contentsOfDirectory(atPath: folder.path).sorted().filter { $0.hasSuffix(".jpg") }
            for (index, file) in files.enumerated() where set == "studio" || everyScene || index % 2 == 0 {
                let stem = String(file.dropLast(4))
                let label = set == "studio" ? stem.split(separator: "_").dropFirst(2).joined(separator: "_") : "scene"
                let measured = try engine.measurements(of: try Bench.bytes("cutout/\(set)/images/\(file)"))
                let overlap = try iou(measured, truthPNG: try Bench.bytes("cutout/\(set)/masks/\(stem).png"))
                rows.append((set, stem, label, ProductAnalysis(measuring: measured), overlap))
            }
        }
        try #require(rows.count >= 50, "the bench is missing")

        print("\nfile                          label        kind       near-white spread long-edges  confidence  IoU")
        for row in rows {
            let b = row.analysis.background
            print(row.file.padding(toLength: 30, withPad: " ", startingAt: 0), row.label.padding(toLength: 12, withPad: " ", startingAt: 0),
                  b.kind.rawValue.padding(toLength: 10, withPad: " ", startingAt: 0),
                  String(format: "%10.2f %6.1f %10.4f %11.2f %5.3f", b.nearWhiteShare, b.colorSpread, b.longEdgeDensity,
                         row.analysis.cutoutConfidence, row.iou),
                  b.kind == Self.expectedKind(row.label) ? "" : "  <- expected \(Self.expectedKind(row.label).rawValue)")
        }
        print("\nlabel        expected   agreement")
        var agreeing = 0
        for label in ["white_sweep", "grey_studio", "paper", "dark", "textured", "tabletop", "scene"] {
            let group = rows.filter { $0.label == label }
            let right = group.filter { $0.analysis.background.kind == Self.expectedKind(label) }.count
            agreeing += right
            print(label.padding(toLength: 12, withPad: " ", startingAt: 0), Self.expectedKind(label).rawValue.padding(toLength: 10, withPad: " ", startingAt: 0),
                  "\(right)/\(group.count)")
            // Every studio kind and the scenes, each mostly right.
            #expect(Double(right) >= 0.8 * Double(group.count), "\(label): \(right)/\(group.count)")
        }
        print("all          \(agreeing)/\(rows.count)")
        #expect(Double(agreeing) >= 0.9 * Double(rows.count))

        // Confidence against the true masks: on the studio set (IoU 0.93-1, a narrow range), and
        // with the scenes, where cutouts fail.
        let studio = rows.filter { $0.set == "studio" }
        let studioCorrelation = spearman(studio.map(\.analysis.cutoutConfidence), studio.map(\.iou))
        let allCorrelation = spearman(rows.map(\.analysis.cutoutConfidence), rows.map(\.iou))
        let confident = rows.filter { $0.analysis.cutoutConfidence >= 0.5 }
        let doubtful = rows.filter { $0.analysis.cutoutConfidence < 0.5 }
        let meanIoU = { (group: [(set: String, file: String, label: String, analysis: ProductAnalysis, iou: Double)]) in
            group.map(\.iou).reduce(0, +) / Double(max(1, group.count))
        }
        print(String(format: "\nconfidence vs IoU, Spearman: studio %.2f (n=%d), studio+scenes %.2f (n=%d)", studioCorrelation,
                     studio.count, allCorrelation, rows.count))
        print(String(format: "mean IoU where confidence >= 0.5: %.3f (n=%d); below: %.3f (n=%d)", meanIoU(confident),
                     confident.count, meanIoU(doubtful), doubtful.count))
        #expect(studioCorrelation > 0.2, "studio: \(studioCorrelation)")
        #expect(allCorrelation > 0.5, "studio and scenes: \(allCorrelation)")
        #expect(meanIoU(confident) > meanIoU(doubtful) + 0.2)
    }

    @Test func packshotReview() throws {
        let root = Bench.root.appendingPathComponent("packshots")
        var files: [String] = []
        for product in try FileManager.default.contentsOfDirectory(atPath: root.path).sorted() {
            guard let names = try? FileManager.default.contentsOfDirectory(atPath: root.appendingPathComponent(product).path) else { continue }
            files += names.filter { $0.hasSuffix(".jpg") }.sorted().map { "\(product)/\($0)" }
        }
        try #require(files.count == 12)
        print("\nfile                    background colours                                                       sharpness        exposure        confidence")
        for file in files {
            let analysis = try engine.analyze(source: try Bench.bytes("packshots/\(file)"))
            let colours = analysis.dominantColors.map { "\($0.name) \(percent($0.share))" }.joined(separator: ", ")
            let sharpness = String(format: "%6.0f ", analysis.sharpness.laplacianVariance) + (analysis.sharpness.isBlurry ? "blurry" : "sharp")
            let exposure = analysis.exposure.verdict.rawValue + " (L* \(Int((analysis.exposure.meanLuminance * 100).rounded())))"
            print(file.padding(toLength: 23, withPad: " ", startingAt: 0),
                  analysis.background.kind.rawValue.padding(toLength: 10, withPad: " ", startingAt: 0),
                  colours.padding(toLength: 70, withPad: " ", startingAt: 0), sharpness.padding(toLength: 16, withPad: " ", startingAt: 0),
                  exposure.padding(toLength: 15, withPad: " ", startingAt: 0), String(format: "%.2f", analysis.cutoutConfidence))
            // What holds for any photo: colours sorted, none under 3%, no more than the product.
            #expect(analysis.dominantColors.map(\.share) == analysis.dominantColors.map(\.share).sorted(by: >))
            #expect(analysis.dominantColors.allSatisfy { $0.share >= 0.03 })
            #expect(analysis.dominantColors.map(\.share).reduce(0, +) <= 1.0001)
            #expect((0...1).contains(analysis.cutoutConfidence))
        }
    }

    /// An analysis costs about one cutout; a white_bg render is a cutout plus the output's
    /// decode, refinement, composition and encoding. Both on a 12-megapixel JPEG (the studio
    /// photo scaled to 4000x3000, as `prodvisual bench cutout` does), interleaved, medians of 3.
    @Test func analysisTakesNoLongerThanAWhiteBackgroundRender() throws {
        let photo = try Vips.decode(try Bench.bytes("cutout/studio/images/00000000_001_white_sweep.jpg"), fittingIn: 1200, 1200)
        let large = try Vips.encode(try Vision.resize(photo, width: 4000, height: 3000), as: .jpeg, quality: 92)
        let spec = RenderSpec(composition: .whiteBackground, width: 1500, height: 1500, productFill: 0.85, background: .color(.white),
                              format: .jpeg, quality: 90, watermark: nil)
        var analysing: [Double] = [], rendering: [Double] = []
        for _ in 0..<3 {
            var started = Date()
            _ = try engine.analyze(source: large)
            analysing.append(Date().timeIntervalSince(started))
            started = Date()
            _ = try engine.render(source: large, spec: spec)
            rendering.append(Date().timeIntervalSince(started))
        }
        let (analysis, render) = (analysing.sorted()[1], rendering.sorted()[1])
        print(String(format: "\n12 MP JPEG: analysis %.3f s, white_bg 1500x1500 render %.3f s, ratio %.2f", analysis, render, analysis / render))
        #expect(analysis < 1.5 * render, "analysis \(analysis) s, render \(render) s")
    }
}
