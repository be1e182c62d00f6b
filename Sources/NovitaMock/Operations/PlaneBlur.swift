/// Box blur of one 8-bit plane (a mask, a luminance or edge map) by running sums: O(pixels)
/// whatever the radius, integers only. Edges are clamped (the border pixel repeats).
enum PlaneBlur {
    /// Each value becomes the rounded mean of its (2·radius + 1)² neighbourhood.
    static func box(_ plane: [UInt8], width: Int, height: Int, radius: Int) -> [UInt8] {
        precondition(plane.count == width * height, "plane size mismatch")
        guard radius > 0 else { return plane }
        let sums = boxSums(plane, width: width, height: height, radius: radius)
        let area = Int32((2 * radius + 1) * (2 * radius + 1))
        return sums.map { UInt8(truncatingIfNeeded: ($0 + area / 2) / area) }
    }

    /// Each value becomes the sum of its (2·radius + 1)² neighbourhood (at most 255 · 513² for
    /// radius 256: callers keep radii far below that).
    static func boxSums(_ plane: [UInt8], width: Int, height: Int, radius: Int) -> [Int32] {
        precondition(plane.count == width * height, "plane size mismatch")
        var rows = [Int32](repeating: 0, count: width * height)
        plane.withUnsafeBufferPointer { source in
            rows.withUnsafeMutableBufferPointer { out in
                for y in 0..<height {
                    let base = y * width
                    var sum: Int32 = 0
                    for k in -radius...radius { sum &+= Int32(source[base + clamp(k, width)]) }
                    for x in 0..<width {
                        out[base + x] = sum
                        sum &+= Int32(source[base + clamp(x + radius + 1, width)])
                        sum &-= Int32(source[base + clamp(x - radius, width)])
                    }
                }
            }
        }
        var sums = [Int32](repeating: 0, count: width * height)
        rows.withUnsafeBufferPointer { source in
            sums.withUnsafeMutableBufferPointer { out in
                // Column sums kept for a whole row at once: memory order, so it stays cache-friendly.
                var column = [Int32](repeating: 0, count: width)
                for k in -radius...radius {
                    let row = clamp(k, height) * width
                    for x in 0..<width { column[x] &+= source[row + x] }
                }
                for y in 0..<height {
                    let base = y * width
                    let entering = clamp(y + radius + 1, height) * width
                    let leaving = clamp(y - radius, height) * width
                    for x in 0..<width {
                        out[base + x] = column[x]
                        column[x] &+= source[entering + x] &- source[leaving + x]
                    }
                }
            }
        }
        return sums
    }

    @inline(__always) private static func clamp(_ i: Int, _ count: Int) -> Int {
        min(max(i, 0), count - 1)
    }
}
