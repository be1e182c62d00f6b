/// The backdrop of the pattern: four summed fixed-point sine waves mapped through the palette —
/// a classic "plasma", made organic by warping the two diagonal waves along the other axis.
///
/// Each wave's angle splits into a column part plus a row part, so they are tabulated once per
/// column and once per row; a pixel costs two table look-ups and a palette copy. Coordinates are
/// centred fractions of the larger side, so a seed looks the same at every size and a
/// non-square image shows the centre of the square one.
struct PatternPlasma: Sendable {
    /// A straight wave: frequency in cycles per image (8.8 fixed point) along x and y, phase in
    /// 1/65536 period, plus a warp that bends it by a sine along the other axis.
    struct Wave: Sendable {
        var fx: Int
        var fy: Int
        var phase: Int
        var warpFrequency: Int = 0
        var warpPhase: Int = 0
        /// Peak phase shift of the warp, 1/65536 period.
        var warpAmount: Int = 0
    }

    var columnWave: Wave
    var rowWave: Wave
    /// Diagonal wave bent along y (its warp depends on the row).
    var bentByRows: Wave
    /// Diagonal wave bent along x (its warp depends on the column).
    var bentByColumns: Wave
    /// Palette steps per unit of summed amplitude, in 1/32.
    var gain: Int
    /// Palette rotation.
    var offset: Int

    init(layout: inout SplitMix64, style: inout SplitMix64) {
        func signed(_ range: ClosedRange<Int>) -> Int {
            layout.chance(1, in: 2) ? layout.int(in: range) : -layout.int(in: range)
        }
        columnWave = Wave(fx: signed(64...320), fy: 0, phase: style.int(in: 0...65535))
        rowWave = Wave(fx: 0, fy: signed(64...320), phase: style.int(in: 0...65535))
        bentByRows = Wave(
            fx: signed(96...448), fy: signed(32...448), phase: style.int(in: 0...65535),
            warpFrequency: layout.int(in: 128...640), warpPhase: style.int(in: 0...65535),
            warpAmount: layout.int(in: 6000...26000))
        bentByColumns = Wave(
            fx: signed(32...448), fy: signed(96...448), phase: style.int(in: 0...65535),
            warpFrequency: layout.int(in: 128...640), warpPhase: style.int(in: 0...65535),
            warpAmount: layout.int(in: 6000...26000))
        gain = style.int(in: 3...6)
        offset = style.int(in: 0...(PatternPalette.size - 1))
    }

    /// Fills `pixels` (RGB, `width * height * 3`) with the plasma.
    func fill(_ pixels: UnsafeMutableBufferPointer<UInt8>, width: Int, height: Int, palette: PatternPalette) {
        let side = max(width, height)
        let us = (0..<width).map { PatternPlasma.centred($0, count: width, side: side) }
        let vs = (0..<height).map { PatternPlasma.centred($0, count: height, side: side) }
        PatternSine.table.withUnsafeBufferPointer { sine in
            let plainColumns = us.map { u in angle(columnWave.fx, u, columnWave.phase) }
                .map { PatternSine.value(at: $0, in: sine) }
            let columnsA = us.map { u in angle(bentByRows.fx, u, 0) }
            let columnsB = us.map { u in
                angle(bentByColumns.fx, u, bentByColumns.phase) + warp(bentByColumns, u, sine)
            }
            palette.rgb.withUnsafeBufferPointer { colors in
                plainColumns.withUnsafeBufferPointer { plainColumns in
                    columnsA.withUnsafeBufferPointer { columnsA in
                        columnsB.withUnsafeBufferPointer { columnsB in
                            for y in 0..<height {
                                let v = vs[y]
                                let plainRow = PatternSine.value(at: angle(rowWave.fy, v, rowWave.phase), in: sine)
                                let rowA = angle(bentByRows.fy, v, bentByRows.phase) + warp(bentByRows, v, sine)
                                let rowB = angle(bentByColumns.fy, v, 0)
                                var out = y * width * 3
                                for x in 0..<width {
                                    let sum =
                                        plainColumns[x] &+ plainRow
                                        &+ PatternSine.value(at: columnsA[x] &+ rowA, in: sine)
                                        &+ PatternSine.value(at: columnsB[x] &+ rowB, in: sine)
                                    let index = 3 &* ((((sum &* gain) >> 5) &+ offset) & (PatternPalette.size - 1))
                                    pixels[out] = colors[index]
                                    pixels[out + 1] = colors[index + 1]
                                    pixels[out + 2] = colors[index + 2]
                                    out += 3
                                }
                            }
                        }
                    }
                }
            }
        }
    }

    /// Pixel centre `i` of `count` as a fraction of `side` from the middle, in 1/65536.
    static func centred(_ i: Int, count: Int, side: Int) -> Int {
        ((2 * i + 1 - count) << 15) / side
    }

    /// Angle (1/65536 period) of a wave of `frequency` (8.8 cycles per image) at coordinate `c`.
    @inline(__always)
    private func angle(_ frequency: Int, _ c: Int, _ phase: Int) -> Int {
        ((frequency * c) >> 8) + phase
    }

    /// The warp's phase shift at coordinate `c`.
    private func warp(_ wave: Wave, _ c: Int, _ sine: UnsafeBufferPointer<Int32>) -> Int {
        let s = PatternSine.value(at: angle(wave.warpFrequency, c, wave.warpPhase), in: sine)
        return (s * wave.warpAmount) >> 10
    }
}
