import Foundation

/// The public vocabulary of the geometric virtual try-on: what is measured on a person and on a
/// garment, and what a try-on is asked for. Coordinates are pixels of the photo as decoded
/// (after EXIF orientation); `left` and `right` are the image's sides (a person facing the
/// camera has their own right shoulder on the image's left).

/// A point in an image's pixels.
public struct ImagePoint: Sendable, Equatable, CustomStringConvertible {
    public var x: Double
    public var y: Double

    public init(x: Double, y: Double) {
        self.x = x
        self.y = y
    }

    public var description: String { "(\(Int(x.rounded())), \(Int(y.rounded())))" }

    func distance(to other: ImagePoint) -> Double { ((x - other.x) * (x - other.x) + (y - other.y) * (y - other.y)).squareRoot() }
    func midpoint(_ other: ImagePoint) -> ImagePoint { ImagePoint(x: (x + other.x) / 2, y: (y + other.y) / 2) }
}

/// A landmark on each side of the image.
public struct Sides<Value: Sendable>: Sendable {
    public var left: Value
    public var right: Value

    public init(left: Value, right: Value) {
        self.left = left
        self.right = right
    }

    subscript(side: Int) -> Value { side == 0 ? left : right }
}

extension Sides: Equatable where Value: Equatable {}

public enum GarmentCategory: String, Sendable, CaseIterable, Codable {
    case top, bottom, dress, outerwear

    /// Bottoms are dressed first; tops over them, outerwear over everything.
    var layer: Int {
        switch self {
        case .bottom: 0
        case .dress: 1
        case .top: 2
        case .outerwear: 3
        }
    }

    var upperBody: Bool { self == .top || self == .outerwear }
}

/// What a person photo showed the try-on.
public struct PersonAnalysis: Sendable {
    /// The photo's size (as decoded, after EXIF orientation).
    public let width: Int
    public let height: Int
    /// The person's silhouette, 255 = person, at `maskWidth` × `maskHeight` (the analysis'
    /// working size; multiply by `width / maskWidth` for photo pixels).
    public let mask: [UInt8]
    public let maskWidth: Int
    public let maskHeight: Int
    /// The face the try-on keeps untouched: the largest one found, or, when the frame cuts the
    /// head off (`faceDetected` false), where the body's proportions put it (partly above the
    /// frame).
    public let face: PixelRect
    public let faceDetected: Bool
    public let landmarks: PersonLandmarks
    /// The torso's outline, from the left shoulder down the left side to the crotch and back up
    /// the right side: where a top's body is laid.
    public let torsoPolygon: [ImagePoint]
    /// The height and weight the proportions used (nil: an average adult's proportions).
    public let heightCm: Double?
    public let weightKg: Double?
}

public struct PersonLandmarks: Sendable {
    /// Crown to chin, estimated from the face box: the unit of the body's proportions.
    public let headHeight: Double
    /// The body's height in head units the proportions assumed (7.5 for an adult; fewer for a child).
    public let headsTall: Double
    /// Torso widths against an average build, from weight and height (1 when unknown).
    public let buildFactor: Double
    public let chinY: Double
    /// Base of the neck on the body's axis, where a crew collar sits.
    public let neck: ImagePoint
    public let neckWidth: Double
    /// Shoulder joints, on the silhouette's top edge.
    public let shoulders: Sides<ImagePoint>
    /// The silhouette's width across the shoulders (deltoid to deltoid).
    public let shoulderWidth: Double
    /// Torso edges where the arms leave it, at the chest, the waist (narrowest) and the hips (widest).
    public let armpits: Sides<ImagePoint>
    public let chest: Sides<ImagePoint>
    public let waist: Sides<ImagePoint>
    public let hips: Sides<ImagePoint>
    public let crotch: ImagePoint
    public let elbows: Sides<ImagePoint>
    public let wrists: Sides<ImagePoint>
    /// The hands' far ends (fingertips).
    public let hands: Sides<ImagePoint>
    /// Each arm's outer and inner edge at the elbow (outer is away from the body's axis).
    public let armOuterEdges: Sides<ImagePoint>
    public let armInnerEdges: Sides<ImagePoint>
    public let armWidths: Sides<Double>
    /// Whether each arm stands apart from the torso in the silhouette (else it is assumed to hang
    /// along it).
    public let armsSeen: Sides<Bool>
    public let knees: Sides<ImagePoint>
    public let ankles: Sides<ImagePoint>
    /// Each leg's width at the knee.
    public let legWidths: Sides<Double>
    /// Whether a gap between the legs shows in the silhouette.
    public let legsSeen: Bool
    /// The silhouette reaches the frame's bottom edge: a half-body shot whose legs are estimated.
    public let cutOffAtBottom: Bool
    /// The torso's edges at rows from the shoulder line to the crotch: (y, left x, right x,
    /// measured on the silhouette rather than estimated where arms touch the torso).
    public let torsoOutline: [(y: Double, left: Double, right: Double, measured: Bool)]
}

/// What a garment photo showed the try-on.
public struct GarmentAnalysis: Sendable {
    public let width: Int
    public let height: Int
    /// The garment's cutout, 255 = garment, at `maskWidth` × `maskHeight` (the working size).
    public let mask: [UInt8]
    public let maskWidth: Int
    public let maskHeight: Int
    public let category: GarmentCategory
    /// How the category was decided: given by the caller, or read from the shape (with the
    /// evidence, in words).
    public let categoryDecision: CategoryDecision
    public let landmarks: GarmentLandmarks
    public let evidence: GarmentShapeEvidence

    public enum CategoryDecision: Sendable, Equatable {
        case given
        case shape(String)
    }
}

/// The numbers a garment's category is read from.
public struct GarmentShapeEvidence: Sendable {
    /// Height over the body's width.
    public let aspect: Double
    /// Share of the lower rows split into two legs around the centre line.
    public let legSplit: Double
    /// The widest upper row over the body's width (sleeves reach out).
    public let sleeveReach: Double
    /// How far the top edge dips at the centre (a neckline), over the height.
    public let neckDip: Double
    /// Share of the body's width the top row covers (a waistband covers it all).
    public let topCoverage: Double
    /// Share of the top rows that are thin separate straps.
    public let strapShare: Double
    /// Share of rows with a vertical edge on the centre line (a zip, a button placket).
    public let centreOpening: Double
    public let hasSleeves: Bool
    public let longSleeves: Bool
}

public struct GarmentLandmarks: Sendable {
    /// Centre of the neckline (tops, dresses, outerwear).
    public let collar: ImagePoint
    /// Where the neckline meets the shoulders (or the straps' tops).
    public let neck: Sides<ImagePoint>
    /// Shoulder seams; the straps' outer ends when sleeveless.
    public let shoulders: Sides<ImagePoint>
    /// Where each sleeve or armhole meets the body's side.
    public let armpits: Sides<ImagePoint>
    /// Cuff corners: away from the armpit (outer) and towards it (inner); nil without sleeves.
    public let sleeveEnds: Sides<(outer: ImagePoint, inner: ImagePoint)?>
    public let hem: Sides<ImagePoint>
    /// Waistband corners (bottoms); the waist's edges (dresses); nil for tops.
    public let waistband: Sides<ImagePoint>?
    /// Trousers: the crotch and each leg's hem corners.
    public let crotch: ImagePoint?
    public let legHems: Sides<(outer: ImagePoint, inner: ImagePoint)>?
    /// The body's edges at rows from the armpits (or the waistband) to the hem.
    public let outline: [(y: Double, left: Double, right: Double)]
}

/// The shape of the try-on's output. The document's ratios are the static members; any positive
/// pair is accepted by the engine.
public struct TryOnAspectRatio: Sendable, Equatable, CustomStringConvertible {
    public let width: Int
    public let height: Int

    public init(width: Int, height: Int) {
        self.width = width
        self.height = height
    }

    public static let square = TryOnAspectRatio(width: 1, height: 1)
    public static let landscape3x2 = TryOnAspectRatio(width: 3, height: 2)
    public static let portrait2x3 = TryOnAspectRatio(width: 2, height: 3)
    public static let landscape16x9 = TryOnAspectRatio(width: 16, height: 9)
    public static let portrait9x16 = TryOnAspectRatio(width: 9, height: 16)
    public static let landscape21x9 = TryOnAspectRatio(width: 21, height: 9)
    public static let portrait9x21 = TryOnAspectRatio(width: 9, height: 21)

    /// The ratios the API document lists, in its order.
    public static let documented: [TryOnAspectRatio] = [.square, .landscape3x2, .portrait2x3, .landscape16x9, .portrait9x16,
                                                         .landscape21x9, .portrait9x21]

    /// "2:3" and the like: one of the documented ratios, else an `invalidSpec` naming them.
    public init(parsing text: String) throws(ImagingError) {
        guard let ratio = Self.documented.first(where: { $0.description == text.trimmingCharacters(in: .whitespaces) }) else {
            throw .invalidSpec("aspectRatio \"\(text)\" is not supported; use one of \(Self.documented.map(\.description).joined(separator: ", "))")
        }
        self = ratio
    }

    public var description: String { "\(width):\(height)" }
    var value: Double { Double(width) / Double(height) }
}

public enum TryOnSize: Sendable, Equatable {
    /// The person photo's own resolution (never enlarged), cut or extended to the ratio.
    case automatic
    /// The longer side in pixels, the shorter from the aspect ratio.
    case longSide(Int)
    /// Exactly this size; its own proportions override `aspectRatio`.
    case exact(width: Int, height: Int)
}

public struct TryOnOptions: Sendable {
    public var aspectRatio: TryOnAspectRatio
    public var size: TryOnSize
    /// A visible "Virtual try-on preview" mark in a corner.
    public var watermark: Bool
    /// The person's height in centimetres (50–250) and weight in kilograms (10–300): they refine
    /// the body's proportions. Nil: an average adult's.
    public var height: Double?
    public var weight: Double?
    public var format: ImageFormat
    public var quality: Int

    public init(aspectRatio: TryOnAspectRatio = .portrait2x3, size: TryOnSize = .automatic, watermark: Bool = true,
                height: Double? = nil, weight: Double? = nil, format: ImageFormat = .jpeg, quality: Int = 90) {
        self.aspectRatio = aspectRatio
        self.size = size
        self.watermark = watermark
        self.height = height
        self.weight = weight
        self.format = format
        self.quality = quality
    }

    public static let heightRange: ClosedRange<Double> = 50...250
    public static let weightRange: ClosedRange<Double> = 10...300
}

/// One clothing item to dress.
public struct TryOnGarment: Sendable {
    public var bytes: [UInt8]
    /// Nil: read from the garment's shape.
    public var category: GarmentCategory?
    /// Shown as a small tag beside the garment (a price, a name).
    public var info: String?
    /// The garment's main colour becomes this one, its shading kept.
    public var recolor: RGBColor?

    public init(bytes: [UInt8], category: GarmentCategory? = nil, info: String? = nil, recolor: RGBColor? = nil) {
        self.bytes = bytes
        self.category = category
        self.info = info
        self.recolor = recolor
    }
}

/// One try-on image with what it shows and where.
public struct TryOnResult: Sendable {
    public let image: RenderedImage
    /// Indices into the request's garments dressed in this image.
    public let items: [Int]
    public let categories: [GarmentCategory]
    /// The person photo's place in the output: output pixel = photo pixel × scale + offset.
    public let scale: Double
    public let offsetX: Double
    public let offsetY: Double
    /// 0–255 per output pixel: how much garment was laid there (before text was drawn).
    public let coverage: [UInt8]
    /// The face the try-on kept untouched, in output pixels.
    public let face: PixelRect
}
