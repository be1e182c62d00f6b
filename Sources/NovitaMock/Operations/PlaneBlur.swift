/// Box blur of one 8-bit plane (a mask, a luminance or edge map) by running sums: O(pixels)
/// whatever the radius, integers only. Edges are clamped (the border pixel repeats). Every entry
/// point takes an optional helper pool that does the lower half of the rows (`BlockingWorkPool.inHalves`).
enum PlaneBlur {
    /// Each value becomes the rounded mean of its (2·radius + 1)² neighbourhood.
    static func box(_ plane: [UInt8], width: Int, height: Int, radius: Int, helpers: BlockingWorkPool? = nil)
        -> [UInt8]
    {
        precondition(plane.count == width * height, "plane size mismatch")
        guard radius > 0 else { return plane }
        precondition(radius <= 31, "box blur radius above 31")
        // Division by the area as a multiply and shift by a rounded-up 2^32 / area: the same
        // quotient as `/` for every n < 2^32 / area, which 255.5 · area is while area < 4100.
        let area = Int64((2 * radius + 1) * (2 * radius + 1))
        return windowSums(plane, width: width, height: height, radius: radius, helpers: helpers, Mean(area: area))
    }

    /// The rounded mean of a window of `area` values, as a multiply and shift (see `box`).
    private struct Mean: WindowVerdict {
        let half: Int64
        let reciprocal: Int64

        init(area: Int64) {
            half = area / 2
            reciprocal = ((Int64(1) << 32) + area - 1) / area
        }

        func callAsFunction(_ sum: Int32) -> UInt8 {
            UInt8(truncatingIfNeeded: ((Int64(sum) &+ half) &* reciprocal) >> 32)
        }
    }

    /// The sums themselves.
    private struct Sum: WindowVerdict {
        func callAsFunction(_ sum: Int32) -> Int32 { sum }
    }

    /// Each value becomes the sum of its (2·radius + 1)² neighbourhood, in wrapping Int32
    /// arithmetic: callers keep values × window far below 2^31 (or pack fields that cannot carry
    /// into each other, as the text detector does).
    static func boxSums(_ plane: [UInt8], width: Int, height: Int, radius: Int, helpers: BlockingWorkPool? = nil)
        -> [Int32]
    {
        windowSums(plane, width: width, height: height, radius: radius, helpers: helpers, Sum())
    }

    /// `boxSums` of a plane of wider values (e.g. two counts packed in one).
    static func boxSums(_ plane: [UInt32], width: Int, height: Int, radius: Int, helpers: BlockingWorkPool? = nil)
        -> [Int32]
    {
        windowSums(plane, width: width, height: height, radius: radius, helpers: helpers, Sum())
    }

    /// The box sums of `boxSums`, each passed through `verdict` as it is made (a threshold, a
    /// mean), so no plane of sums is ever stored. Inlined into each caller, so each gets its own
    /// specialised loops (the verdict is a type, not a closure, so it is inlined into them too).
    ///
    /// Row by row: the horizontal window sums of the source rows the vertical window spans are
    /// kept in a ring of 2·radius + 2 rows, and the vertical sums move down one row at a time —
    /// the same wrapping sums, in the same order per value, as summing the whole plane
    /// horizontally first. A band of rows starts its vertical sums afresh, so the halves
    /// `BlockingWorkPool.inHalves` halves need nothing from each other.
    @inline(__always)
    static func windowSums<Value: FixedWidthInteger, Verdict: WindowVerdict>(
        _ plane: [Value], width: Int, height: Int, radius: Int, helpers: BlockingWorkPool? = nil,
        _ verdict: Verdict
    ) -> [Verdict.Output] {
        precondition(plane.count == width * height, "plane size mismatch")
        // Which column enters and which leaves the window as it moves past x, edges clamped:
        // looked up, so the inner loops have no branches.
        let entering = (0..<width).map { min($0 + radius + 1, width - 1) }
        let leaving = (0..<width).map { max($0 - radius, 0) }
        let ringRows = 2 * radius + 2
        return [Verdict.Output](unsafeUninitializedCapacity: width * height) { output, initialized in
            plane.withUnsafeBufferPointer { source in
                entering.withUnsafeBufferPointer { entering in
                    leaving.withUnsafeBufferPointer { leaving in
                        BlockingWorkPool.inHalves(height, on: helpers) { band in
                            guard !band.isEmpty else { return }
                            // Locals, not captures: the loops then keep them in registers.
                            let (source, entering, leaving, output, verdict) = (
                                source, entering, leaving, output.baseAddress!, verdict
                            )
                            let ring = UnsafeMutablePointer<Int32>.allocate(capacity: ringRows * width)
                            let column = UnsafeMutablePointer<Int32>.allocate(capacity: width)
                            defer {
                                ring.deallocate()
                                column.deallocate()
                            }
                            // The last source row whose horizontal sums are in the ring.
                            var summed = max(band.lowerBound - radius, 0) - 1
                            // The horizontal sums of `row`, summing the rows up to it first
                            // (rows are asked for in increasing order, at most 2·radius + 2 apart).
                            func horizontal(_ row: Int) -> UnsafeMutablePointer<Int32> {
                                while summed < row {
                                    summed += 1
                                    let base = summed * width
                                    let line = ring + (summed % ringRows) * width
                                    var sum: Int32 = 0
                                    for k in -radius...radius {
                                        sum &+= Int32(truncatingIfNeeded: source[base + min(max(k, 0), width - 1)])
                                    }
                                    for x in 0..<width {
                                        line[x] = sum
                                        let incoming = Int32(truncatingIfNeeded: source[base &+ entering[x]])
                                        sum &+= incoming &- Int32(truncatingIfNeeded: source[base &+ leaving[x]])
                                    }
                                }
                                return ring + (row % ringRows) * width
                            }
                            column.initialize(repeating: 0, count: width)
                            for k in -radius...radius {
                                let line = horizontal(min(max(band.lowerBound + k, 0), height - 1))
                                for x in 0..<width { column[x] &+= line[x] }
                            }
                            for y in band {
                                let out = output + y * width
                                for x in 0..<width { out[x] = verdict(column[x]) }
                                guard y + 1 < band.upperBound else { break }
                                // Entering first: its slot is the row before the leaving one.
                                let incoming = horizontal(min(y + radius + 1, height - 1))
                                let outgoing = horizontal(max(y - radius, 0))
                                for x in 0..<width { column[x] &+= incoming[x] &- outgoing[x] }
                            }
                        }
                    }
                }
            }
            initialized = width * height
        }
    }

    /// A 5×5 triangle filter ([1 2 3 2 1] ⊗ [1 2 3 2 1] / 81 — two 3×3 boxes in one): the soft,
    /// about two-pixel edge of a cut-out mask, in two passes over small integers.
    static func triangle(_ plane: [UInt8], width: Int, height: Int, helpers: BlockingWorkPool? = nil) -> [UInt8] {
        precondition(plane.count == width * height, "plane size mismatch")
        let rows = [UInt16](unsafeUninitializedCapacity: width * height) { out, initialized in
            plane.withUnsafeBufferPointer { source in
                BlockingWorkPool.inHalves(height, on: helpers) { band in
                    let (source, out) = (source.baseAddress!, out.baseAddress!)
                    // The row with its edge pixels repeated twice on each side: no clamping below.
                    let line = UnsafeMutablePointer<UInt16>.allocate(capacity: width + 4)
                    defer { line.deallocate() }
                    for y in band {
                        let row = source + y * width
                        let sums = out + y * width
                        for x in 0..<width { line[x &+ 2] = UInt16(row[x]) }
                        line[0] = line[2]
                        line[1] = line[2]
                        line[width + 2] = line[width + 1]
                        line[width + 3] = line[width + 1]
                        for x in 0..<width {
                            sums[x] =
                                line[x] &+ 2 &* line[x &+ 1] &+ 3 &* line[x &+ 2] &+ 2 &* line[x &+ 3] &+ line[x &+ 4]
                        }
                    }
                }
            }
            initialized = width * height
        }
        return [UInt8](unsafeUninitializedCapacity: width * height) { output, initialized in
            rows.withUnsafeBufferPointer { rows in
                BlockingWorkPool.inHalves(height, on: helpers) { band in
                    let (rows, output) = (rows.baseAddress!, output.baseAddress!)
                    for y in band {
                        let r0 = rows + max(y - 2, 0) * width
                        let r1 = rows + max(y - 1, 0) * width
                        let r2 = rows + y * width
                        let r3 = rows + min(y + 1, height - 1) * width
                        let r4 = rows + min(y + 2, height - 1) * width
                        let out = output + y * width
                        for x in 0..<width {
                            // At most 9 · 2295: fits in UInt32; the constant divisor becomes a multiply.
                            let sum =
                                UInt32(r0[x]) &+ 2 &* UInt32(r1[x]) &+ 3 &* UInt32(r2[x]) &+ 2 &* UInt32(r3[x])
                                &+ UInt32(r4[x])
                            out[x] = UInt8(truncatingIfNeeded: (sum &+ 40) / 81)
                        }
                    }
                }
            }
            initialized = width * height
        }
    }
}

/// What `PlaneBlur.windowSums` makes of each window's sum: a threshold, a mean, the sum itself.
/// A type rather than a closure, so the specialised loops inline it and vectorise (a closure
/// handed across `BlockingWorkPool.inHalves` would be called once per pixel).
protocol WindowVerdict {
    associatedtype Output
    func callAsFunction(_ sum: Int32) -> Output
}
