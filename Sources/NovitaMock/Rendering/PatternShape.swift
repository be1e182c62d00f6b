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

    /// Draws the shape over rows `rows` of `pixels` (RGB, `width * height * 3`).
    func draw(into pixels: UnsafeMutableBufferPointer<UInt8>, width: Int, height: Int, rows: Range<Int>) {
        let cx = (centerX * width) >> 16
        let cy = (centerY * height) >> 16
        let r = max(1, (radius * min(width, height)) >> 16)
        let coverage = PatternShapeCoverage(kind: kind, radius: r)
        let reach = coverage.reach
        let top = max(rows.lowerBound, cy - reach)
        let bottom = min(rows.upperBound - 1, cy + reach)
        guard top <= bottom, let base = pixels.baseAddress else { return }
        // The blend runs over bytes, not pixels — the colour and each pixel's alpha repeated per
        // channel — so it has no stride of three and vectorises. `p + ((c − p)·α + 128) >> 8` is
        // computed as `(p·(256 − α) + c·α + 128) >> 8` (equal: p·256 is a whole multiple of 256),
        // whose terms are never negative and stay below 2^16, so 16-bit lanes suffice. An alpha
        // of 0 leaves the byte as it was, as skipping the pixel would.
        let most = min(width, 2 * reach + 1) * 3
        let colour = (0..<most).map { i in UInt16(i % 3 == 0 ? color.0 : i % 3 == 1 ? color.1 : color.2) }
        var alphas = [UInt16](repeating: 0, count: most)
        let opacity = opacity
        colour.withUnsafeBufferPointer { colour in
            alphas.withUnsafeMutableBufferPointer { alphas in
                let colour = colour.baseAddress!
                let alphas = alphas.baseAddress!
                for y in top...bottom {
                    let dy = y - cy
                    let dy2 = dy * dy
                    let span = PatternShape.squareRootFloor(max(0, reach * reach - dy2))
                    let x0 = max(0, cx - span)
                    let x1 = min(width - 1, cx + span)
                    if x0 > x1 { continue }
                    let count = x1 - x0 + 1
                    for k in 0..<count {
                        let dx = x0 + k - cx
                        let alpha = UInt16(
                            truncatingIfNeeded: (coverage.alpha(squaredDistance: dx * dx + dy2) * opacity) >> 8)
                        alphas[3 * k] = alpha
                        alphas[3 * k + 1] = alpha
                        alphas[3 * k + 2] = alpha
                    }
                    let line = base + (y * width + x0) * 3
                    for i in 0..<(count * 3) {
                        let alpha = alphas[i]
                        let mixed = UInt16(line[i]) &* (256 &- alpha) &+ colour[i] &* alpha &+ 128
                        line[i] = UInt8(truncatingIfNeeded: mixed >> 8)
                    }
                }
            }
        }
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
