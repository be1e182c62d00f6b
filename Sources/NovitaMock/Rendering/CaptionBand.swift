import ImageCodecs

/// The caption at the bottom of every image: a dark translucent band with two lines in the
/// built-in bitmap font — the prompt (cut with "..." to fit) and the seed / index / size line —
/// so a human looking at a mock image can tell which request made it.
///
/// The font is scaled by a whole factor that grows with the image (1 at 128 px, 6 at 2048 px),
/// and the band takes about a tenth of the height but never less than the two lines need.
struct CaptionBand: Sendable {
    /// The first line, usually the prompt; cut to fit.
    var title: String
    /// Alternatives for the second line, most detailed first: the first that fits is drawn,
    /// else the last one, cut.
    var details: [String]

    static let titleColor: (UInt8, UInt8, UInt8) = (255, 255, 255)
    static let detailColor: (UInt8, UInt8, UInt8) = (190, 212, 235)
    /// How much of the image shows through the band, in 1/256.
    static let backgroundKeep = 80

    /// Font pixels per glyph pixel for an image of this size.
    static func scale(width: Int, height: Int) -> Int {
        1 + max(0, min(width, height) - 128) / 384
    }

    /// Where things go, in image pixels.
    struct Layout: Equatable {
        var scale: Int
        var bandTop: Int
        var margin: Int
        var firstBaseline: Int
        var secondBaseline: Int
        /// How many glyphs fit on one line.
        var columns: Int
    }

    static func layout(width: Int, height: Int) -> Layout {
        let s = scale(width: width, height: height)
        let lineGap = 3 * s
        let padding = 3 * s
        let textHeight = 2 * BitmapFont.glyphHeight * s + lineGap
        let band = min(height, max(height / 10, textHeight + 2 * padding))
        let bandTop = height - band
        let firstTop = bandTop + max(0, (band - textHeight) / 2)
        let margin = 3 * s
        let columns = max(0, (width - 2 * margin + s) / (BitmapFont.advance * s))
        return Layout(
            scale: s, bandTop: bandTop, margin: margin, firstBaseline: firstTop,
            secondBaseline: firstTop + BitmapFont.glyphHeight * s + lineGap, columns: columns)
    }

    /// Darkens the band and draws both lines into `image`.
    func draw(into image: inout PixelBuffer) {
        let layout = CaptionBand.layout(width: image.width, height: image.height)
        let first = CaptionBand.fitted(CaptionBand.glyphs(title), columns: layout.columns)
        let candidates = details.map(CaptionBand.glyphs)
        let second = CaptionBand.fitted(
            candidates.first { $0.count <= layout.columns } ?? candidates.last ?? [], columns: layout.columns)
        let width = image.width
        let height = image.height
        image.rgb.withUnsafeMutableBufferPointer { pixels in
            let canvas = CaptionCanvas(pixels: pixels, width: width, height: height)
            canvas.darken(fromRow: layout.bandTop, keep: CaptionBand.backgroundKeep)
            let shadow = max(1, layout.scale / 2)
            for (line, top, color) in [
                (first, layout.firstBaseline, CaptionBand.titleColor),
                (second, layout.secondBaseline, CaptionBand.detailColor),
            ] {
                canvas.text(line, x: layout.margin + shadow, y: top + shadow, scale: layout.scale, color: (0, 0, 0))
                canvas.text(line, x: layout.margin, y: top, scale: layout.scale, color: color)
            }
        }
    }

    /// Glyph indices for a string: control characters become spaces, other non-ASCII '?'.
    static func glyphs(_ text: String) -> [Int] {
        text.unicodeScalars.map { scalar in
            scalar.value < 32 || scalar.value == 127 ? 0 : BitmapFont.glyphIndex(for: scalar)
        }
    }

    /// Cuts a line to `columns` glyphs, ending in "..." when anything was cut.
    static func fitted(_ glyphs: [Int], columns: Int) -> [Int] {
        if glyphs.count <= columns { return glyphs }
        let dots = Array(repeating: BitmapFont.glyphIndex(for: "."), count: min(3, columns))
        return Array(glyphs.prefix(columns - dots.count)) + dots
    }
}

/// Draws into a raw RGB buffer with clipping; exists only while a caption is drawn.
struct CaptionCanvas {
    let pixels: UnsafeMutableBufferPointer<UInt8>
    let width: Int
    let height: Int

    /// Scales every pixel from `row` down by `keep`/256.
    func darken(fromRow row: Int, keep: Int) {
        // 16-bit lanes (byte · keep ≤ 255 · 256) so the loop vectorises.
        let keep = UInt16(clamping: keep)
        for i in (min(max(0, row), height) * width * 3)..<(width * height * 3) {
            pixels[i] = UInt8(truncatingIfNeeded: (UInt16(pixels[i]) &* keep) >> 8)
        }
    }

    /// Draws glyphs left to right from (`x`, `y`), each font pixel a `scale`×`scale` square.
    func text(_ glyphs: [Int], x: Int, y: Int, scale: Int, color: (UInt8, UInt8, UInt8)) {
        for (n, glyph) in glyphs.enumerated() {
            let left = x + n * BitmapFont.advance * scale
            for row in 0..<BitmapFont.glyphHeight {
                let bits = BitmapFont.row(row, ofGlyph: glyph)
                for column in 0..<BitmapFont.glyphWidth where bits & (0b10000 >> column) != 0 {
                    fill(x: left + column * scale, y: y + row * scale, size: scale, color: color)
                }
            }
        }
    }

    /// Fills a square, clipped to the image.
    private func fill(x: Int, y: Int, size: Int, color: (UInt8, UInt8, UInt8)) {
        let (x0, x1) = (max(0, x), min(width, x + size))
        let (y0, y1) = (max(0, y), min(height, y + size))
        guard x0 < x1, y0 < y1 else { return }
        for py in y0..<y1 {
            var offset = (py * width + x0) * 3
            for _ in x0..<x1 {
                pixels[offset] = color.0
                pixels[offset + 1] = color.1
                pixels[offset + 2] = color.2
                offset += 3
            }
        }
    }
}
