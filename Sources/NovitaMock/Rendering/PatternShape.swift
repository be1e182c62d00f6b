/// One seeded round shape layered over the plasma: a soft disc, a ring or a glow. Positions and
/// sizes are fractions of the image (16-bit fixed point) so the same seed composes the same
/// picture at every resolution; coverage is computed from squared distances.
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

    /// The shape in pixels on a `width × height` image, ready to be drawn row by row.
    func placed(width: Int, height: Int) -> PlacedShape {
        PlacedShape(self, width: width, height: height)
    }

    /// ⌊√n⌋ for n ≥ 0 (0 for negative n): the floating-point root corrected to the exact integer
    /// answer, so the result never depends on how the platform rounds.
    static func squareRootFloor(_ n: Int) -> Int {
        if n < 2 { return max(0, n) }
        var x = Int(Double(n).squareRoot())
        // Down while x² > n, up while (x + 1)² ≤ n, compared by division: no overflow near Int.max.
        while x > n / x { x -= 1 }
        while x + 1 <= n / (x + 1) { x += 1 }
        return x
    }
}

/// A `PatternShape` in pixels of one image size: centre, coverage and colour, drawn one row at a
/// time (`draw(row:into:width:)`), so a caller can add it to a row while that row is in cache.
struct PlacedShape: Sendable {
    let kind: PatternShape.Kind
    let cx: Int
    let cy: Int
    let coverage: PatternShapeCoverage
    let opacity: Int
    let color: (UInt16, UInt16, UInt16)
    /// Where the disc covers fully (coverage 256): `r² − d² ≥ solid`.
    private let solid: Int
    /// `colour · opacity + 128` per byte of the longest run of fully covered pixels, R G B
    /// repeated: the solid middle of a disc is blended with one weight, over bytes.
    private let tint: [UInt16]

    init(_ shape: PatternShape, width: Int, height: Int) {
        kind = shape.kind
        cx = (shape.centerX * width) >> 16
        cy = (shape.centerY * height) >> 16
        let r = max(1, (shape.radius * min(width, height)) >> 16)
        coverage = PatternShapeCoverage(kind: shape.kind, radius: r)
        opacity = shape.opacity
        color = (UInt16(shape.color.0), UInt16(shape.color.1), UInt16(shape.color.2))
        solid = coverage.solidDepth
        let run = shape.kind == .disc ? min(width, 2 * r + 1) : 0
        let channels = [color.0, color.1, color.2].map { $0 &* UInt16(shape.opacity) &+ 128 }
        tint = (0..<(run * 3)).map { channels[$0 % 3] }
    }

    /// Blends the shape into row `y` of an image `width` pixels wide (`line`: that row's bytes).
    /// Only the pixels the shape touches are visited: a disc's feathered rim pixel by pixel and
    /// its solid middle with one weight, a ring's two arcs, a glow's whole chord.
    func draw(row y: Int, into line: UnsafeMutablePointer<UInt8>, width: Int) {
        let dy = y - cy
        let dy2 = dy * dy
        let r2 = coverage.r2
        switch kind {
        case .disc:
            // Covered where d² < r²; fully where r² − d² ≥ solid.
            guard dy2 < r2 else { return }
            let outer = PatternShape.squareRootFloor(r2 - 1 - dy2)
            let depth = r2 - solid - dy2
            guard depth >= 0 else { return blendRim(line, from: cx - outer, to: cx + outer, dy2: dy2, width: width) }
            let inner = PatternShape.squareRootFloor(depth)
            blendRim(line, from: cx - outer, to: cx - inner - 1, dy2: dy2, width: width)
            fillSolid(line, from: cx - inner, to: cx + inner, width: width)
            blendRim(line, from: cx + inner + 1, to: cx + outer, dy2: dy2, width: width)
        case .ring:
            // Covered where |d² − r²| < ringHalf: two arcs around the hole.
            let reach2 = r2 + coverage.ringHalf - 1
            guard dy2 <= reach2 else { return }
            let outer = PatternShape.squareRootFloor(reach2 - dy2)
            let hole = r2 - coverage.ringHalf - dy2
            guard hole >= 0 else { return blendRim(line, from: cx - outer, to: cx + outer, dy2: dy2, width: width) }
            let inner = PatternShape.squareRootFloor(hole)
            blendRim(line, from: cx - outer, to: cx - inner - 1, dy2: dy2, width: width)
            blendRim(line, from: cx + inner + 1, to: cx + outer, dy2: dy2, width: width)
        case .glow:
            guard dy2 < r2 else { return }
            let outer = PatternShape.squareRootFloor(r2 - 1 - dy2)
            blendRim(line, from: cx - outer, to: cx + outer, dy2: dy2, width: width)
        }
    }

    /// Pixels `first...last` (clipped), each with its own coverage: `p + ((c − p)·α + 128) >> 8`
    /// computed as `(p·(256 − α) + c·α + 128) >> 8` (equal: p·256 is a whole multiple of 256).
    private func blendRim(_ line: UnsafeMutablePointer<UInt8>, from first: Int, to last: Int, dy2: Int, width: Int) {
        let x0 = max(0, first)
        let x1 = min(width - 1, last)
        guard x0 <= x1 else { return }
        let (red, green, blue) = color
        for x in x0...x1 {
            let dx = x - cx
            let alpha = UInt16(truncatingIfNeeded: (coverage.alpha(squaredDistance: dx * dx + dy2) * opacity) >> 8)
            let keep = 256 &- alpha
            let p = line + 3 * x
            p[0] = UInt8(truncatingIfNeeded: (UInt16(p[0]) &* keep &+ red &* alpha &+ 128) >> 8)
            p[1] = UInt8(truncatingIfNeeded: (UInt16(p[1]) &* keep &+ green &* alpha &+ 128) >> 8)
            p[2] = UInt8(truncatingIfNeeded: (UInt16(p[2]) &* keep &+ blue &* alpha &+ 128) >> 8)
        }
    }

    /// Pixels `first...last` (clipped) fully covered: one weight, `opacity`, over the bytes, so
    /// the loop has no stride of three and vectorises in 16-bit lanes (p·(256 − α) + c·α + 128
    /// ≤ 255·256 + 128).
    private func fillSolid(_ line: UnsafeMutablePointer<UInt8>, from first: Int, to last: Int, width: Int) {
        let x0 = max(0, first)
        let x1 = min(width - 1, last)
        guard x0 <= x1 else { return }
        let keep = UInt16(256 - opacity)
        let bytes = line + 3 * x0
        tint.withUnsafeBufferPointer { tint in
            let tint = tint.baseAddress!
            for i in 0..<((x1 - x0 + 1) * 3) {
                bytes[i] = UInt8(truncatingIfNeeded: (UInt16(bytes[i]) &* keep &+ tint[i]) >> 8)
            }
        }
    }
}

/// The per-pixel coverage function of a shape, with its divisions hoisted into reciprocals.
struct PatternShapeCoverage: Sendable {
    let kind: PatternShape.Kind
    let r2: Int
    /// How far from the centre the shape can cover anything, in pixels.
    let reach: Int
    /// Ring: half the line thickness times 2r (distance to the circle ≈ |d² − r²| / 2r).
    let ringHalf: Int
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

    /// The least depth inside the edge (`r² − d²` for discs and glows, `ringHalf − |d² − r²|`
    /// for rings) with full coverage: `(depth · reciprocal) >> 16 ≥ 256`.
    var solidDepth: Int {
        ((256 << 16) + reciprocal - 1) / reciprocal
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
