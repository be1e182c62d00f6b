/// Box blur of one 8-bit plane (a mask, a luminance or edge map) by running sums: O(pixels)
/// whatever the radius, integers only. Edges are clamped (the border pixel repeats).
enum PlaneBlur {
    /// Each value becomes the rounded mean of its (2·radius + 1)² neighbourhood.
    static func box(_ plane: [UInt8], width: Int, height: Int, radius: Int) -> [UInt8] {
        precondition(plane.count == width * height, "plane size mismatch")
        guard radius > 0 else { return plane }
        precondition(radius <= 31, "box blur radius above 31")
        let sums = boxSums(plane, width: width, height: height, radius: radius)
        // Division by the area as a multiply and shift by a rounded-up 2^32 / area: the same
        // quotient as `/` for every n < 2^32 / area, which 255.5 · area is while area < 4100.
        let area = Int64((2 * radius + 1) * (2 * radius + 1))
        let reciprocal = ((Int64(1) << 32) + area - 1) / area
        return [UInt8](unsafeUninitializedCapacity: sums.count) { output, initialized in
            sums.withUnsafeBufferPointer { sums in
                for i in 0..<sums.count {
                    output[i] = UInt8(truncatingIfNeeded: ((Int64(sums[i]) &+ area / 2) &* reciprocal) >> 32)
                }
            }
            initialized = sums.count
        }
    }

    /// Each value becomes the sum of its (2·radius + 1)² neighbourhood, in wrapping Int32
    /// arithmetic: callers keep values × window far below 2^31 (or pack fields that cannot carry
    /// into each other, as the text detector does).
    static func boxSums(_ plane: [UInt8], width: Int, height: Int, radius: Int) -> [Int32] {
        sums(plane, width: width, height: height, radius: radius)
    }

    /// `boxSums` of a plane of wider values (e.g. two counts packed in one).
    static func boxSums(_ plane: [UInt32], width: Int, height: Int, radius: Int) -> [Int32] {
        sums(plane, width: width, height: height, radius: radius)
    }

    /// Inlined into each entry point above, so each gets its own specialised loops.
    @inline(__always)
    private static func sums<Value: FixedWidthInteger>(_ plane: [Value], width: Int, height: Int, radius: Int)
        -> [Int32]
    {
        precondition(plane.count == width * height, "plane size mismatch")
        // Which column enters and which leaves the window as it moves past x, edges clamped:
        // looked up, so the inner loops have no branches.
        let entering = (0..<width).map { min($0 + radius + 1, width - 1) }
        let leaving = (0..<width).map { max($0 - radius, 0) }
        var rows = [Int32](repeating: 0, count: width * height)
        plane.withUnsafeBufferPointer { source in
            rows.withUnsafeMutableBufferPointer { out in
                entering.withUnsafeBufferPointer { entering in
                    leaving.withUnsafeBufferPointer { leaving in
                        for y in 0..<height {
                            let base = y * width
                            var sum: Int32 = 0
                            for k in -radius...radius {
                                sum &+= Int32(truncatingIfNeeded: source[base + min(max(k, 0), width - 1)])
                            }
                            for x in 0..<width {
                                out[base + x] = sum
                                let incoming = Int32(truncatingIfNeeded: source[base + entering[x]])
                                sum &+= incoming &- Int32(truncatingIfNeeded: source[base + leaving[x]])
                            }
                        }
                    }
                }
            }
        }
        var sums = [Int32](repeating: 0, count: width * height)
        var column = [Int32](repeating: 0, count: width)
        rows.withUnsafeBufferPointer { source in
            sums.withUnsafeMutableBufferPointer { out in
                column.withUnsafeMutableBufferPointer { column in
                    // Column sums kept for a whole row at once: memory order, so it stays cache-friendly.
                    for k in -radius...radius {
                        let row = min(max(k, 0), height - 1) * width
                        for x in 0..<width { column[x] &+= source[row + x] }
                    }
                    for y in 0..<height {
                        let base = y * width
                        let enteringRow = min(y + radius + 1, height - 1) * width
                        let leavingRow = max(y - radius, 0) * width
                        for x in 0..<width {
                            out[base + x] = column[x]
                            column[x] &+= source[enteringRow + x] &- source[leavingRow + x]
                        }
                    }
                }
            }
        }
        return sums
    }

    /// A 5×5 triangle filter ([1 2 3 2 1] ⊗ [1 2 3 2 1] / 81 — two 3×3 boxes in one): the soft,
    /// about two-pixel edge of a cut-out mask, in two passes over small integers.
    static func triangle(_ plane: [UInt8], width: Int, height: Int) -> [UInt8] {
        precondition(plane.count == width * height, "plane size mismatch")
        var rows = [UInt16](repeating: 0, count: width * height)
        var line = [UInt16](repeating: 0, count: width + 4)
        plane.withUnsafeBufferPointer { source in
            rows.withUnsafeMutableBufferPointer { out in
                line.withUnsafeMutableBufferPointer { line in
                    for y in 0..<height {
                        let base = y * width
                        // The row with its edge pixels repeated twice on each side: no clamping below.
                        for x in 0..<width { line[x + 2] = UInt16(source[base + x]) }
                        line[0] = line[2]
                        line[1] = line[2]
                        line[width + 2] = line[width + 1]
                        line[width + 3] = line[width + 1]
                        for x in 0..<width {
                            out[base + x] =
                                line[x] &+ 2 &* line[x + 1] &+ 3 &* line[x + 2] &+ 2 &* line[x + 3] &+ line[x + 4]
                        }
                    }
                }
            }
        }
        return [UInt8](unsafeUninitializedCapacity: width * height) { output, initialized in
            rows.withUnsafeBufferPointer { rows in
                for y in 0..<height {
                    let r0 = max(y - 2, 0) * width
                    let r1 = max(y - 1, 0) * width
                    let r2 = y * width
                    let r3 = min(y + 1, height - 1) * width
                    let r4 = min(y + 2, height - 1) * width
                    for x in 0..<width {
                        // At most 9 · 2295: fits in UInt32; the constant divisor becomes a multiply.
                        let sum =
                            UInt32(rows[r0 + x]) &+ 2 &* UInt32(rows[r1 + x]) &+ 3 &* UInt32(rows[r2 + x])
                            &+ 2 &* UInt32(rows[r3 + x]) &+ UInt32(rows[r4 + x])
                        output[r2 + x] = UInt8(truncatingIfNeeded: (sum &+ 40) / 81)
                    }
                }
            }
            initialized = width * height
        }
    }
}
