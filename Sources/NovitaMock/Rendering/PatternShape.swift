/// One seeded round shape layered over the plasma: a soft disc, a ring or a glow. Positions and
/// sizes are fractions of the image (16-bit fixed point) so the same seed composes the same
/// picture at every resolution; coverage is computed from squared distances (no square roots).
struct PatternShape: Sendable {
    enum Kind: Sendable, CaseIterable {
        /// A filled disc with a feathered edge.
        case disc
        /// A circle outline.
        case ring
        /// Brightest at the centre, fading linearly in squared distance to nothing at the rim.
        case glow
    }

    var kind: Kind
    /// Centre as a fraction of width / height, in 1/65536.
    var centerX: Int
    var centerY: Int
    /// Radius as a fraction of min(width, height), in 1/65536.
    var radius: Int
    /// Opacity, 0...256.
    var opacity: Int
    /// The colour, RGB.
    var color: (Int, Int, Int)

    /// Draws the shape over `pixels` (RGB, `width * height * 3`).
    func draw(into pixels: UnsafeMutableBufferPointer<UInt8>, width: Int, height: Int) {
        let cx = (centerX * width) >> 16
        let cy = (centerY * height) >> 16
        let r = max(1, (radius * min(width, height)) >> 16)
        let coverage = PatternShapeCoverage(kind: kind, radius: r)
        let reach = coverage.reach
        let top = max(0, cy - reach)
        let bottom = min(height - 1, cy + reach)
        guard top <= bottom else { return }
        for y in top...bottom {
            let dy = y - cy
            let dy2 = dy * dy
            let span = PatternShape.squareRootFloor(max(0, reach * reach - dy2))
            let x0 = max(0, cx - span)
            let x1 = min(width - 1, cx + span)
            if x0 > x1 { continue }
            var offset = (y * width + x0) * 3
            for x in x0...x1 {
                let dx = x - cx
                let alpha = (coverage.alpha(squaredDistance: dx * dx + dy2) * opacity) >> 8
                if alpha > 0 {
                    blend(pixels, at: offset, alpha: alpha)
                }
                offset += 3
            }
        }
    }

    @inline(__always)
    private func blend(_ pixels: UnsafeMutableBufferPointer<UInt8>, at offset: Int, alpha: Int) {
        let r = Int(pixels[offset])
        let g = Int(pixels[offset + 1])
        let b = Int(pixels[offset + 2])
        pixels[offset] = UInt8(r + (((color.0 - r) * alpha + 128) >> 8))
        pixels[offset + 1] = UInt8(g + (((color.1 - g) * alpha + 128) >> 8))
        pixels[offset + 2] = UInt8(b + (((color.2 - b) * alpha + 128) >> 8))
    }

    /// ⌊√n⌋ for n ≥ 0, by Newton's method on integers (once per row, so speed is no concern).
    static func squareRootFloor(_ n: Int) -> Int {
        if n < 2 { return n }
        var x = n
        var y = (x + 1) / 2
        while y < x {
            x = y
            y = (x + n / x) / 2
        }
        return x
    }
}

/// The per-pixel coverage function of a shape, with its divisions hoisted into reciprocals.
struct PatternShapeCoverage {
    let kind: PatternShape.Kind
    let r2: Int
    /// How far from the centre the shape can cover anything, in pixels.
    let reach: Int
    /// Ring: half the line thickness times 2r (distance to the circle ≈ |d² − r²| / 2r).
    private let ringHalf: Int
    /// 256 · 65536 divided by the feather width in squared-distance units.
    private let reciprocal: Int

    init(kind: PatternShape.Kind, radius r: Int) {
        self.kind = kind
        r2 = r * r
        let feather = max(1, r / 10)  // the disc's soft edge, in pixels
        switch kind {
        case .disc:
            reach = r
            ringHalf = 0
            reciprocal = (256 << 16) / (2 * r * feather)
        case .ring:
            let half = max(1, r / 14)
            reach = r + half + 1
            ringHalf = half * 2 * r
            reciprocal = (256 << 16) / (2 * r * max(1, half / 2))
        case .glow:
            reach = r
            ringHalf = 0
            reciprocal = (256 << 16) / max(1, r2)
        }
    }

    /// Coverage 0...256 at squared distance `d2` from the centre.
    @inline(__always)
    func alpha(squaredDistance d2: Int) -> Int {
        let inside: Int
        switch kind {
        case .disc, .glow: inside = r2 - d2
        case .ring: inside = ringHalf - abs(d2 - r2)
        }
        if inside <= 0 { return 0 }
        return min(256, (inside * reciprocal) >> 16)
    }
}
