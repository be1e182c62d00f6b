import Testing

@testable import NovitaMock

/// The plane helpers behind the operations: box sums and the mask clean-ups.
@Suite struct PlaneToolsTests {
    static func plane(width: Int, height: Int, seed: UInt64) -> [UInt8] {
        var random = SplitMix64(seed: seed)
        return (0..<(width * height)).map { _ in UInt8(random.int(in: 0...255)) }
    }

    // The tall cases are split in two bands of rows on the helper pool (`BlockingWorkPool.inHalves`).
    @Test(arguments: [(1, 1, 1), (7, 5, 1), (13, 9, 2), (20, 3, 5), (3, 20, 4), (37, 150, 4), (9, 131, 12)])
    func boxSumsEqualTheNaiveSumWithClampedEdges(_ c: (width: Int, height: Int, radius: Int)) {
        let plane = Self.plane(width: c.width, height: c.height, seed: UInt64(c.width * 100 + c.height))
        let helpers = BlockingWorkPool.renderHelpers
        let sums = PlaneBlur.boxSums(plane, width: c.width, height: c.height, radius: c.radius, helpers: helpers)
        let means = PlaneBlur.box(plane, width: c.width, height: c.height, radius: c.radius, helpers: helpers)
        #expect(sums == PlaneBlur.boxSums(plane, width: c.width, height: c.height, radius: c.radius))
        let packed = plane.map { UInt32($0) << 16 | UInt32(255 - $0) }
        let packedSums = PlaneBlur.boxSums(packed, width: c.width, height: c.height, radius: c.radius, helpers: helpers)
        let area = (2 * c.radius + 1) * (2 * c.radius + 1)
        for y in 0..<c.height {
            for x in 0..<c.width {
                var sum = 0
                for dy in -c.radius...c.radius {
                    for dx in -c.radius...c.radius {
                        sum += Int(
                            plane[min(max(y + dy, 0), c.height - 1) * c.width + min(max(x + dx, 0), c.width - 1)])
                    }
                }
                #expect(Int(sums[y * c.width + x]) == sum)
                #expect(Int(means[y * c.width + x]) == (sum + area / 2) / area)
                // Wrapping, as the packed sums are (only fields that cannot carry are read back).
                #expect(packedSums[y * c.width + x] == Int32(truncatingIfNeeded: sum << 16 + area * 255 - sum))
            }
        }
    }

    @Test(arguments: [(1, 1), (6, 4), (17, 9), (23, 140)])
    func triangleEqualsTheNaiveFiveByFiveFilter(_ size: (width: Int, height: Int)) {
        let plane = Self.plane(width: size.width, height: size.height, seed: 7)
        let soft = PlaneBlur.triangle(plane, width: size.width, height: size.height, helpers: .renderHelpers)
        #expect(soft == PlaneBlur.triangle(plane, width: size.width, height: size.height))
        let taps = [1, 2, 3, 2, 1]
        for y in 0..<size.height {
            for x in 0..<size.width {
                var sum = 0
                for dy in -2...2 {
                    for dx in -2...2 {
                        let sy = min(max(y + dy, 0), size.height - 1)
                        let sx = min(max(x + dx, 0), size.width - 1)
                        sum += taps[dy + 2] * taps[dx + 2] * Int(plane[sy * size.width + sx])
                    }
                }
                #expect(Int(soft[y * size.width + x]) == (sum + 40) / 81)
            }
        }
    }

    @Test func bilinearScalingKeepsFlatPlanesAndSizesAndInterpolates() {
        #expect(
            PlaneScaler.bilinear([UInt8](repeating: 77, count: 6), width: 3, height: 2, toWidth: 7, toHeight: 5)
                == [UInt8](repeating: 77, count: 35))
        let plane = Self.plane(width: 5, height: 4, seed: 3)
        #expect(PlaneScaler.bilinear(plane, width: 5, height: 4, toWidth: 5, toHeight: 4) == plane)
        // Two columns, 0 and 255, doubled: the middle pixels blend, the outer ones stay.
        #expect(PlaneScaler.bilinear([0, 255], width: 2, height: 1, toWidth: 4, toHeight: 1) == [0, 64, 191, 255])
    }

    /// Blends the four neighbours of each target pixel at once, weights in 1/256 per axis, pixel
    /// centres aligned: the definition the separable scaler must match byte for byte.
    static func fourNeighbourBilinear(_ plane: [UInt8], width: Int, height: Int, toWidth: Int, toHeight: Int)
        -> [UInt8]
    {
        func taps(_ source: Int, _ target: Int) -> [(Int, Int)] {
            (0..<target).map { i in
                let position = max(0, (2 * i + 1) * source - target)
                let first = min(position / (2 * target), source - 1)
                return (first, first == source - 1 ? 0 : (position % (2 * target)) * 256 / (2 * target))
            }
        }
        let columns = taps(width, toWidth)
        let rows = taps(height, toHeight)
        var out: [UInt8] = []
        for (top, wy) in rows {
            let bottom = min(top + 1, height - 1)
            for (a, wx) in columns {
                let b = min(a + 1, width - 1)
                let upper = Int(plane[top * width + a]) * (256 - wx) + Int(plane[top * width + b]) * wx
                let lower = Int(plane[bottom * width + a]) * (256 - wx) + Int(plane[bottom * width + b]) * wx
                out.append(UInt8((upper * (256 - wy) + lower * wy + 32768) >> 16))
            }
        }
        return out
    }

    @Test(arguments: [(5, 4, 13, 9), (3, 2, 7, 5), (40, 30, 150, 140), (200, 150, 64, 48), (64, 64, 128, 128)])
    func bilinearEqualsTheFourNeighbourBlend(_ c: (width: Int, height: Int, toWidth: Int, toHeight: Int)) {
        let plane = Self.plane(width: c.width, height: c.height, seed: UInt64(c.toWidth))
        let expected = Self.fourNeighbourBilinear(
            plane, width: c.width, height: c.height, toWidth: c.toWidth, toHeight: c.toHeight)
        #expect(
            PlaneScaler.bilinear(plane, width: c.width, height: c.height, toWidth: c.toWidth, toHeight: c.toHeight)
                == expected)
        #expect(
            PlaneScaler.bilinear(
                plane, width: c.width, height: c.height, toWidth: c.toWidth, toHeight: c.toHeight,
                helpers: .renderHelpers) == expected)
    }

    /// Parses rows of "#" (set) and "." (clear).
    static func mask(_ rows: [String]) -> [UInt8] {
        rows.flatMap { $0.map { $0 == "#" ? UInt8(255) : 0 } }
    }

    @Test func smallComponentsGoAndHolesFill() {
        var mask = Self.mask([
            "#.......",
            "..####..",
            "..#..#..",
            "..####..",
            "......##",
        ])
        MaskComponents.removeSmall(&mask, width: 8, height: 5, minimumSize: 3)
        MaskComponents.fillHoles(&mask, width: 8, height: 5)
        #expect(
            mask
                == Self.mask([
                    "........",
                    "..####..",
                    "..####..",
                    "..####..",
                    "........",
                ]))
    }

    @Test func growthFollowsAcceptedPixelsConnectedToTheSeed() {
        var mask = Self.mask(["#.....", "......"])
        let accepts = Self.mask([".##.##", "...#.."]).map { $0 != 0 ? UInt8(1) : 0 }
        MaskComponents.grow(&mask, width: 6, height: 2, accepts: accepts)
        #expect(mask == Self.mask(["###...", "......"]))
    }
}
