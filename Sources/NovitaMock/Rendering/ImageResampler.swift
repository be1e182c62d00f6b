import ImageCodecs

/// Resizes RGB rasters to any size (aspect ratio not kept: the input is stretched, as Novita
/// does) in separable fixed-point passes: area averaging when an axis shrinks — every source
/// pixel counts, so no aliasing — and bilinear interpolation when it grows.
///
/// Area weights are 14-bit integers that sum exactly to 1 << 14 per output pixel; bilinear
/// shares are 1/256 (finer than a byte can show), so the mixes stay in 16-bit lanes, twice as
/// many per instruction as 32-bit ones. Either way a flat colour stays exactly that colour and
/// an unchanged axis copies its pixels exactly. Sums of area weights fit in Int32
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
        /// Every output pixel has exactly two taps (weights `2i`, `2i + 1`): halving, and any
        /// shrink by a factor up to 2 whose spans never straddle three pixels.
        var allPairs = false
    }

    /// `input` stretched to `width × height`. With `helpers`, the lower half of the output rows
    /// is computed on that pool while the caller computes the upper half: every output row is a
    /// function of its own taps, so the bytes are the same either way. Never pass the pool the
    /// caller runs on (its threads could all end up waiting for their own halves).
    static func resize(
        _ input: PixelBuffer, width: Int, height: Int, helpers: BlockingWorkPool? = nil
    ) -> PixelBuffer {
        if input.width == width && input.height == height { return input }
        let plan = Plan(input, width: width, height: height)
        let rgb = [UInt8](unsafeUninitializedCapacity: width * height * 3) { buffer, count in
            let out = RowBands(pixels: buffer, width: width, height: height)
            BlockingWorkPool.inHalves(height, on: helpers) { rows in
                let stream = RowStream(plan)
                for y in rows { stream.row(y, into: out.row(y)) }
            }
            count = width * height * 3
        }
        return PixelBuffer(width: width, height: height, rgb: rgb)
    }

    /// Taps for one axis: area averaging when shrinking, bilinear when growing or equal.
    static func taps(from source: Int, to target: Int) -> Taps {
        var taps = Taps()
        taps.starts.reserveCapacity(target)
        taps.counts.reserveCapacity(target)
        taps.offsets.reserveCapacity(target)
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
        taps.allPairs = taps.counts.allSatisfy { $0 == 2 }
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

    /// As `linearSample`, as taps.
    private static func linearWeights(_ i: Int, from source: Int, to target: Int) -> (Int, [Int]) {
        let (left, fraction) = linearSample(i, from: source, to: target, one: weightOne)
        return fraction == 0 ? (left, [1]) : (left, [weightOne - fraction, fraction])
    }

    /// Pixel centres aligned: output i samples source position (i + ½)·source/target − ½,
    /// clamped at the edges: the source pixel left of it and how far towards the next one, in
    /// 1/`one` (0 at the edges, where there is no next one).
    static func linearSample(_ i: Int, from source: Int, to target: Int, one: Int) -> (left: Int, fraction: Int) {
        let position = max(0, (2 * i + 1) * source - target)  // in units of 1/(2·target)
        let left = position / (2 * target)
        if left + 1 >= source { return (min(left, source - 1), 0) }
        return (left, (position % (2 * target)) * one / (2 * target))
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
}

extension ImageResampler {
    /// How one axis is resampled: area taps when it shrinks, bilinear shares when it grows or
    /// stays.
    enum Axis: Sendable {
        case area(Taps)
        /// Per output pixel, the first of its two source pixels and the second's share in 1/256
        /// (0 where the sample falls on a pixel or past the edge: then the second is never read).
        case linear(starts: [Int], shares: [UInt16])

        init(from source: Int, to target: Int) {
            if target < source {
                self = .area(ImageResampler.taps(from: source, to: target))
            } else {
                let samples = (0..<target).map { ImageResampler.linearSample($0, from: source, to: target, one: 256) }
                self = .linear(starts: samples.map(\.left), shares: samples.map { UInt16($0.fraction) })
            }
        }
    }

    /// One resize worked out once — the input and both axes — and shared by the threads that
    /// compute its rows (each with its own `RowStream`).
    struct Plan: Sendable {
        let input: PixelBuffer
        let width: Int
        let height: Int
        let horizontal: Axis
        let vertical: Axis

        init(_ input: PixelBuffer, width: Int, height: Int) {
            self.input = input
            self.width = width
            self.height = height
            horizontal = Axis(from: input.width, to: width)
            vertical = Axis(from: input.height, to: height)
        }
    }

    /// The output rows of a `Plan`, computed one at a time in increasing order: each combines a
    /// few horizontally resized source rows, kept in a small ring (taps only move forward), so
    /// the intermediate image is never materialised — a 16-megapixel input stays in cache-sized
    /// pieces, and each source row is resized horizontally once. One per thread.
    ///
    /// A shrinking height sums its taps in 32 bits over horizontal results that keep 8 bits below
    /// the byte, so only the final value is rounded; a growing one mixes two rows of bytes.
    final class RowStream {
        private let plan: Plan
        private let rowLength: Int
        private let ringRows: Int
        /// `ringRows` horizontally resized source rows, and which source row each slot holds.
        private let ring: UnsafeMutablePointer<UInt16>
        private var ringSource: [Int]
        private let accumulator: UnsafeMutablePointer<Int32>
        /// The horizontal results' bits below the byte: 8 for an area height, else 0.
        private let fractionBits: Int

        init(_ plan: Plan) {
            self.plan = plan
            rowLength = plan.width * 3
            switch plan.vertical {
            case .area(let taps):
                ringRows = (taps.counts.max() ?? 1) + 1
                fractionBits = 8
            case .linear:
                ringRows = 2
                fractionBits = 0
            }
            ring = .allocate(capacity: ringRows * rowLength)
            ringSource = [Int](repeating: -1, count: ringRows)
            accumulator = .allocate(capacity: rowLength)
        }

        deinit {
            ring.deallocate()
            accumulator.deallocate()
        }

        /// Writes output row `y` (`width * 3` bytes) to `line`. Rows must come in increasing order.
        func row(_ y: Int, into line: UnsafeMutablePointer<UInt8>) {
            let rowLength = rowLength
            if plan.input.width == plan.width && plan.input.height == plan.height {
                plan.input.rgb.withUnsafeBufferPointer { source in
                    line.update(from: source.baseAddress! + y * rowLength, count: rowLength)
                }
                return
            }
            switch plan.vertical {
            case .linear(let starts, let shares):
                let share = shares[y]
                let keep = 256 - share
                let first = sourceRow(starts[y])
                let second = share == 0 ? first : sourceRow(starts[y] + 1)
                // ≤ 255 · 256 + 128 < 2^16.
                for i in 0..<rowLength {
                    line[i] = UInt8(truncatingIfNeeded: (first[i] &* keep &+ second[i] &* share &+ 128) >> 8)
                }
            case .area(let taps):
                let shift = Int32(weightBits + 8)
                let acc = accumulator
                for i in 0..<rowLength { acc[i] = 1 << (shift - 1) }
                for k in 0..<taps.counts[y] {
                    // The taps of one row are consecutive source rows, fewer than the ring holds.
                    let resized = sourceRow(taps.starts[y] + k)
                    let w = taps.weights[taps.offsets[y] + k]
                    for i in 0..<rowLength { acc[i] &+= Int32(resized[i]) &* w }
                }
                for i in 0..<rowLength { line[i] = UInt8(truncatingIfNeeded: acc[i] >> shift) }
            }
        }

        /// Source row `row` resized horizontally, from the ring (resized now if not there). Valid
        /// until another row takes its slot.
        private func sourceRow(_ row: Int) -> UnsafeMutablePointer<UInt16> {
            let slot = row % ringRows
            let resized = ring + slot * rowLength
            if ringSource[slot] != row {
                ringSource[slot] = row
                let (plan, fractionBits) = (plan, fractionBits)
                plan.input.rgb.withUnsafeBufferPointer { rgb in
                    let source = rgb.baseAddress! + row * plan.input.width * 3
                    switch plan.horizontal {
                    case .area(let taps):
                        ImageResampler.areaRow(source, taps: taps, fractionBits: fractionBits, into: resized)
                    case .linear(let starts, let shares):
                        ImageResampler.linearRow(
                            source, starts: starts, shares: shares, fractionBits: fractionBits, into: resized)
                    }
                }
            }
            return resized
        }
    }

    /// One source row shrunk by area taps, keeping `fractionBits` (0 or 8) below the byte.
    fileprivate static func areaRow(
        _ source: UnsafePointer<UInt8>, taps: Taps, fractionBits: Int, into line: UnsafeMutablePointer<UInt16>
    ) {
        let shift = Int32(weightBits - fractionBits)
        let half = Int32(1) << (shift - 1)
        taps.weights.withUnsafeBufferPointer { weights in
            taps.starts.withUnsafeBufferPointer { starts in
                // Halving (the subject search's shrink of a 1024² picture, among others): two taps
                // per pixel everywhere, their weights side by side — no inner loop to run.
                if taps.allPairs {
                    for x in 0..<starts.count {
                        let p = source + starts[x] &* 3
                        let w0 = weights[2 &* x]
                        let w1 = weights[2 &* x &+ 1]
                        let o = line + x &* 3
                        o[0] = UInt16(truncatingIfNeeded: (half &+ Int32(p[0]) &* w0 &+ Int32(p[3]) &* w1) >> shift)
                        o[1] = UInt16(truncatingIfNeeded: (half &+ Int32(p[1]) &* w0 &+ Int32(p[4]) &* w1) >> shift)
                        o[2] = UInt16(truncatingIfNeeded: (half &+ Int32(p[2]) &* w0 &+ Int32(p[5]) &* w1) >> shift)
                    }
                    return
                }
                taps.counts.withUnsafeBufferPointer { counts in
                    taps.offsets.withUnsafeBufferPointer { offsets in
                        var o = 0
                        for x in 0..<starts.count {
                            var r = half
                            var g = half
                            var b = half
                            var s = starts[x] * 3
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

    /// One source row stretched bilinearly: `p·(256 − s) + q·s` (≤ 255·256, 16 bits) is the value
    /// with 8 bits below the byte, rounded to the byte when `fractionBits` is 0.
    fileprivate static func linearRow(
        _ source: UnsafePointer<UInt8>, starts: [Int], shares: [UInt16], fractionBits: Int,
        into line: UnsafeMutablePointer<UInt16>
    ) {
        starts.withUnsafeBufferPointer { starts in
            shares.withUnsafeBufferPointer { shares in
                // One loop per precision, so neither rounds or shifts by a variable.
                @inline(__always) func stretch(_ finish: (UInt16) -> UInt16) {
                    for x in 0..<starts.count {
                        let share = shares[x]
                        let keep = 256 &- share
                        let p = source + starts[x] &* 3
                        let q = share == 0 ? p : p + 3  // no next pixel past the edge
                        let o = line + x &* 3
                        o[0] = finish(UInt16(p[0]) &* keep &+ UInt16(q[0]) &* share)
                        o[1] = finish(UInt16(p[1]) &* keep &+ UInt16(q[1]) &* share)
                        o[2] = finish(UInt16(p[2]) &* keep &+ UInt16(q[2]) &* share)
                    }
                }
                if fractionBits == 8 {
                    stretch { $0 }
                } else {
                    stretch { ($0 &+ 128) >> 8 }
                }
            }
        }
    }
}
