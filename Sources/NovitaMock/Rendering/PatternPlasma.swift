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

    /// Fills rows `rows` of `pixels` (RGB, `width * height * 3`) with the plasma.
    func fill(
        _ pixels: UnsafeMutableBufferPointer<UInt8>, width: Int, height: Int, rows: Range<Int>,
        palette: PatternPalette
    ) {
        let side = max(width, height)
        let us = (0..<width).map { PatternPlasma.centred($0, count: width, side: side) }

        PatternSine.table.withUnsafeBufferPointer { sine in
            let plainColumns = us.map { u in angle(columnWave.fx, u, columnWave.phase) }
                .map { PatternSine.value(at: $0, in: sine) }
            let columnsA = us.map { u in angle(bentByRows.fx, u, 0) }
            let columnsB = us.map { u in
                angle(bentByColumns.fx, u, bentByColumns.phase) + warp(bentByColumns, u, sine)
            }
            // Each colour as one little-endian word, R G B 0: a pixel is one unaligned 4-byte
            // store whose spare byte the next pixel overwrites (the last of a row is written
            // byte by byte, so nothing spills into a row another thread draws).
            let words = (0..<PatternPalette.size).map { i in
                (UInt32(palette.rgb[3 * i]) | UInt32(palette.rgb[3 * i + 1]) << 8 | UInt32(palette.rgb[3 * i + 2]) << 16)
                    .littleEndian
            }
            words.withUnsafeBufferPointer { words in
                plainColumns.withUnsafeBufferPointer { plainColumns in
                    columnsA.withUnsafeBufferPointer { columnsA in
                        columnsB.withUnsafeBufferPointer { columnsB in
                            for y in rows {
                                let v = PatternPlasma.centred(y, count: height, side: side)
                                let plainRow = PatternSine.value(at: angle(rowWave.fy, v, rowWave.phase), in: sine)
                                let rowA = angle(bentByRows.fy, v, bentByRows.phase) + warp(bentByRows, v, sine)
                                let rowB = angle(bentByColumns.fy, v, 0)
                                let line = UnsafeMutableRawPointer(pixels.baseAddress! + y * width * 3)
                                @inline(__always) func colour(_ x: Int) -> UInt32 {
                                    let sum =
                                        plainColumns[x] &+ plainRow
                                        &+ PatternSine.value(at: columnsA[x] &+ rowA, in: sine)
                                        &+ PatternSine.value(at: columnsB[x] &+ rowB, in: sine)
                                    return words[(((sum &* gain) >> 5) &+ offset) & (PatternPalette.size - 1)]
                                }
                                for x in 0..<(width - 1) {
                                    line.storeBytes(of: colour(x), toByteOffset: 3 &* x, as: UInt32.self)
                                }
                                let last = UInt32(littleEndian: colour(width - 1))
                                line.storeBytes(
                                    of: UInt8(truncatingIfNeeded: last), toByteOffset: 3 * width - 3, as: UInt8.self)
                                line.storeBytes(
                                    of: UInt8(truncatingIfNeeded: last >> 8), toByteOffset: 3 * width - 2,
                                    as: UInt8.self)
                                line.storeBytes(
                                    of: UInt8(truncatingIfNeeded: last >> 16), toByteOffset: 3 * width - 1,
                                    as: UInt8.self)
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
