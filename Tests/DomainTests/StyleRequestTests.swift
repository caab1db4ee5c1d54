import ProdVisualEngine
import Testing

@testable import ProdVisualDomain

/// What each style accepts and needs, checked before any credit is reserved.
@Suite struct StyleRequestTests {
    func plan(_ style: String, platform: String? = nil, _ configure: (inout GenerationRequest) -> Void = { _ in }) throws(ServiceError) -> GenerationPlan {
        var request = GenerationRequest(source: .url("https://example.com/p.jpg"), style: style, platform: platform)
        configure(&request)
        return try GenerationPlan(validating: request)
    }

    func message(_ style: String, _ configure: (inout GenerationRequest) -> Void) -> String {
        do {
            _ = try plan(style, configure)
            return "accepted"
        } catch {
            return error.message
        }
    }

    @Test func theCatalogueHasTwentyTwoStylesWithTheDocumentsEightFirst() {
        let ids = StyleCatalog.all.map(\.id)
        #expect(ids.count == 22 && Set(ids).count == 22)
        #expect(Array(ids.prefix(8)) == ["lifestyle", "white_bg", "mockup", "infographic", "social_square", "social_story", "hero_banner", "comparison"])
        for style in StyleCatalog.all { #expect(!style.description.isEmpty && !style.parameters.isEmpty, "\(style.id)") }
    }

    @Test func stylesThatNeedTheirTextNameTheMissingField() {
        #expect(message("hero_banner") { _ in }.contains("'text.headline'"))
        #expect(message("infographic") { _ in }.contains("'text.features'"))
        #expect(message("sale_badge") { _ in }.contains("'text.badge'"))
        #expect(message("dimensions") { _ in }.contains("'text.width_label' or 'text.height_label'"))
        #expect(message("color_variants") { _ in }.contains("'colors'"))
        #expect(message("hero_banner") { $0.text = [.headline: .string("New in")] } == "accepted")
        #expect(message("dimensions") { $0.text = [.heightLabel: .string("30 cm")] } == "accepted")
    }

    @Test func parametersAStyleDoesNotUseAreRefused() {
        #expect(message("white_bg") { $0.text = [.headline: .string("Hi")] }.contains("draws no text"))
        #expect(message("white_bg") { $0.scene = "kitchen" }.contains("has no scenes"))
        #expect(message("white_bg") { $0.seed = 3 }.contains("omit 'seed'"))
        #expect(message("lifestyle") { $0.compareStyle = "white_bg" }.contains("comparison style only"))
        #expect(message("pastel") { $0.colors = ["#ffffff", "#000000"] }.contains("color_variants style only"))
        #expect(message("lifestyle") { $0.background = "#ff0000" }.contains("omit 'background'"))
        #expect(message("pastel") { $0.background = "transparent"; $0.format = "png" }.contains("only white_bg"))
    }

    @Test func badValuesNameTheFieldAndTheChoices() {
        let scene = message("lifestyle") { $0.scene = "moon" }
        #expect(scene.contains("'moon'") && scene.contains("kitchen") && scene.contains("living_room"))
        #expect(message("infographic") { $0.text = [.features: .list(Array(repeating: "x", count: 7))] }.contains("at most 6"))
        #expect(message("hero_banner") { $0.text = [.headline: .string(String(repeating: "a", count: 200))] }.contains("at most 160"))
        #expect(message("hero_banner") { $0.text = [.headline: .string("   ")] }.contains("'text.headline' is empty"))
        #expect(message("color_variants") { $0.colors = ["#123456"] }.contains("2 to 6"))
        #expect(message("color_variants") { $0.colors = ["#123456", "blue"] }.contains("'colors[1]'"))
        #expect(message("comparison") { $0.compareStyle = "comparison" }.contains("single-image style"))
        #expect(message("comparison") { $0.compareStyle = "hero_banner" }.contains("'text.headline'"), "the compared style's needs apply too")
        #expect(message("lifestyle") { $0.seed = -1 }.contains("non-negative"))
    }

    @Test func theRequestReachesTheEngine() throws {
        let plan = try plan("lifestyle") { $0.scene = "kitchen"; $0.seed = 42 }
        let spec = plan.renderSpec(watermark: nil)
        #expect(spec.composition == .lifestyle && spec.scene == "kitchen" && spec.seed == 42)
        let comparison = try self.plan("comparison") { $0.compareStyle = "marble" }.renderSpec(watermark: nil)
        #expect(comparison.compareWith == .marble)
        #expect(try self.plan("comparison").renderSpec(watermark: nil).compareWith == .whiteBackground)
        let variants = try self.plan("color_variants") { $0.colors = ["#ff0000", "#00ff00"] }.renderSpec(watermark: nil)
        #expect(variants.colors == [RGBColor(r: 255, g: 0, b: 0), RGBColor(r: 0, g: 255, b: 0)])
        // Transparency on white_bg is the transparent cutout; other styles keep their own composition.
        #expect(try self.plan("white_bg") { $0.background = "transparent"; $0.format = "png" }.renderSpec(watermark: nil).composition == .transparent)
    }

    @Test func stylesWithAShapeOfTheirOwnKeepItUnlessDimensionsAreGiven() throws {
        #expect(try plan("hero_banner", platform: "amazon") { $0.text = [.headline: .string("Hi")] }.dimensions == "2400x900")
        #expect(try plan("social_story").dimensions == "1080x1920")
        #expect(try plan("social_story") { $0.dimensions = "720x1280" }.dimensions == "720x1280")
        #expect(try plan("lifestyle", platform: "walmart").dimensions == "2200x2200")
        #expect(try plan("marble", platform: "zalando").format == .jpeg)
    }
}
