import Foundation

/// The 22 styles, each a composition painted back to front on a `Stage`: backdrop, surfaces,
/// light, shadows that follow the product's silhouette, the product, then text.
extension ImageEngine {
    func compose(_ source: [UInt8], header: Vips.Header, spec: RenderSpec, seed: UInt64) throws(ImagingError) -> Composed {
        var random = SeededRandom(seed)
        let (w, h) = (Double(spec.width), Double(spec.height))
        switch spec.composition {
        case .whiteBackground, .transparent:
            return try plain(source, header: header, spec: spec)

        case .dropShadow:
            var stage = Stage(width: spec.width, height: spec.height, background: backdrop(spec, default: .white))
            let product = try stand(source, header, on: &stage, box: (w * 0.5, h * 0.5, w * spec.productFill * 0.94, h * spec.productFill * 0.94), standing: false)
            let size = Double(max(product.box.width, product.box.height))
            try stage.dropShadow(of: product, offset: (size * 0.025, size * 0.035), blur: size * 0.03, strength: 0.35)
            try stage.place(product)
            return stage.composition

        case .reflection:
            var stage = Stage(width: spec.width, height: spec.height)
            try stage.linearGradient(.white, RGBColor(r: 228, g: 230, b: 234))
            let product = try stand(source, header, on: &stage, box: (w * 0.5, h * 0.66, w * 0.72, h * 0.56))
            try stage.reflection(of: product, opacity: 0.32)
            try stage.groundShadow(of: product, contact: 0.5, softness: 0.8)
            try stage.place(product)
            return stage.composition

        case .gradient:
            let base = backdropColour(spec) ?? random.pick(Palette.gradients)
            var stage = Stage(width: spec.width, height: spec.height)
            try stage.linearGradient(base.mixed(with: .white, 0.55), base, angle: 100)
            let product = try stand(source, header, on: &stage, box: (w * 0.5, h * 0.86, w * 0.66, h * 0.68))
            try stage.groundShadow(of: product, contact: 0.45, cast: 0.12)
            try stage.place(product)
            return stage.composition

        case .pastel:
            let base = backdropColour(spec) ?? random.pick(Palette.pastels)
            var stage = Stage(width: spec.width, height: spec.height)
            try stage.radialGradient(base.mixed(with: .white, 0.35), base, at: (0.5, 0.4))
            let product = try stand(source, header, on: &stage, box: (w * 0.5, h * 0.85, w * 0.64, h * 0.64))
            try stage.groundShadow(of: product, contact: 0.4, cast: 0.18, angle: random.next(in: -30...30))
            try stage.place(product)
            return stage.composition

        case .darkLuxury:
            var stage = Stage(width: spec.width, height: spec.height)
            let glow = random.pick([RGBColor(r: 74, g: 62, b: 48), RGBColor(r: 52, g: 56, b: 66), RGBColor(r: 64, g: 44, b: 52)])
            try stage.radialGradient(glow, RGBColor(r: 10, g: 10, b: 12), at: (0.5, 0.42))
            let floorTop = Int(h * 0.7)
            try stage.draw(.line, from: (0, Double(floorTop)), to: (w, Double(floorTop)), size: max(1, h / 900), colour: RGBColor(r: 150, g: 124, b: 80), opacity: 0.35)
            let product = try stand(source, header, on: &stage, box: (w * 0.5, h * 0.78, w * 0.7, h * 0.62))
            try stage.reflection(of: product, opacity: 0.22, fade: 0.35)
            try stage.groundShadow(of: product, contact: 0.7, softness: 0.7)
            try stage.place(product)
            try stage.vignette(strength: 0.45)
            return stage.composition

        case .marble, .woodenTable, .lifestyle, .mockup, .outdoor:
            return try scene(source, header: header, spec: spec, seed: seed, random: &random)

        case .podium:
            let base = backdropColour(spec) ?? random.pick(Palette.pastels)
            var stage = Stage(width: spec.width, height: spec.height)
            try stage.linearGradient(base.mixed(with: .white, 0.3), base.mixed(with: .ink, 0.08))
            // A cylinder: a shaded side, then a lighter top ellipse the product stands on.
            let (radius, top, depth) = (w * 0.34, h * 0.74, h * 0.07)
            let side = base.mixed(with: .white, 0.55)
            try stage.draw(.roundedRect, from: (w / 2 - radius, top), to: (w / 2 + radius, h * 1.02), colour: side.mixed(with: .ink, 0.12))
            try stage.draw(.ellipse, from: (w / 2 - radius, h * 1.02 - depth), to: (w / 2 + radius, h * 1.02 + depth), colour: side.mixed(with: .ink, 0.12))
            try stage.draw(.ellipse, from: (w / 2 - radius, top - depth), to: (w / 2 + radius, top + depth), colour: side.mixed(with: .white, 0.35))
            try stage.lightPool(at: (0.5, 0.55), radius: 0.5, strength: 0.12)
            let product = try stand(source, header, on: &stage, box: (w * 0.5, top + depth * 0.2, radius * 1.6, h * 0.6))
            try stage.groundShadow(of: product, contact: 0.55, softness: 0.6)
            try stage.place(product)
            return stage.composition

        case .flatLay:
            var stage = Stage(width: spec.width, height: spec.height)
            let variant = random.pick([
                (Stage.Surface.linen, RGBColor(r: 226, g: 219, b: 206)), (.wood, RGBColor(r: 188, g: 150, b: 112)),
                (.concrete, RGBColor(r: 206, g: 204, b: 200)), (.marble, RGBColor(r: 236, g: 234, b: 230)),
            ])
            try stage.surface(variant.0, in: PixelRect(x: 0, y: 0, width: spec.width, height: spec.height), base: variant.1,
                              accent: RGBColor(r: 120, g: 120, b: 124), seed: seed, scale: w * 0.6)
            try stage.lightPool(at: (0.3, 0.2), radius: 0.9, strength: 0.08)
            let product = try stand(source, header, on: &stage, box: (w * 0.5, h * 0.5, w * 0.7, h * 0.7), standing: false)
            let size = Double(max(product.box.width, product.box.height))
            try stage.dropShadow(of: product, offset: (size * 0.012, size * 0.02), blur: size * 0.02, strength: 0.4)
            try stage.place(product)
            try stage.vignette(strength: 0.18)
            return stage.composition

        case .socialSquare, .socialStory, .heroBanner, .infographic, .saleBadge, .dimensions:
            return try layout(source, header: header, spec: spec, random: &random)

        case .comparison:
            return try comparison(source, header: header, spec: spec, seed: seed)

        case .colorVariants:
            return try colourVariants(source, header: header, spec: spec)
        }
    }

    // MARK: Scenes with a floor in perspective

    private func scene(_ source: [UInt8], header: Vips.Header, spec: RenderSpec, seed: UInt64, random: inout SeededRandom) throws(ImagingError) -> Composed {
        let (w, h) = (Double(spec.width), Double(spec.height))
        let setting = Setting.pick(for: spec.composition, named: spec.scene, random: &random)
        var stage = Stage(width: spec.width, height: spec.height)
        let horizon = Int(h * setting.horizon)
        try stage.linearGradient(setting.wallTop, setting.wallBottom)
        if setting.composition == .outdoor {
            // Distant greenery: soft, out-of-focus blobs along the horizon.
            for index in 0..<9 {
                let x = w * (Double(index) / 8.0) + random.next(in: -0.05...0.05) * w
                let size = w * random.next(in: 0.12...0.24)
                let green = setting.accent.mixed(with: .ink, random.next(in: 0...0.3))
                try stage.draw(.ellipse, from: (x - size, Double(horizon) - size * 0.7), to: (x + size, Double(horizon) + size * 0.3), colour: green)
            }
        } else {
            // A window's light falling across the wall, from the upper left.
            try stage.draw(.roundedRect, from: (w * 0.08, h * 0.06), to: (w * 0.34, Double(horizon) - h * 0.1), size: w * 0.01, colour: .white, opacity: 0.35)
        }
        try stage.blur(PixelRect(x: 0, y: 0, width: spec.width, height: horizon + 2), sigma: max(2, w * 0.012))
        try stage.surface(setting.surface, in: PixelRect(x: 0, y: horizon, width: spec.width, height: spec.height - horizon),
                          base: setting.floor, accent: setting.accent, seed: seed, squeeze: 0.45, scale: w * 0.5)
        // The far edge of the table softens: depth of field.
        try stage.blur(PixelRect(x: 0, y: horizon, width: spec.width, height: Int(h * 0.06)), sigma: max(1.5, w * 0.004))
        try stage.lightPool(at: (0.35, 0.3), radius: 0.8, strength: setting.light)
        // Table-top scale: the product stands in the room rather than filling it.
        let product = try stand(source, header, on: &stage, box: (w * 0.5, h * 0.86, w * 0.56, h * 0.58))
        if setting.glossy { try stage.reflection(of: product, opacity: 0.18, fade: 0.3) }
        try stage.groundShadow(of: product, contact: 0.6, cast: 0.22, angle: random.next(in: 10...35))
        try stage.place(product)
        try stage.vignette(strength: 0.22)
        return stage.composition
    }

    // MARK: Text-bearing layouts

    private func layout(_ source: [UInt8], header: Vips.Header, spec: RenderSpec, random: inout SeededRandom) throws(ImagingError) -> Composed {
        let (w, h) = (Double(spec.width), Double(spec.height))
        let base = backdropColour(spec) ?? random.pick(Palette.gradients)
        var stage = Stage(width: spec.width, height: spec.height)
        let text = spec.text
        let margin = min(w, h) * 0.06
        switch spec.composition {
        case .heroBanner:
            try stage.linearGradient(base.mixed(with: .white, 0.6), base, angle: 0)
            let product = try stand(source, header, on: &stage, box: (w * 0.72, h * 0.93, w * 0.46, h * 0.84))
            try stage.groundShadow(of: product, contact: 0.45, cast: 0.15)
            try stage.place(product)
            let column = PixelRect(x: Int(margin), y: Int(margin), width: Int(w * 0.48 - margin), height: Int(h - 2 * margin))
            try headlineBlock(text, in: column, on: &stage, align: .leading)
        case .socialSquare:
            try stage.radialGradient(base.mixed(with: .white, 0.5), base, at: (0.5, 0.35))
            let hasText = text.headline != nil || text.subheadline != nil
            let product = try stand(source, header, on: &stage, box: (w * 0.5, h * (hasText ? 0.9 : 0.88), w * 0.7, h * (hasText ? 0.58 : 0.72)))
            try stage.groundShadow(of: product, contact: 0.45, cast: 0.12)
            try stage.place(product)
            // The badge takes the top-right corner; the headline keeps clear of it.
            let badgeRadius = min(w, h) * 0.09
            let room = text.badge == nil ? 0 : badgeRadius * 2.4
            if hasText {
                try headlineBlock(text, in: PixelRect(x: Int(margin + room), y: Int(margin), width: Int(w - 2 * (margin + room)), height: Int(h * 0.22)), on: &stage, align: .centre)
            }
            if let badge = text.badge { try badgeStamp(badge, on: &stage, centre: (w - margin - badgeRadius, margin + badgeRadius), radius: badgeRadius) }
        case .socialStory:
            try stage.linearGradient(base.mixed(with: .white, 0.55), base)
            // Stories cover the top ~14% and bottom ~20% with the app's own controls: text stays
            // between them, the product in the middle.
            let safeTop = h * 0.14, safeBottom = h * 0.8
            let product = try stand(source, header, on: &stage, box: (w * 0.5, h * 0.75, w * 0.86, h * 0.38))
            try stage.groundShadow(of: product, contact: 0.45, cast: 0.12)
            try stage.place(product)
            if text.headline != nil || text.subheadline != nil {
                try headlineBlock(text, in: PixelRect(x: Int(margin), y: Int(safeTop + margin * 0.5), width: Int(w - 2 * margin), height: Int(h * 0.16)), on: &stage, align: .centre)
            }
            if let badge = text.badge {
                let box = PixelRect(x: Int(w * 0.2), y: Int(safeBottom - h * 0.05), width: Int(w * 0.6), height: Int(h * 0.045))
                try pill(badge, in: box, on: &stage, colour: base.mixed(with: .ink, 0.55))
            }
        case .infographic:
            try stage.linearGradient(.white, RGBColor(r: 240, g: 242, b: 245))
            let product = try stand(source, header, on: &stage, box: (w * 0.3, h * 0.88, w * 0.5, h * 0.66))
            try stage.groundShadow(of: product, contact: 0.45, cast: 0.1)
            try stage.place(product)
            var top = margin
            if let headline = text.headline {
                let area = PixelRect(x: Int(margin), y: Int(margin), width: Int(w - 2 * margin), height: Int(h * 0.1))
                try stage.text(headline, in: area, font: .heavy, colour: .ink, align: .leading)
                top = margin + h * 0.13
            }
            // One card per feature down the right-hand column, each with an accent dot.
            let features = Array(text.features.prefix(6))
            let column = (x: w * 0.58, width: w * 0.42 - margin)
            let gap = h * 0.02
            let cardHeight = min(h * 0.14, (h - top - margin - gap * Double(features.count - 1)) / Double(max(1, features.count)))
            for (index, feature) in features.enumerated() {
                let y = top + Double(index) * (cardHeight + gap)
                try stage.draw(.roundedRect, from: (column.x, y), to: (column.x + column.width, y + cardHeight), size: cardHeight * 0.2, colour: .white)
                try stage.draw(.roundedRect, from: (column.x, y), to: (column.x + column.width, y + cardHeight), size: cardHeight * 0.2, colour: base, opacity: 0.08)
                let dot = cardHeight * 0.16
                try stage.draw(.ellipse, from: (column.x + cardHeight * 0.3 - dot, y + cardHeight / 2 - dot), to: (column.x + cardHeight * 0.3 + dot, y + cardHeight / 2 + dot), colour: base.mixed(with: .ink, 0.3))
                let label = PixelRect(x: Int(column.x + cardHeight * 0.6), y: Int(y + cardHeight * 0.18), width: Int(column.width - cardHeight * 0.8), height: Int(cardHeight * 0.64))
                try stage.text(feature, in: label, font: .bold, colour: .ink, align: .leading)
                // A leader line from the card towards the product.
                try stage.draw(.line, from: (column.x, y + cardHeight / 2), to: (column.x - w * 0.04, y + cardHeight / 2), size: max(1, w / 600), colour: base.mixed(with: .ink, 0.3), opacity: 0.7)
            }
        case .saleBadge:
            try stage.radialGradient(.white, base.mixed(with: .white, 0.6), at: (0.5, 0.45))
            // Below the headline when there is one: text never covers the product.
            let room = text.headline == nil ? 0.74 : 0.64
            let product = try stand(source, header, on: &stage, box: (w * 0.5, h * 0.9, w * 0.72, h * room))
            try stage.groundShadow(of: product, contact: 0.45, cast: 0.12)
            try stage.place(product)
            try badgeStamp(text.badge ?? "", on: &stage, centre: (w * 0.8, h * 0.2), radius: min(w, h) * 0.14)
            if text.headline != nil {
                try headlineBlock(StyleText(headline: text.headline), in: PixelRect(x: Int(margin), y: Int(margin * 0.7), width: Int(w * 0.6), height: Int(h * 0.12)), on: &stage, align: .leading)
            }
        case .dimensions:
            try stage.linearGradient(.white, RGBColor(r: 242, g: 243, b: 245))
            let product = try stand(source, header, on: &stage, box: (w * 0.46, h * 0.8, w * 0.66, h * 0.66))
            try stage.groundShadow(of: product, contact: 0.4)
            try stage.place(product)
            let line = RGBColor(r: 60, g: 64, b: 72)
            let box = product.box
            let stroke = max(1.5, min(w, h) / 450)
            let labelHeight = Int(h * 0.05)
            if let widthLabel = text.widthLabel {
                let y = Double(box.y + box.height) + h * 0.05
                try stage.draw(.arrow, from: (Double(box.x), y), to: (Double(box.x + box.width), y), size: stroke, colour: line)
                try stage.text(widthLabel, in: PixelRect(x: box.x, y: Int(y + h * 0.015), width: box.width, height: labelHeight), font: .bold, colour: line, align: .centre, vertical: .top)
            }
            if let heightLabel = text.heightLabel {
                let x = Double(box.x + box.width) + w * 0.05
                try stage.draw(.arrow, from: (x, Double(box.y)), to: (x, Double(box.y + box.height)), size: stroke, colour: line)
                let room = max(10, spec.width - Int(x + w * 0.02) - Int(margin * 0.5))
                try stage.text(heightLabel, in: PixelRect(x: Int(x + w * 0.02), y: box.y + box.height / 2 - labelHeight / 2, width: room, height: labelHeight), font: .bold, colour: line, align: .leading)
            }
        default:
            break
        }
        return stage.composition
    }

    /// Headline over subheadline, each sized to fit, in ink that reads on the backdrop.
    private func headlineBlock(_ text: StyleText, in area: PixelRect, on stage: inout Stage, align: TextAlignment) throws(ImagingError) {
        let ink = stage.meanColour(area).readableInk
        switch (text.headline, text.subheadline) {
        case let (headline?, subheadline?):
            let split = area.height * 62 / 100
            let used = try stage.text(headline, in: PixelRect(x: area.x, y: area.y, width: area.width, height: split), font: .heavy, colour: ink, align: align, vertical: .bottom)
            let below = used.y + used.height + area.height / 30
            try stage.text(subheadline, in: PixelRect(x: area.x, y: below, width: area.width, height: max(8, (area.y + area.height - below) * 7 / 10)), font: .regular, colour: ink, align: align, vertical: .top)
        case let (headline?, nil):
            try stage.text(headline, in: area, font: .heavy, colour: ink, align: align)
        case let (nil, subheadline?):
            try stage.text(subheadline, in: area, font: .regular, colour: ink, align: align)
        case (nil, nil):
            break
        }
    }

    /// A round badge (a sale, "new"): a saturated disc with a white ring and white text.
    private func badgeStamp(_ label: String, on stage: inout Stage, centre: (x: Double, y: Double), radius: Double) throws(ImagingError) {
        let red = RGBColor(r: 214, g: 40, b: 57)
        try stage.draw(.ellipse, from: (centre.x - radius * 1.06, centre.y - radius * 1.06), to: (centre.x + radius * 1.06, centre.y + radius * 1.06), colour: .white)
        try stage.draw(.ellipse, from: (centre.x - radius, centre.y - radius), to: (centre.x + radius, centre.y + radius), colour: red)
        let inner = radius * 1.25
        try stage.text(label, in: PixelRect(x: Int(centre.x - inner / 2), y: Int(centre.y - inner / 2), width: Int(inner), height: Int(inner)), font: .heavy, colour: .white, align: .centre)
    }

    private func pill(_ label: String, in box: PixelRect, on stage: inout Stage, colour: RGBColor) throws(ImagingError) {
        try stage.draw(.roundedRect, from: (Double(box.x), Double(box.y)), to: (Double(box.x + box.width), Double(box.y + box.height)), size: Double(box.height) / 2, colour: colour)
        let pad = box.height / 5
        try stage.text(label, in: PixelRect(x: box.x + box.height / 2, y: box.y + pad, width: box.width - box.height, height: box.height - 2 * pad), font: .bold, colour: colour.readableInk, align: .centre)
    }

    // MARK: Comparison and variants

    private func comparison(_ source: [UInt8], header: Vips.Header, spec: RenderSpec, seed: UInt64) throws(ImagingError) -> Composed {
        let (w, h) = (Double(spec.width), Double(spec.height))
        var stage = Stage(width: spec.width, height: spec.height)
        let labelHeight = Int(h * 0.08)
        let panel = (width: spec.width / 2, height: spec.height - labelHeight)
        // Before: the photo as it came. After: the chosen style at the panel's size.
        let original = try Vips.decode(source, fittingIn: panel.width * 92 / 100, panel.height * 92 / 100)
        try Vision.composite(original.rgba, onto: &stage.canvas, x: (panel.width - original.width) / 2, y: labelHeight + (panel.height - original.height) / 2)
        var after = spec
        after.composition = spec.compareWith
        after.width = panel.width
        after.height = panel.height
        let processed = try compose(source, header: header, spec: after, seed: seed)
        try Vision.composite(processed.canvas.rgba, onto: &stage.canvas, x: spec.width - panel.width, y: labelHeight)
        // Both panels show the product: the photo as it came, and the style's own product.
        try stage.markProduct(original.rgba, x: (panel.width - original.width) / 2, y: labelHeight + (panel.height - original.height) / 2)
        try stage.markProduct(
            Raster(width: panel.width, height: panel.height, bands: 4,
                   pixels: processed.productCoverage.flatMap { [0, 0, 0, $0] }),
            x: spec.width - panel.width, y: labelHeight)
        try stage.draw(.line, from: (w / 2, 0), to: (w / 2, h), size: max(2, w / 500), colour: RGBColor(r: 210, g: 212, b: 216))
        for (index, label) in ["Before", "After"].enumerated() {
            let area = PixelRect(x: index * panel.width + panel.width / 4, y: labelHeight / 5, width: panel.width / 2, height: labelHeight * 3 / 5)
            try stage.text(label, in: area, font: .bold, colour: .ink, align: .centre)
        }
        var composition = stage.composition
        composition.cutoutConfidence = processed.cutoutConfidence
        return composition
    }

    private func colourVariants(_ source: [UInt8], header: Vips.Header, spec: RenderSpec) throws(ImagingError) -> Composed {
        let (w, h) = (Double(spec.width), Double(spec.height))
        var stage = Stage(width: spec.width, height: spec.height, background: backdrop(spec, default: .white))
        let colours = spec.colors
        let columns = colours.count <= 4 ? colours.count : (colours.count + 1) / 2
        let rows = (colours.count + columns - 1) / max(1, columns)
        let cell = (width: w / Double(columns), height: h / Double(rows))
        // One cutout, recoloured per swatch: every copy is the same product at the same size.
        let product = try isolate(source, header: header, fitting: (cell.width * 0.8, cell.height * 0.72))
        for (index, colour) in colours.enumerated() {
            let (column, row) = (index % columns, index / columns)
            var layer = product.layer
            try Vision.recolour(&layer, to: colour)
            let centre = (x: cell.width * (Double(column) + 0.5), base: cell.height * (Double(row) + 0.84))
            let placed = Placed(
                layer: layer, x: Int(centre.x) - product.box.width / 2 - product.box.x,
                y: Int(centre.base) - product.box.height - product.box.y,
                box: PixelRect(x: Int(centre.x) - product.box.width / 2, y: Int(centre.base) - product.box.height, width: product.box.width, height: product.box.height),
                confidence: product.confidence)
            try stage.groundShadow(of: placed, contact: 0.4)
            try stage.place(placed)
            let swatch = cell.height * 0.035
            let swatchY = centre.base + cell.height * 0.07
            try stage.draw(.ellipse, from: (centre.x - swatch, swatchY - swatch), to: (centre.x + swatch, swatchY + swatch), colour: colour)
            try stage.draw(.ellipse, from: (centre.x - swatch * 1.15, swatchY - swatch * 1.15), to: (centre.x + swatch * 1.15, swatchY + swatch * 1.15), colour: .ink, opacity: 0.12)
            try stage.draw(.ellipse, from: (centre.x - swatch, swatchY - swatch), to: (centre.x + swatch, swatchY + swatch), colour: colour)
        }
        return stage.composition
    }

    // MARK: Helpers

    /// Cuts the product out to fit `box` (centre x, base or centre y, maximum width and height)
    /// and places it standing on the box's base line, or centred when it lies flat.
    func stand(_ source: [UInt8], _ header: Vips.Header, on stage: inout Stage,
               box: (x: Double, y: Double, width: Double, height: Double), standing: Bool = true) throws(ImagingError) -> Placed {
        let product = try isolate(source, header: header, fitting: (box.width, box.height))
        let left = Int(box.x.rounded()) - product.box.width / 2
        let top = standing ? Int(box.y.rounded()) - product.box.height : Int(box.y.rounded()) - product.box.height / 2
        return Placed(
            layer: product.layer, x: left - product.box.x, y: top - product.box.y,
            box: PixelRect(x: left, y: top, width: product.box.width, height: product.box.height),
            confidence: product.confidence)
    }

    private func backdrop(_ spec: RenderSpec, default colour: RGBColor) -> Background {
        if case .color(let chosen) = spec.background { return .color(chosen) }
        return .color(colour)
    }

    /// The caller's background colour, when it is not the default white.
    private func backdropColour(_ spec: RenderSpec) -> RGBColor? {
        if case .color(let chosen) = spec.background, chosen != .white { return chosen }
        return nil
    }
}

/// Colours the styles choose from by seed.
enum Palette {
    static let pastels = [
        RGBColor(r: 246, g: 214, b: 214), RGBColor(r: 214, g: 232, b: 246), RGBColor(r: 220, g: 240, b: 222),
        RGBColor(r: 248, g: 236, b: 208), RGBColor(r: 230, g: 222, b: 246), RGBColor(r: 246, g: 226, b: 210),
    ]
    static let gradients = [
        RGBColor(r: 124, g: 154, b: 196), RGBColor(r: 196, g: 140, b: 132), RGBColor(r: 128, g: 170, b: 150),
        RGBColor(r: 186, g: 160, b: 120), RGBColor(r: 150, g: 136, b: 186), RGBColor(r: 110, g: 120, b: 134),
    ]
}

/// A room, table or landscape for the scene styles; several per style so a catalogue does not
/// look like one template.
struct Setting {
    let name: String
    let composition: Composition
    let wallTop: RGBColor
    let wallBottom: RGBColor
    let surface: Stage.Surface
    let floor: RGBColor
    let accent: RGBColor
    /// The horizon (back edge of the table or ground) as a fraction of the height.
    let horizon: Double
    let light: Double
    let glossy: Bool

    static let all: [Setting] = [
        Setting(name: "living_room", composition: .lifestyle, wallTop: RGBColor(r: 236, g: 228, b: 216), wallBottom: RGBColor(r: 214, g: 202, b: 186),
                surface: .wood, floor: RGBColor(r: 170, g: 126, b: 88), accent: .ink, horizon: 0.6, light: 0.12, glossy: false),
        Setting(name: "kitchen", composition: .lifestyle, wallTop: RGBColor(r: 240, g: 241, b: 238), wallBottom: RGBColor(r: 222, g: 224, b: 220),
                surface: .marble, floor: RGBColor(r: 238, g: 236, b: 232), accent: RGBColor(r: 120, g: 122, b: 128), horizon: 0.58, light: 0.1, glossy: true),
        Setting(name: "office", composition: .lifestyle, wallTop: RGBColor(r: 214, g: 222, b: 230), wallBottom: RGBColor(r: 190, g: 200, b: 210),
                surface: .concrete, floor: RGBColor(r: 196, g: 192, b: 186), accent: .ink, horizon: 0.6, light: 0.1, glossy: false),
        Setting(name: "bathroom", composition: .lifestyle, wallTop: RGBColor(r: 226, g: 236, b: 230), wallBottom: RGBColor(r: 204, g: 218, b: 210),
                surface: .marble, floor: RGBColor(r: 244, g: 244, b: 242), accent: RGBColor(r: 140, g: 150, b: 150), horizon: 0.62, light: 0.1, glossy: true),
        Setting(name: "white_marble", composition: .marble, wallTop: RGBColor(r: 246, g: 245, b: 243), wallBottom: RGBColor(r: 226, g: 224, b: 221),
                surface: .marble, floor: RGBColor(r: 240, g: 238, b: 235), accent: RGBColor(r: 110, g: 112, b: 118), horizon: 0.55, light: 0.08, glossy: true),
        Setting(name: "black_marble", composition: .marble, wallTop: RGBColor(r: 70, g: 70, b: 74), wallBottom: RGBColor(r: 40, g: 40, b: 44),
                surface: .marble, floor: RGBColor(r: 44, g: 44, b: 48), accent: RGBColor(r: 210, g: 206, b: 196), horizon: 0.55, light: 0.14, glossy: true),
        Setting(name: "oak", composition: .woodenTable, wallTop: RGBColor(r: 238, g: 232, b: 222), wallBottom: RGBColor(r: 216, g: 206, b: 192),
                surface: .wood, floor: RGBColor(r: 184, g: 140, b: 96), accent: .ink, horizon: 0.58, light: 0.1, glossy: false),
        Setting(name: "walnut", composition: .woodenTable, wallTop: RGBColor(r: 226, g: 222, b: 214), wallBottom: RGBColor(r: 196, g: 190, b: 180),
                surface: .wood, floor: RGBColor(r: 112, g: 76, b: 52), accent: .ink, horizon: 0.58, light: 0.12, glossy: false),
        Setting(name: "studio", composition: .mockup, wallTop: RGBColor(r: 246, g: 246, b: 247), wallBottom: RGBColor(r: 228, g: 229, b: 232),
                surface: .concrete, floor: RGBColor(r: 232, g: 232, b: 234), accent: .ink, horizon: 0.62, light: 0.06, glossy: true),
        Setting(name: "stone", composition: .mockup, wallTop: RGBColor(r: 222, g: 218, b: 212), wallBottom: RGBColor(r: 200, g: 195, b: 188),
                surface: .concrete, floor: RGBColor(r: 204, g: 198, b: 190), accent: .ink, horizon: 0.6, light: 0.08, glossy: false),
        Setting(name: "garden", composition: .outdoor, wallTop: RGBColor(r: 150, g: 196, b: 236), wallBottom: RGBColor(r: 222, g: 236, b: 244),
                surface: .concrete, floor: RGBColor(r: 196, g: 184, b: 160), accent: RGBColor(r: 92, g: 140, b: 84), horizon: 0.6, light: 0.14, glossy: false),
        Setting(name: "terrace", composition: .outdoor, wallTop: RGBColor(r: 170, g: 204, b: 232), wallBottom: RGBColor(r: 240, g: 230, b: 214),
                surface: .wood, floor: RGBColor(r: 160, g: 122, b: 86), accent: RGBColor(r: 110, g: 150, b: 96), horizon: 0.58, light: 0.16, glossy: false),
    ]

    static func names(for composition: Composition) -> [String] { all.filter { $0.composition == composition }.map(\.name) }

    static func pick(for composition: Composition, named name: String?, random: inout SeededRandom) -> Setting {
        let choices = all.filter { $0.composition == composition }
        if let name, let chosen = choices.first(where: { $0.name == name }) { return chosen }
        return random.pick(choices)
    }
}

/// SplitMix64: the same seed gives the same choices on every machine.
struct SeededRandom {
    private var state: UInt64

    init(_ seed: UInt64) { state = seed &+ 0x9E37_79B9_7F4A_7C15 }

    mutating func next() -> UInt64 {
        state = state &+ 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    mutating func next(in range: ClosedRange<Double>) -> Double {
        range.lowerBound + Double(next() >> 11) / Double(1 << 53) * (range.upperBound - range.lowerBound)
    }

    mutating func pick<T>(_ choices: [T]) -> T { choices[Int(next() % UInt64(choices.count))] }
}

/// The named variants of the scene styles, for the API's catalogue.
public enum SceneCatalog {
    public static func names(for composition: Composition) -> [String] { Setting.names(for: composition) }
}
