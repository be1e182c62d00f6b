import ImageCodecs

/// Resizes RGB rasters to any size (aspect ratio not kept: the input is stretched, as Novita
/// does) in separable fixed-point passes: area averaging when an axis shrinks — every source
/// pixel counts, so no aliasing — and bilinear interpolation when it grows.
///
/// Weights are 14-bit integers that sum exactly to 1 << 14 per output pixel, so a flat colour
/// stays exactly that colour and an unchanged axis copies its pixels exactly. The horizontal
/// result keeps 8 extra bits, so only the final value is rounded. All sums fit in Int32
/// (255·256·2^14 < 2^31), which lets the hot loops use wrapping arithmetic and vectorise.
enum ImageResampler {
    static let weightBits = 14
    static let weightOne = 1 << weightBits

    /// Which source pixels, with which weights, make one output pixel of one axis.
    struct Taps: Sendable {
        /// For output `i`: taps `starts[i] ..< starts[i] + counts[i]`, weights from `offsets[i]`.
        var starts: [Int] = []
        var counts: [Int] = []
        var offsets: [Int] = []
        var weights: [Int32] = []
    }

    /// `input` stretched to `width × height`. With `helpers`, the lower half of the output rows
    /// is computed on that pool while the caller computes the upper half: every output row is a
    /// function of its own taps, so the bytes are the same either way. Never pass the pool the
    /// caller runs on (its threads could all end up waiting for their own halves).
    static func resize(
        _ input: PixelBuffer, width: Int, height: Int, helpers: BlockingWorkPool? = nil
    ) -> PixelBuffer {
        if input.width == width && input.height == height { return input }
        let horizontal = taps(from: input.width, to: width)
        let vertical = taps(from: input.height, to: height)
        let rgb = [UInt8](unsafeUninitializedCapacity: width * height * 3) { buffer, count in
            let out = RowBands(pixels: buffer, width: width, height: height)
            // Below ~128 rows the hand-off costs more than the half it saves.
            if let helpers, height >= 128 {
                let split = height / 2
                let lower = Pending(on: helpers) {
                    resample(
                        input, horizontal: horizontal, vertical: vertical, into: out, rows: split..<height)
                }
                resample(input, horizontal: horizontal, vertical: vertical, into: out, rows: 0..<split)
                lower.take()
            } else {
                resample(input, horizontal: horizontal, vertical: vertical, into: out, rows: 0..<height)
            }
            count = width * height * 3
        }
        return PixelBuffer(width: width, height: height, rgb: rgb)
    }

    /// Taps for one axis: area averaging when shrinking, bilinear when growing or equal.
    static func taps(from source: Int, to target: Int) -> Taps {
        var taps = Taps()
        taps.starts.reserveCapacity(target)
        for i in 0..<target {
            let (start, raw) =
                target < source
                ? areaWeights(i, from: source, to: target)
                : linearWeights(i, from: source, to: target)
            taps.starts.append(start)
            taps.counts.append(raw.count)
            taps.offsets.append(taps.weights.count)
            taps.weights.append(contentsOf: normalised(raw))
        }
        return taps
    }

    /// Output pixel `i` covers source span [i·source, (i+1)·source) in units of 1/target pixel;
    /// each source pixel weighs its overlap with that span.
    private static func areaWeights(_ i: Int, from source: Int, to target: Int) -> (Int, [Int]) {
        let low = i * source
        let high = low + source
        let first = low / target
        let last = (high - 1) / target
        let weights = (first...last).map { j in min(high, (j + 1) * target) - max(low, j * target) }
        return (first, weights)
    }

    /// Pixel centres aligned: output i samples source position (i + ½)·source/target − ½,
    /// clamped at the edges, as 1 << 14 fractions of the two neighbours.
    private static func linearWeights(_ i: Int, from source: Int, to target: Int) -> (Int, [Int]) {
        let position = max(0, (2 * i + 1) * source - target)  // in units of 1/(2·target)
        let left = position / (2 * target)
        let fraction = (position % (2 * target)) * weightOne / (2 * target)
        if fraction == 0 || left + 1 >= source { return (min(left, source - 1), [1]) }
        return (left, [weightOne - fraction, fraction])
    }

    /// Scales raw weights to sum exactly to `weightOne`; the rounding remainder goes to the
    /// largest weight (the first of equals), so the result is exact and deterministic.
    private static func normalised(_ raw: [Int]) -> [Int32] {
        let total = raw.reduce(0, +)
        var scaled = raw.map { ($0 * weightOne + total / 2) / total }
        let remainder = weightOne - scaled.reduce(0, +)
        if remainder != 0, let largest = scaled.indices.max(by: { scaled[$0] < scaled[$1] }) {
            scaled[largest] += remainder
        }
        return scaled.map { Int32($0) }
    }

    /// Runs both passes row by row: each output row combines a few horizontally resized source
    /// rows, kept in a small ring (taps only move forward), so the intermediate image is never
    /// materialised — a 16-megapixel input stays in cache-sized pieces.
    private static func resample(
        _ input: PixelBuffer, horizontal: Taps, vertical: Taps, into out: RowBands, rows: Range<Int>
    ) {
        let rowLength = out.width * 3
        let ringRows = (vertical.counts.max() ?? 1) + 1
        var ring = [UInt16](repeating: 0, count: ringRows * rowLength)
        var ringSource = [Int](repeating: -1, count: ringRows)
        var accumulator = [Int32](repeating: 0, count: rowLength)
        let dst = out.pixels
        let shift = Int32(weightBits + 8)
        let half = Int32(1) << (shift - 1)
        input.rgb.withUnsafeBufferPointer { source in
            ring.withUnsafeMutableBufferPointer { ring in
                accumulator.withUnsafeMutableBufferPointer { acc in
                    for y in rows {
                        for i in 0..<rowLength { acc[i] = half }
                        let first = vertical.offsets[y]
                        for k in 0..<vertical.counts[y] {
                            let row = vertical.starts[y] + k
                            let slot = row % ringRows
                            let line = UnsafeMutableBufferPointer(
                                rebasing: ring[(slot * rowLength)..<((slot + 1) * rowLength)])
                            if ringSource[slot] != row {
                                resizeRow(source, row: row, rowWidth: input.width, taps: horizontal, into: line)
                                ringSource[slot] = row
                            }
                            let w = vertical.weights[first + k]
                            for i in 0..<rowLength { acc[i] &+= Int32(line[i]) &* w }
                        }
                        let o = y * rowLength
                        for i in 0..<rowLength { dst[o + i] = UInt8(truncatingIfNeeded: acc[i] >> shift) }
                    }
                }
            }
        }
    }

    /// One source row resized horizontally, with 8 fractional bits kept (0...255·256).
    private static func resizeRow(
        _ source: UnsafeBufferPointer<UInt8>, row: Int, rowWidth: Int, taps: Taps,
        into line: UnsafeMutableBufferPointer<UInt16>
    ) {
        let rowStart = row * rowWidth * 3
        let half = Int32(1) << (weightBits - 9)
        let shift = Int32(weightBits - 8)
        taps.weights.withUnsafeBufferPointer { weights in
            taps.starts.withUnsafeBufferPointer { starts in
                taps.counts.withUnsafeBufferPointer { counts in
                    taps.offsets.withUnsafeBufferPointer { offsets in
                        var o = 0
                        for x in 0..<starts.count {
                            var r = half
                            var g = half
                            var b = half
                            var s = rowStart + starts[x] * 3
                            let w0 = offsets[x]
                            for k in 0..<counts[x] {
                                let w = weights[w0 + k]
                                r &+= Int32(source[s]) &* w
                                g &+= Int32(source[s + 1]) &* w
                                b &+= Int32(source[s + 2]) &* w
                                s += 3
                            }
                            line[o] = UInt16(truncatingIfNeeded: r >> shift)
                            line[o + 1] = UInt16(truncatingIfNeeded: g >> shift)
                            line[o + 2] = UInt16(truncatingIfNeeded: b >> shift)
                            o += 3
                        }
                    }
                }
            }
        }
    }
}
