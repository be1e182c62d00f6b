/// Resizes one 8-bit plane (a mask) bilinearly, pixel centres aligned, in 8-bit fixed point:
/// the cheap, smooth upsampling a mask found at low resolution needs.
enum PlaneScaler {
    static func bilinear(_ plane: [UInt8], width: Int, height: Int, toWidth: Int, toHeight: Int) -> [UInt8] {
        precondition(plane.count == width * height, "plane size mismatch")
        let columns = taps(from: width, to: toWidth)
        let rows = taps(from: height, to: toHeight)
        return [UInt8](unsafeUninitializedCapacity: toWidth * toHeight) { output, initialized in
            plane.withUnsafeBufferPointer { source in
                columns.first.withUnsafeBufferPointer { first in
                    columns.weight.withUnsafeBufferPointer { weight in
                        for y in 0..<toHeight {
                            let top = rows.first[y] * width
                            let bottom = min(rows.first[y] + 1, height - 1) * width
                            let wy = Int32(rows.weight[y])
                            for x in 0..<toWidth {
                                let a = first[x]
                                let b = min(a + 1, width - 1)
                                let wx = Int32(weight[x])
                                // Weights in 1/256; the product of both in 1/65536.
                                let upper = Int32(source[top + a]) &* (256 &- wx) &+ Int32(source[top + b]) &* wx
                                let lower = Int32(source[bottom + a]) &* (256 &- wx) &+ Int32(source[bottom + b]) &* wx
                                let value = (upper &* (256 &- wy) &+ lower &* wy &+ 32768) >> 16
                                output[y * toWidth + x] = UInt8(truncatingIfNeeded: value)
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
