import Foundation
import Testing

@testable import ProdVisualDomain
// Testable for PixelRect's memberwise initialiser, to craft measurements.
@testable import ProdVisualEngine

@Suite struct ComplianceTests {
    func platform(_ id: String) throws -> Platform { try #require(PlatformCatalog.platform(id: id)) }

    /// A square output as the engine would measure it.
    func measured(
        side: Int = 2000, format: ImageFormat = .jpeg, fileBytes: Int = 400_000, white: Double = 1, fill: Double = 0.85,
        hasAlpha: Bool = false
    ) -> OutputMeasurement {
        let boxSide = Int(Double(side) * fill)
        return OutputMeasurement(
            width: side, height: side, format: format, fileBytes: fileBytes, hasAlpha: hasAlpha,
            pureWhiteBackgroundShare: white,
            contentBox: PixelRect(x: (side - boxSide) / 2, y: (side - boxSide) / 2, width: boxSide, height: boxSide),
            productFill: fill)
    }

    func report(_ platformID: String, _ styleID: String, _ measurement: OutputMeasurement, watermarked: Bool = false) throws -> ComplianceReport {
        ComplianceReport(
            platform: try platform(platformID), measurement: measurement, traits: try #require(StyleCatalog.style(id: styleID)).traits,
            watermarked: watermarked)
    }

    func rule(_ id: ComplianceReport.RuleID, in report: ComplianceReport) throws -> ComplianceReport.Rule {
        try #require(report.rules.first { $0.rule == id })
    }

    @Test func amazonWhiteBackgroundPassesAsMainImage() throws {
        let report = try report("amazon", "white_bg", measured())
        #expect(report.intendedUse == .main)
        #expect(report.verdict == .pass)
        #expect(report.mainImage == .init(verdict: .pass, failedRules: []))
        #expect(report.additionalImage == .init(verdict: .pass, failedRules: []))
        #expect(report.rules.map(\.rule) == [.pixelSize, .format, .fileSize, .productFill, .background, .noText])
        #expect(report.rules.allSatisfy { $0.pass })
        #expect(try rule(.pixelSize, in: report).limit == ">= 1000 px longest side, <= 10000")
        #expect(try rule(.productFill, in: report).limit == ">= 0.82")
        #expect(try rule(.noText, in: report).value == .text("none"))
        #expect(report.summary == "Passes as a main image on Amazon.")
    }

    @Test func amazonLifestyleFailsMainOnBackgroundButPassesAsAdditional() throws {
        let report = try report("amazon", "lifestyle", measured(white: 0.04, fill: 1))
        #expect(report.intendedUse == .additional)
        #expect(report.verdict == .pass)
        #expect(report.mainImage == .init(verdict: .fail, failedRules: [.background]))
        #expect(report.additionalImage == .init(verdict: .pass, failedRules: []))
        #expect(try rule(.background, in: report).value == .number(0.04))
        #expect(try rule(.background, in: report).appliesTo == .main)
        #expect(report.summary
            == "Passes as an additional image on Amazon; not as a main image: the background is not pure white (4% of it is 255,255,255).")
    }

    @Test func amazonInfographicFailsMainOnText() throws {
        let report = try report("amazon", "infographic", measured(white: 0.99))
        #expect(report.intendedUse == .additional)
        #expect(report.verdict == .pass)
        #expect(report.mainImage.failedRules == [.noText])
        #expect(try rule(.noText, in: report).value == .text("text"))
        #expect(report.summary == "Passes as an additional image on Amazon; not as a main image: text is drawn on it.")
    }

    /// Where the text model ran, what it found decides, not the style's name.
    @Test func detectedTextDecidesTheNoTextRuleWhereTheModelRan() throws {
        var clean = measured(white: 0.99)
        clean.addedText = []
        let infographic = try report("amazon", "infographic", clean)
        #expect(try rule(.noText, in: infographic).pass, "no text was found outside the product")

        var badged = measured(white: 0.99)
        badged.addedText = [
            TextRegion(box: PixelRect(x: 10, y: 10, width: 200, height: 60), score: 0.8),
            TextRegion(box: PixelRect(x: 10, y: 90, width: 300, height: 40), score: 0.7),
        ]
        let white = try report("amazon", "white_bg", badged)
        #expect(white.mainImage.failedRules == [.noText])
        #expect(white.summary == "Fails as a main image on Amazon: text is drawn on it (2 text regions found outside the product); passes as an additional image.")
    }

    @Test func mainEligibleStyleOnAGradientFailsAmazonMain() throws {
        let report = try report("amazon", "gradient", measured(white: 0.2))
        #expect(report.intendedUse == .main)
        #expect(report.verdict == .fail)
        #expect(report.additionalImage.verdict == .pass)
        #expect(report.summary.hasPrefix("Fails as a main image on Amazon: the background is not pure white"))
        #expect(report.summary.hasSuffix("; passes as an additional image."))
    }

    @Test func walmartOverFiveMegabytesFailsFileSize() throws {
        let report = try report("walmart", "white_bg", measured(side: 2200, fileBytes: 6_200_000))
        #expect(report.verdict == .fail)
        #expect(report.mainImage.failedRules == [.fileSize])
        #expect(report.additionalImage.failedRules == [.fileSize])
        #expect(try rule(.fileSize, in: report).value == .number(6_200_000))
        #expect(try rule(.fileSize, in: report).limit == "<= 5000000 bytes")
        #expect(report.summary == "Fails on Walmart as a main and as an additional image: the file is 6.2 MB, over the 5 MB cap.")
    }

    @Test func zalandoRefusesPNG() throws {
        let report = try report("zalando", "white_bg", measured(side: 2600, format: .png))
        #expect(report.verdict == .fail)
        #expect(report.additionalImage.failedRules == [.format])
        let format = try rule(.format, in: report)
        #expect(format.value == .text("png") && format.limit == "jpeg" && !format.pass)
    }

    @Test func smallImageFailsPixelSize() throws {
        let report = try report("amazon", "white_bg", measured(side: 800))
        #expect(report.additionalImage.failedRules == [.pixelSize])
        #expect(try rule(.pixelSize, in: report).value == .number(800))
        #expect(report.summary.contains("the longest side is 800 px, under 1000"))
        // Mercado Libre also caps the longest side.
        #expect(try self.report("mercadolibre", "white_bg", measured(side: 2000, fill: 0.95)).additionalImage.failedRules == [.pixelSize])
    }

    @Test func underfilledProductFailsOnlyTheMainImage() throws {
        let report = try report("amazon", "white_bg", measured(fill: 0.6))
        #expect(report.mainImage.failedRules == [.productFill])
        #expect(report.additionalImage.verdict == .pass)
        #expect(report.summary.contains("the product spans 60% of the frame, under 82%"))
    }

    @Test func recommendedWhiteIsAdvisoryOnly() throws {
        let report = try report("ebay", "white_bg", measured(white: 0.5))
        #expect(report.verdict == .pass)
        #expect(report.mainImage.failedRules.isEmpty)
        let background = try rule(.background, in: report)
        #expect(background.appliesTo == .advisory && !background.pass)
        #expect(report.summary.contains("Advisory: eBay recommends a white background"))
        // Where the platform sets no background rule, none is reported.
        #expect(try self.report("etsy", "white_bg", measured()).rules.allSatisfy { $0.rule != .background })
    }

    @Test func transparentOutputIsNotWhite() throws {
        let report = try report("amazon", "transparent", measured(format: .png, white: 0, hasAlpha: true))
        #expect(report.verdict == .fail)
        #expect(report.summary.contains("the background is transparent, not pure white"))
    }

    @Test func sandboxWatermarkCountsAsText() throws {
        let report = try report("amazon", "white_bg", measured(), watermarked: true)
        #expect(report.mainImage.failedRules == [.noText])
        #expect(try rule(.noText, in: report).value == .text("watermark"))
        #expect(report.summary.contains("a watermark is drawn on it"))
        #expect(report.summary.contains("sandbox output"))
    }

    @Test func onlyPlainPackshotStylesAreMainImages() {
        let main = Set(StyleCatalog.all.filter(\.traits.mainImageEligible).map(\.id))
        #expect(main == ["white_bg", "transparent", "drop_shadow", "reflection", "gradient", "pastel"])
        #expect(StyleCatalog.style(id: "sale_badge")?.traits == StyleTraits(addsText: true, mainImageEligible: false))
    }

    @Test func persistedJSONRoundTrips() throws {
        let original = try report("amazon", "infographic", measured(white: 0.9312, fill: 0.8712))
        let json = try original.json()
        #expect(try ComplianceReport(json: json) == original)
        #expect(json.contains("\"applies_to\":\"main\""))
        #expect(json.contains("\"main_image\":{\"failed_rules\":[\"background\",\"no_text\"],\"verdict\":\"fail\"}"))
        #expect(json.contains("\"intended_use\":\"additional\""))
    }
}
