import ImageCodecs

/// Fills unknown pixels smoothly from the known ones around them, in O(pixels): the push–pull
/// (pyramid) scheme of Gortler et al., "The Lumigraph" (1996).
///
/// Push: halve the image level by level, each coarse pixel the weighted mean of its (up to) four
/// children, its weight their mean weight doubled (so a half-known block counts as known).
/// Pull: from the coarsest level down, each pixel becomes its own mean blended with the bilinear
/// upsampling of the level above by its weight. Holes thus take the colours of their rims, smoothly,
/// however large they are — no iteration, no per-pixel allocation, integers only (deterministic).
enum PushPullFill {
    /// Weight of a fully known pixel in the pyramid's fixed point.
    static let full: Int32 = 256

    /// One pyramid level: 8.8 fixed-point colour and a weight in 0...`full`, 4 values per pixel.
    private struct Level {
        let width: Int
        let height: Int
        /// R, G, B (each 0...255·256), weight, per pixel.
        var values: [Int32]
    }

    /// `image` with every pixel whose `known` byte is 0 replaced by the fill; the others keep
    /// their bytes exactly. With no known pixel at all, the fill is mid grey. With `helpers`, the
    /// lower half of the rows of each large pass is done on that pool (`BlockingWorkPool.inHalves`; the same bytes).
    /// - Parameter known: `width * height` bytes, 0 for a pixel to fill, anything else for one to keep.
    static func fill(_ image: PixelBuffer, known: [UInt8], helpers: BlockingWorkPool? = nil) -> PixelBuffer {
        precondition(known.count == image.width * image.height, "known plane size mismatch")
        let width = image.width
        let height = image.height
        guard width > 1 || height > 1 else {
            return known[0] != 0 ? image : PixelBuffer(width: 1, height: 1, fill: (128, 128, 128))
        }
        var levels = [firstCoarseLevel(image, known: known, helpers: helpers)]
        while levels[levels.count - 1].width > 1 || levels[levels.count - 1].height > 1 {
            levels.append(coarser(levels[levels.count - 1], helpers: helpers))
        }
        // The top is one pixel: with no weight anywhere, the whole image had nothing known.
        if levels[levels.count - 1].values[3] == 0 {
            levels[levels.count - 1].values = [128 << 8, 128 << 8, 128 << 8, full]
        }
        for index in stride(from: levels.count - 2, through: 0, by: -1) {
            pull(into: &levels[index], from: levels[index + 1], helpers: helpers)
        }
        var output = image
        fillUnknown(&output, known: known, from: levels[0], helpers: helpers)
        return output
    }

    /// Level 1 straight from the 8-bit image, so level 0 never needs its own wide copy.
    private static func firstCoarseLevel(_ image: PixelBuffer, known: [UInt8], helpers: BlockingWorkPool?) -> Level {
        let width = image.width
        let height = image.height
        let coarseWidth = (width + 1) / 2
        let coarseHeight = (height + 1) / 2
        // Blocks of four pixels: every coarse column but an odd width's last.
        let fullColumns = width / 2
        let values = [Int32](unsafeUninitializedCapacity: coarseWidth * coarseHeight * 4) { out, initialized in
            image.rgb.withUnsafeBufferPointer { rgb in
                known.withUnsafeBufferPointer { known in
                    BlockingWorkPool.inHalves(coarseHeight, on: helpers) { band in
                        // Locals, not captures: the loops then keep them in registers.
                        let (rgb, known, out) = (rgb.baseAddress!, known.baseAddress!, out.baseAddress!)
                        for cy in band {
                            let y0 = cy * 2
                            let y1 = min(y0 + 1, height - 1)
                            let rows = y1 == y0 ? 1 : 2
                            if rows == 2 {
                                let top = y0 * width
                                let bottom = y1 * width
                                let (knownTop, knownBottom) = (known + top, known + bottom)
                                let (rgbTop, rgbBottom) = (rgb + top * 3, rgb + bottom * 3)
                                let line = out + cy * coarseWidth * 4
                                for cx in 0..<fullColumns {
                                    let x0 = cx &* 2
                                    if knownTop[x0] != 0 && knownTop[x0 &+ 1] != 0 && knownBottom[x0] != 0
                                        && knownBottom[x0 &+ 1] != 0
                                    {
                                        // A whole known block, by far the most common: no weights,
                                        // no divisions (what `store` does for a count of 4).
                                        let (p, o) = (x0 &* 3, line + cx &* 4)
                                        for c in 0..<3 {
                                            let sum =
                                                Int32(rgbTop[p &+ c]) &+ Int32(rgbTop[p &+ 3 &+ c])
                                                &+ Int32(rgbBottom[p &+ c]) &+ Int32(rgbBottom[p &+ 3 &+ c])
                                            o[c] = (sum << 8 &+ 2) >> 2
                                        }
                                        o[3] = full
                                        continue
                                    }
                                    // 1 for a known pixel, 0 for one to fill: sums without branches.
                                    let k0 = Int32(known[top &+ x0] != 0 ? 1 : 0)
                                    let k1 = Int32(known[top &+ x0 &+ 1] != 0 ? 1 : 0)
                                    let k2 = Int32(known[bottom &+ x0] != 0 ? 1 : 0)
                                    let k3 = Int32(known[bottom &+ x0 &+ 1] != 0 ? 1 : 0)
                                    let p0 = (top &+ x0) &* 3
                                    let p2 = (bottom &+ x0) &* 3
                                    @inline(__always) func channel(_ c: Int) -> Int32 {
                                        k0 &* Int32(rgb[p0 &+ c]) &+ k1 &* Int32(rgb[p0 &+ 3 &+ c])
                                            &+ k2 &* Int32(rgb[p2 &+ c]) &+ k3 &* Int32(rgb[p2 &+ 3 &+ c])
                                    }
                                    let sums = (channel(0), channel(1), channel(2))
                                    store(
                                        sums, count: k0 &+ k1 &+ k2 &+ k3, of: 4,
                                        into: out + (cy * coarseWidth + cx) * 4)
                                }
                            }
                            for cx in (rows == 2 ? fullColumns : 0)..<coarseWidth {
                                let x0 = cx * 2
                                let x1 = min(x0 + 1, width - 1)
                                let columns = x1 == x0 ? 1 : 2
                                var r: Int32 = 0
                                var g: Int32 = 0
                                var b: Int32 = 0
                                var count: Int32 = 0
                                for y in y0...y1 {
                                    for x in x0...x1 where known[y * width + x] != 0 {
                                        let p = (y * width + x) * 3
                                        r &+= Int32(rgb[p])
                                        g &+= Int32(rgb[p + 1])
                                        b &+= Int32(rgb[p + 2])
                                        count &+= 1
                                    }
                                }
                                store(
                                    (r, g, b), count: count, of: Int32(rows * columns),
                                    into: out + (cy * coarseWidth + cx) * 4)
                            }
                        }
                    }
                }
            }
            initialized = coarseWidth * coarseHeight * 4
        }
        return Level(width: coarseWidth, height: coarseHeight, values: values)
    }

    /// One pixel of level 1: the mean colour of the `count` known pixels of its block of
    /// `children` (8.8 fixed point, rounded), and their share of the block doubled as its weight;
    /// all zero when none is known.
    @inline(__always)
    private static func store(
        _ sums: (Int32, Int32, Int32), count: Int32, of children: Int32, into out: UnsafeMutablePointer<Int32>
    ) {
        if count == children && children == 4 {
            // A whole known block, by far the most common: a shift, not three divisions.
            out[0] = (sums.0 << 8 &+ 2) >> 2
            out[1] = (sums.1 << 8 &+ 2) >> 2
            out[2] = (sums.2 << 8 &+ 2) >> 2
            out[3] = full
        } else if count > 0 {
            out[0] = (sums.0 << 8 + count / 2) / count
            out[1] = (sums.1 << 8 + count / 2) / count
            out[2] = (sums.2 << 8 + count / 2) / count
            out[3] = min(full, 2 * full * count / children)
        } else {
            out[0] = 0
            out[1] = 0
            out[2] = 0
            out[3] = 0
        }
    }

    /// The next level up: weighted means of 2×2 blocks (fewer at odd edges).
    private static func coarser(_ fine: Level, helpers: BlockingWorkPool?) -> Level {
        let width = (fine.width + 1) / 2
        let height = (fine.height + 1) / 2
        var values = [Int32](repeating: 0, count: width * height * 4)
        fine.values.withUnsafeBufferPointer { source in
            values.withUnsafeMutableBufferPointer { out in
                BlockingWorkPool.inHalves(height, on: helpers) { band in
                    let (source, out) = (source.baseAddress!, out.baseAddress!)
                    for cy in band {
                        let y0 = cy * 2
                        let y1 = min(y0 + 1, fine.height - 1)
                        for cx in 0..<width {
                            let x0 = cx * 2
                            let x1 = min(x0 + 1, fine.width - 1)
                            let o = (cy * width + cx) * 4
                            if y1 != y0 && x1 != x0 {
                                let p0 = (y0 * fine.width + x0) * 4
                                let p1 = (y1 * fine.width + x0) * 4
                                if source[p0 + 3] == full && source[p0 + 7] == full && source[p1 + 3] == full
                                    && source[p1 + 7] == full
                                {
                                    // Four fully known children, the common case: the weighted
                                    // mean below is (256·sum + 512) / 1024 = (sum + 2) / 4.
                                    for c in 0..<3 {
                                        let sum =
                                            source[p0 &+ c] &+ source[p0 &+ 4 &+ c] &+ source[p1 &+ c]
                                            &+ source[p1 &+ 4 &+ c]
                                        out[o &+ c] = (sum &+ 2) >> 2
                                    }
                                    out[o + 3] = full
                                    continue
                                }
                            }
                            // Sums of weight·colour reach 4 · 256 · 65280 < 2^31.
                            var r: Int32 = 0
                            var g: Int32 = 0
                            var b: Int32 = 0
                            var weight: Int32 = 0
                            var children: Int32 = 0
                            for y in y0...y1 {
                                for x in x0...x1 {
                                    let p = (y * fine.width + x) * 4
                                    let w = source[p + 3]
                                    r &+= source[p] &* w
                                    g &+= source[p + 1] &* w
                                    b &+= source[p + 2] &* w
                                    weight &+= w
                                    children &+= 1
                                }
                            }
                            if weight > 0 {
                                out[o] = (r + weight / 2) / weight
                                out[o + 1] = (g + weight / 2) / weight
                                out[o + 2] = (b + weight / 2) / weight
                                out[o + 3] = min(full, 2 * weight / children)
                            }
                        }
                    }
                }
            }
        }
        return Level(width: width, height: height, values: values)
    }

    /// For one fine-axis position, the two coarse neighbours and their weights out of 4: pixel
    /// centres aligned, so an even position leans 3:1 on its own coarse pixel and 1 on the one
    /// before, an odd position 3:1 on its own and 1 on the one after (clamped at the edges).
    private static func bilinearTaps(fine: Int, coarse: Int) -> (first: [Int], second: [Int]) {
        var first = [Int](repeating: 0, count: fine)
        var second = [Int](repeating: 0, count: fine)
        for i in 0..<fine {
            let own = min(i / 2, coarse - 1)
            first[i] = own
            second[i] = i % 2 == 0 ? max(own - 1, 0) : min(own + 1, coarse - 1)
        }
        return (first, second)
    }

    /// Blends each pixel of `fine` with the upsampled `coarse` by its own weight; afterwards
    /// every pixel of `fine` has a colour and full weight.
    private static func pull(into fine: inout Level, from coarse: Level, helpers: BlockingWorkPool?) {
        let columns = bilinearTaps(fine: fine.width, coarse: coarse.width)
        let rows = bilinearTaps(fine: fine.height, coarse: coarse.height)
        let width = fine.width
        let height = fine.height
        let coarseWidth = coarse.width
        coarse.values.withUnsafeBufferPointer { up in
            columns.first.withUnsafeBufferPointer { firsts in
                columns.second.withUnsafeBufferPointer { seconds in
                    fine.values.withUnsafeMutableBufferPointer { out in
                        BlockingWorkPool.inHalves(height, on: helpers) { band in
                            let (up, firsts, seconds, out) = (
                                up.baseAddress!, firsts.baseAddress!, seconds.baseAddress!, out.baseAddress!
                            )
                            let taps = VerticalTaps(coarseWidth: coarseWidth)
                            defer { taps.deallocate() }
                            for y in band {
                                let line = out + y * width * 4
                                var tapped = false
                                for x in 0..<width {
                                    let o = x &* 4
                                    let own = line[o &+ 3]
                                    if own >= full { continue }
                                    if !tapped {
                                        taps.blend(up, first: rows.first[y], second: rows.second[y])
                                        tapped = true
                                    }
                                    let a = firsts[x] &* 4
                                    let b = seconds[x] &* 4
                                    let keep = full &- own
                                    for c in 0..<3 {
                                        // At most 16 · 65280 < 2^31.
                                        let upsampled = (3 &* taps.values[a &+ c] &+ taps.values[b &+ c] &+ 8) >> 4
                                        // Non-negative: the shift is the division by `full`.
                                        line[o &+ c] = (line[o &+ c] &* own &+ upsampled &* keep &+ full / 2) >> 8
                                    }
                                    line[o &+ 3] = full
                                }
                            }
                        }
                    }
                }
            }
        }
    }

    /// Writes the upsampled level 1 into the unknown pixels of the full-size image.
    private static func fillUnknown(
        _ image: inout PixelBuffer, known: [UInt8], from level: Level, helpers: BlockingWorkPool?
    ) {
        let width = image.width
        let height = image.height
        let columns = bilinearTaps(fine: width, coarse: level.width)
        let rows = bilinearTaps(fine: height, coarse: level.height)
        let coarseWidth = level.width
        level.values.withUnsafeBufferPointer { up in
            columns.first.withUnsafeBufferPointer { firsts in
                columns.second.withUnsafeBufferPointer { seconds in
                    known.withUnsafeBufferPointer { known in
                        image.rgb.withUnsafeMutableBufferPointer { rgb in
                            BlockingWorkPool.inHalves(height, on: helpers) { band in
                                let (up, firsts, seconds, known, rgb) = (
                                    up.baseAddress!, firsts.baseAddress!, seconds.baseAddress!, known.baseAddress!,
                                    rgb.baseAddress!
                                )
                                let taps = VerticalTaps(coarseWidth: coarseWidth)
                                defer { taps.deallocate() }
                                for y in band {
                                    let knownRow = known + y * width
                                    let line = rgb + y * width * 3
                                    var tapped = false
                                    for x in 0..<width where knownRow[x] == 0 {
                                        if !tapped {
                                            taps.blend(up, first: rows.first[y], second: rows.second[y])
                                            tapped = true
                                        }
                                        let a = firsts[x] &* 4
                                        let b = seconds[x] &* 4
                                        let o = x &* 3
                                        for c in 0..<3 {
                                            let sum = 3 &* taps.values[a &+ c] &+ taps.values[b &+ c]
                                            // 8.8 fixed point over 16: round once, at the end.
                                            line[o &+ c] = UInt8(truncatingIfNeeded: min(255, (sum &+ 2048) >> 12))
                                        }
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
    }

    /// The vertical half of the 9-3-3-1 upsampling taps for one fine row: 3 · (its own coarse
    /// row) + 1 · (the neighbouring one), per value. The horizontal half then weighs two of these
    /// 3:1 — 3·(3a + b) + (3c + d) = 9a + 3b + 3c + d, the same sum as the four taps at once.
    private struct VerticalTaps {
        let coarseWidth: Int
        let values: UnsafeMutablePointer<Int32>

        init(coarseWidth: Int) {
            self.coarseWidth = coarseWidth
            values = .allocate(capacity: coarseWidth * 4)
        }

        func blend(_ level: UnsafePointer<Int32>, first: Int, second: Int) {
            let own = level + first * coarseWidth * 4
            let other = level + second * coarseWidth * 4
            // At most 4 · 65280.
            for i in 0..<(coarseWidth * 4) { values[i] = 3 &* own[i] &+ other[i] }
        }

        func deallocate() { values.deallocate() }
    }
}
