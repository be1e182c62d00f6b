import Testing

@testable import NovitaMock

/// The plane helpers behind the operations: box sums and the mask clean-ups.
@Suite struct PlaneToolsTests {
    static func plane(width: Int, height: Int, seed: UInt64) -> [UInt8] {
        var random = SplitMix64(seed: seed)
        return (0..<(width * height)).map { _ in UInt8(random.int(in: 0...255)) }
    }

    @Test(arguments: [(1, 1, 1), (7, 5, 1), (13, 9, 2), (20, 3, 5), (3, 20, 4)])
    func boxSumsEqualTheNaiveSumWithClampedEdges(_ c: (width: Int, height: Int, radius: Int)) {
        let plane = Self.plane(width: c.width, height: c.height, seed: UInt64(c.width * 100 + c.height))
        let sums = PlaneBlur.boxSums(plane, width: c.width, height: c.height, radius: c.radius)
        let means = PlaneBlur.box(plane, width: c.width, height: c.height, radius: c.radius)
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
            }
        }
    }

    @Test(arguments: [(1, 1), (6, 4), (17, 9)])
    func triangleEqualsTheNaiveFiveByFiveFilter(_ size: (width: Int, height: Int)) {
        let plane = Self.plane(width: size.width, height: size.height, seed: 7)
        let soft = PlaneBlur.triangle(plane, width: size.width, height: size.height)
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
