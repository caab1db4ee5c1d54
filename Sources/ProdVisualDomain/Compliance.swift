import Foundation
import ProdVisualEngine

/// What a style puts on the image, as far as marketplace content rules care.
public struct StyleTraits: Sendable, Equatable {
    /// The style draws text or badges on the image.
    public let addsText: Bool
    /// A plain product on a backdrop, fit to be a listing's main image; scenes, infographics and
    /// banners are additional images only.
    public let mainImageEligible: Bool

    public init(addsText: Bool, mainImageEligible: Bool) {
        self.addsText = addsText
        self.mainImageEligible = mainImageEligible
    }
}

/// An output judged against its platform's image rules, as a main image and as an additional one.
///
/// Encoded as the API's `compliance` object (snake_case keys) and persisted as that JSON.
public struct ComplianceReport: Sendable, Equatable, Codable {
    public enum Verdict: String, Sendable, Codable {
        case pass
        case fail
    }

    public enum ImageUse: String, Sendable, Codable {
        case main
        case additional
    }

    /// Which verdicts a rule counts towards.
    public enum Scope: String, Sendable, Codable {
        /// Main and additional images.
        case all
        /// The main image only.
        case main
        /// Reported, never failing: the platform recommends but does not require it.
        case advisory
    }

    public enum RuleID: String, Sendable, Codable {
        case pixelSize = "pixel_size"
        case format
        case fileSize = "file_size"
        case productFill = "product_fill"
        case background
        case noText = "no_text"
    }

    /// A measured figure or a word ("jpeg", "watermark").
    public enum RuleValue: Sendable, Equatable, Codable {
        case number(Double)
        case text(String)

        public init(from decoder: any Decoder) throws {
            let container = try decoder.singleValueContainer()
            if let number = try? container.decode(Double.self) {
                self = .number(number)
            } else {
                self = .text(try container.decode(String.self))
            }
        }

        public func encode(to encoder: any Encoder) throws {
            var container = encoder.singleValueContainer()
            switch self {
            case .number(let number): try container.encode(number)
            case .text(let text): try container.encode(text)
            }
        }
    }

    public struct Rule: Sendable, Equatable, Codable {
        public let rule: RuleID
        public let value: RuleValue
        /// The requirement in words, e.g. ">= 1000 px longest side, <= 10000".
        public let limit: String
        /// Whether the measured value meets the limit (advisory rules included).
        public let pass: Bool
        public let appliesTo: Scope

        enum CodingKeys: String, CodingKey {
            case rule, value, limit, pass, appliesTo = "applies_to"
        }
    }

    public struct UseVerdict: Sendable, Equatable, Codable {
        public let verdict: Verdict
        public let failedRules: [RuleID]

        enum CodingKeys: String, CodingKey {
            case verdict, failedRules = "failed_rules"
        }
    }

    public let platform: String
    /// The verdict for the style's intended use.
    public let verdict: Verdict
    public let intendedUse: ImageUse
    public let mainImage: UseVerdict
    public let additionalImage: UseVerdict
    public let rules: [Rule]
    public let summary: String

    enum CodingKeys: String, CodingKey {
        case platform, verdict, intendedUse = "intended_use", mainImage = "main_image"
        case additionalImage = "additional_image", rules, summary
    }

    /// Share of the background that must be pure white where a platform requires it; the rest
    /// allows for anti-aliased edge pixels just outside the measured box.
    public static let pureWhiteMinimum = 0.98
    /// How far under the platform's fill a product may fall: layout rounding and soft edges.
    public static let fillTolerance = 0.03

    /// - Parameter watermarked: the sandbox's SAMPLE watermark is on the image (it counts as text).
    public init(platform: Platform, measurement: OutputMeasurement, traits: StyleTraits, watermarked: Bool) {
        let checks = Self.checks(platform: platform, measurement: measurement, traits: traits, watermarked: watermarked)
        let mainFailures = checks.filter { !$0.rule.pass && $0.rule.appliesTo != .advisory }
        let additionalFailures = mainFailures.filter { $0.rule.appliesTo == .all }
        let advisories = checks.filter { !$0.rule.pass && $0.rule.appliesTo == .advisory }

        self.platform = platform.id
        rules = checks.map(\.rule)
        mainImage = UseVerdict(verdict: mainFailures.isEmpty ? .pass : .fail, failedRules: mainFailures.map(\.rule.rule))
        additionalImage = UseVerdict(
            verdict: additionalFailures.isEmpty ? .pass : .fail, failedRules: additionalFailures.map(\.rule.rule))
        intendedUse = traits.mainImageEligible ? .main : .additional
        verdict = intendedUse == .main ? mainImage.verdict : additionalImage.verdict

        let name = platform.name
        var sentences: [String]
        if !additionalFailures.isEmpty {
            sentences = ["Fails on \(name) as a main and as an additional image: \(Self.list(mainFailures.map(\.failure)))."]
        } else if mainFailures.isEmpty {
            sentences = [intendedUse == .main
                ? "Passes as a main image on \(name)."
                : "Passes as an additional image on \(name), and would pass as a main image too."]
        } else if intendedUse == .main {
            sentences = ["Fails as a main image on \(name): \(Self.list(mainFailures.map(\.failure))); passes as an additional image."]
        } else {
            sentences = ["Passes as an additional image on \(name); not as a main image: \(Self.list(mainFailures.map(\.failure)))."]
        }
        if !advisories.isEmpty {
            sentences.append("Advisory: \(Self.list(advisories.map(\.failure))).")
        }
        if watermarked {
            sentences.append("This is a sandbox output, judged with its SAMPLE watermark; a live key's output carries none.")
        }
        summary = sentences.joined(separator: " ")
    }

    /// The persisted form: the API's JSON, keys sorted as the API writes them.
    func json() throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.withoutEscapingSlashes, .sortedKeys]
        return String(decoding: try encoder.encode(self), as: UTF8.self)
    }

    init(json: String) throws {
        self = try JSONDecoder().decode(Self.self, from: Data(json.utf8))
    }

    /// A rule and the words that explain it when it fails.
    private struct Check {
        let rule: Rule
        let failure: String
    }

    private static func checks(platform: Platform, measurement m: OutputMeasurement, traits: StyleTraits, watermarked: Bool) -> [Check] {
        var checks: [Check] = []

        let longest = max(m.width, m.height)
        let maxSide = platform.maxLongestSide
        let minSide = platform.minLongestSide ?? 1
        let tooSmall = longest < minSide
        checks.append(Check(
            rule: Rule(
                rule: .pixelSize, value: .number(Double(longest)),
                limit: platform.minLongestSide.map { ">= \($0) px longest side, <= \(maxSide)" } ?? "<= \(maxSide) px longest side",
                pass: !tooSmall && longest <= maxSide, appliesTo: .all),
            failure: tooSmall
                ? "the longest side is \(longest) px, under \(minSide)"
                : "the longest side is \(longest) px, over \(maxSide)"))

        let accepted = platform.acceptedFormats.map(\.rawValue).joined(separator: ", ")
        checks.append(Check(
            rule: Rule(
                rule: .format, value: .text(m.format.rawValue), limit: accepted,
                pass: platform.acceptedFormats.contains(m.format), appliesTo: .all),
            failure: "\(m.format.rawValue) is not accepted (\(accepted) are)"))

        if let maxBytes = platform.maxFileBytes {
            checks.append(Check(
                rule: Rule(
                    rule: .fileSize, value: .number(Double(m.fileBytes)), limit: "<= \(maxBytes) bytes",
                    pass: m.fileBytes <= maxBytes, appliesTo: .all),
                failure: "the file is \(megabytes(m.fileBytes)) MB, over the \(megabytes(maxBytes)) MB cap"))
        }

        let minimumFill = rounded(platform.productFill - fillTolerance, places: 3)
        checks.append(Check(
            rule: Rule(
                rule: .productFill, value: .number(rounded(m.productFill, places: 3)), limit: ">= \(minimumFill)",
                pass: m.productFill >= minimumFill, appliesTo: .main),
            failure: "the product spans \(percent(m.productFill)) of the frame, under \(percent(minimumFill))"))

        let share = rounded(m.pureWhiteBackgroundShare, places: 4)
        let white = share >= pureWhiteMinimum
        // An output with alpha short of white is a transparent composition: say which it is.
        let whiteness = m.hasAlpha
            ? "the background is transparent, not pure white (\(percent(share)) of it is 255,255,255)"
            : "the background is not pure white (\(percent(share)) of it is 255,255,255)"
        switch platform.backgroundRule {
        case .pureWhiteRequired:
            checks.append(Check(
                rule: Rule(
                    rule: .background, value: .number(share), limit: ">= \(pureWhiteMinimum) of the background pure white",
                    pass: white, appliesTo: .main),
                failure: whiteness))
        case .whiteRecommended:
            checks.append(Check(
                rule: Rule(
                    rule: .background, value: .number(share),
                    limit: ">= \(pureWhiteMinimum) of the background pure white (recommended)", pass: white, appliesTo: .advisory),
                failure: "\(platform.name) recommends a white background; \(whiteness)"))
        case .any:
            break
        }

        if platform.forbidsTextOnMainImage {
            // Text the model found outside the product; without the model, what the style draws.
            let addsText = m.addedText.map { !$0.isEmpty } ?? traits.addsText
            let drawn = [addsText ? "text" : nil, watermarked ? "watermark" : nil].compactMap { $0 }
            let found = m.addedText.map { $0.count == 1 ? " (1 text region found outside the product)" : " (\($0.count) text regions found outside the product)" } ?? ""
            checks.append(Check(
                rule: Rule(
                    rule: .noText, value: .text(drawn.isEmpty ? "none" : drawn.joined(separator: " and ")),
                    limit: "no text, logos or watermarks", pass: drawn.isEmpty, appliesTo: .main),
                failure: addsText && watermarked
                    ? "text\(found) and a watermark are drawn on it"
                    : addsText ? "text is drawn on it\(found)" : "a watermark is drawn on it"))
        }
        return checks
    }

    private static func rounded(_ value: Double, places: Int) -> Double {
        let scale = pow(10, Double(places))
        return (value * scale).rounded() / scale
    }

    /// 0.6234 → "62.3%", 0.82 → "82%".
    private static func percent(_ share: Double) -> String {
        let tenths = Int((share * 1000).rounded())
        return tenths % 10 == 0 ? "\(tenths / 10)%" : "\(tenths / 10).\(tenths % 10)%"
    }

    private static func megabytes(_ bytes: Int) -> String {
        let tenths = (Double(bytes) / 100_000).rounded()
        return tenths.truncatingRemainder(dividingBy: 10) == 0 ? "\(Int(tenths / 10))" : "\(tenths / 10)"
    }

    /// "a", "a and b", "a, b and c".
    private static func list(_ items: [String]) -> String {
        guard items.count > 1 else { return items.first ?? "" }
        return items.dropLast().joined(separator: ", ") + " and " + items[items.count - 1]
    }
}
