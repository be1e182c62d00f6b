import ImageCodecs
import Testing

@testable import NovitaMock

@Suite struct PushPullFillTests {
    /// Known everywhere except a rectangle.
    static func holeMask(width: Int, height: Int, hole: (Int, Int, Int, Int)) -> [UInt8] {
        (0..<(width * height)).map { i in
            let (x, y) = (i % width, i / width)
            return x >= hole.0 && x < hole.2 && y >= hole.1 && y < hole.3 ? 0 : 1
        }
    }

    @Test(arguments: [(64, 48), (33, 17), (1, 9), (7, 1)])
    func knownPixelsKeepTheirBytes(_ size: (Int, Int)) {
        let image = OperationTestImages.photo(width: size.0, height: size.1, text: "")
        let known = (0..<(size.0 * size.1)).map { UInt8($0 % 3 == 0 ? 0 : 1) }
        let filled = PushPullFill.fill(image, known: known)
        for i in 0..<known.count where known[i] != 0 {
            #expect(filled.rgb[(i * 3)..<(i * 3 + 3)] == image.rgb[(i * 3)..<(i * 3 + 3)])
        }
    }

    @Test func aHoleInAFlatColourTakesThatColourExactly() {
        let image = PixelBuffer(width: 80, height: 60, fill: (30, 140, 220))
        var holed = image
        for y in 20..<40 { for x in 30..<50 { holed.rgb[(y * 80 + x) * 3] = 255 } }
        let filled = PushPullFill.fill(holed, known: Self.holeMask(width: 80, height: 60, hole: (30, 20, 50, 40)))
        #expect(filled == image)
    }

    @Test func aHoleBetweenTwoColoursIsFilledWithAGradientBetweenThem() {
        // Left half black, right half white, a tall hole across the middle.
        var image = PixelBuffer(width: 96, height: 64)
        for y in 0..<64 { for x in 48..<96 { for c in 0..<3 { image.rgb[(y * 96 + x) * 3 + c] = 255 } } }
        let filled = PushPullFill.fill(image, known: Self.holeMask(width: 96, height: 64, hole: (24, 0, 72, 64)))
        let row = (24..<72).map { Int(filled.rgb[(32 * 96 + $0) * 3]) }
        #expect(row.first! < 100 && row.last! > 155, "\(row)")
        // Smooth: no jump between neighbours larger than a few levels per pixel.
        #expect(zip(row, row.dropFirst()).allSatisfy { abs($0 - $1) <= 24 }, "\(row)")
        #expect(zip(row, row.dropFirst()).allSatisfy { $0 <= $1 }, "monotonic: \(row)")
    }

    /// Tall enough that every large pass splits its rows (`BlockingWorkPool.inHalves`), with odd sizes, holes of
    /// every shape and partly known blocks.
    @Test(arguments: [(301, 517), (512, 260)])
    func theHelperPoolChangesNoByte(_ size: (Int, Int)) {
        let image = OperationTestImages.photo(width: size.0, height: size.1, text: "")
        let known = (0..<(size.0 * size.1)).map { i in
            let (x, y) = (i % size.0, i / size.0)
            return UInt8((x / 37 + y / 23) % 3 == 0 || (x * 7 + y * 3) % 11 == 0 ? 0 : 1)
        }
        #expect(
            PushPullFill.fill(image, known: known, helpers: .renderHelpers) == PushPullFill.fill(image, known: known))
    }

    @Test func nothingKnownGivesMidGrey() {
        let image = PixelBuffer(width: 9, height: 5, fill: (1, 2, 3))
        let filled = PushPullFill.fill(image, known: [UInt8](repeating: 0, count: 45))
        #expect(filled == PixelBuffer(width: 9, height: 5, fill: (128, 128, 128)))
    }
}
