extension ImageEngine {
    /// Rendered images in a labelled grid, each fitted into a square tile: one look at every
    /// style for a photo.
    public func contactSheet(_ tiles: [(label: String, image: [UInt8])], columns: Int = 6, tileSide: Int = 400) throws(ImagingError) -> [UInt8] {
        let labelHeight = tileSide / 9
        let gap = tileSide / 25
        let rows = (tiles.count + columns - 1) / columns
        let cell = (width: tileSide + gap, height: tileSide + labelHeight + gap)
        var stage = Stage(width: columns * cell.width + gap, height: rows * cell.height + gap, background: .color(RGBColor(r: 236, g: 237, b: 240)))
        for (index, tile) in tiles.enumerated() {
            let x = gap + (index % columns) * cell.width
            let y = gap + (index / columns) * cell.height
            let image = try Vips.decode(tile.image, fittingIn: tileSide, tileSide)
            // A checkerboard under every tile, so transparent outputs show their alpha.
            let square = tileSide / 16
            for row in 0..<16 {
                for column in 0..<16 {
                    let light = (row + column) % 2 == 0
                    let origin = (x: Double(x + column * square), y: Double(y + row * square))
                    try stage.draw(.roundedRect, from: origin, to: (origin.x + Double(square), origin.y + Double(square)),
                                   colour: light ? .white : RGBColor(r: 214, g: 215, b: 218))
                }
            }
            try Vision.composite(image.rgba, onto: &stage.canvas, x: x + (tileSide - image.width) / 2, y: y + (tileSide - image.height) / 2)
            try stage.text(tile.label, in: PixelRect(x: x, y: y + tileSide + labelHeight / 6, width: tileSide, height: labelHeight * 2 / 3),
                           font: .bold, colour: .ink, align: .centre)
        }
        return try Vips.encode(stage.canvas, as: .png, quality: 100)
    }
}
