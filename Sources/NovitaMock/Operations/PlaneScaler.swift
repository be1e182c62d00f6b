/// Resizes one 8-bit plane (a mask) bilinearly, pixel centres aligned, in 8-bit fixed point:
/// the cheap, smooth upsampling a mask found at low resolution needs.
enum PlaneScaler {
    /// The plane at `toWidth × toHeight`. Separable: each source row is interpolated across once
    /// (weights in 1/256), then each output row blends two such rows (1/65536 in all, rounded
    /// once) — the same values as blending the four neighbours per pixel. With `helpers`, the
    /// lower half of the rows is done on that pool (`BlockingWorkPool.inHalves`).
    static func bilinear(
        _ plane: [UInt8], width: Int, height: Int, toWidth: Int, toHeight: Int, helpers: BlockingWorkPool? = nil
    ) -> [UInt8] {
        precondition(plane.count == width * height, "plane size mismatch")
        let columns = taps(from: width, to: toWidth)
        let rows = taps(from: height, to: toHeight)
        // The right-hand neighbour of each column, clamped: no `min` in the inner loop.
        let seconds = columns.first.map { min($0 + 1, width - 1) }
        return [UInt8](unsafeUninitializedCapacity: toWidth * toHeight) { output, initialized in
            plane.withUnsafeBufferPointer { source in
                columns.first.withUnsafeBufferPointer { first in
                    seconds.withUnsafeBufferPointer { second in
                        columns.weight.withUnsafeBufferPointer { weight in
                            BlockingWorkPool.inHalves(toHeight, on: helpers) { band in
                                // Locals, not captures: the loops then keep them in registers.
                                let (source, first, second, weight, output) = (
                                    source.baseAddress!, first.baseAddress!, second.baseAddress!,
                                    weight.baseAddress!, output.baseAddress!
                                )
                                // The two source rows the current output row blends, interpolated
                                // across; kept while consecutive output rows share them.
                                var upper = UnsafeMutablePointer<Int32>.allocate(capacity: toWidth)
                                var lower = UnsafeMutablePointer<Int32>.allocate(capacity: toWidth)
                                defer {
                                    upper.deallocate()
                                    lower.deallocate()
                                }
                                var upperRow = -1
                                var lowerRow = -1
                                func across(_ row: Int, into line: UnsafeMutablePointer<Int32>) {
                                    let base = source + row * width
                                    for x in 0..<toWidth {
                                        let wx = Int32(truncatingIfNeeded: weight[x])
                                        line[x] = Int32(base[first[x]]) &* (256 &- wx) &+ Int32(base[second[x]]) &* wx
                                    }
                                }
                                for y in band {
                                    let top = rows.first[y]
                                    let bottom = min(top + 1, height - 1)
                                    if top != upperRow {
                                        if top == lowerRow {
                                            swap(&upper, &lower)
                                            swap(&upperRow, &lowerRow)
                                        } else {
                                            across(top, into: upper)
                                            upperRow = top
                                        }
                                    }
                                    if bottom != lowerRow {
                                        across(bottom, into: lower)
                                        lowerRow = bottom
                                    }
                                    let wy = Int32(rows.weight[y])
                                    let (upper, lower, out) = (upper, lower, output + y * toWidth)
                                    for x in 0..<toWidth {
                                        let value = (upper[x] &* (256 &- wy) &+ lower[x] &* wy &+ 32768) >> 16
                                        out[x] = UInt8(truncatingIfNeeded: value)
                                    }
                                }
                            }
                        }
                    }
                }
            }
            initialized = toWidth * toHeight
        }
    }

    /// For each target position: the source pixel at or before its centre, and the weight
    /// (1/256) of the next one; clamped at both ends.
    private static func taps(from source: Int, to target: Int) -> (first: [Int], weight: [Int]) {
        var first = [Int](repeating: 0, count: target)
        var weight = [Int](repeating: 0, count: target)
        for i in 0..<target {
            // Source position (i + ½)·source/target − ½, in units of 1/(2·target).
            let position = max(0, (2 * i + 1) * source - target)
            first[i] = min(position / (2 * target), source - 1)
            weight[i] = first[i] == source - 1 ? 0 : (position % (2 * target)) * 256 / (2 * target)
        }
        return (first, weight)
    }
}
