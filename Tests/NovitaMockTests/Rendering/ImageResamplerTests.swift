import ImageCodecs
import Testing

@testable import NovitaMock

@Suite struct ImageResamplerTests {
    @Test(arguments: [(7, 5), (1, 1), (640, 480), (333, 999), (2048, 17)])
    func constantColourStaysThatColour(_ target: (Int, Int)) {
        for source in [(256, 256), (3, 2), (1000, 37)] {
            let input = PixelBuffer(width: source.0, height: source.1, fill: (200, 17, 255))
            let output = ImageResampler.resize(input, width: target.0, height: target.1)
            #expect(output == PixelBuffer(width: target.0, height: target.1, fill: (200, 17, 255)))
        }
    }

    @Test func sameSizeIsUnchanged() {
        let input = RenderingTestSupport.input(width: 97, height: 61)
        #expect(ImageResampler.resize(input, width: 97, height: 61) == input)
    }

    @Test func unchangedAxisIsCopiedExactly() {
        let input = RenderingTestSupport.input(width: 50, height: 40)
        let taller = ImageResampler.resize(input, width: 50, height: 80)
        // Bilinear doubling with aligned centres: output row 2i+1 lies ¾ of row i + ¼ of row i+1;
        // every column is still a blend of the same column only, so a flat input row stays flat.
        #expect(taller.width == 50 && taller.height == 80)
        let flat = PixelBuffer(width: 50, height: 1, fill: (9, 99, 199))
        #expect(
            ImageResampler.resize(flat, width: 50, height: 5) == PixelBuffer(width: 50, height: 5, fill: (9, 99, 199)))
    }

    @Test func downscaleAveragesTheArea() {
        // A 2×2 checker of 0 and 255 averages to 128 (127.5 rounded half up).
        let checker = PixelBuffer(width: 2, height: 2, rgb: [0, 0, 0, 255, 255, 255, 255, 255, 255, 0, 0, 0])
        #expect(ImageResampler.resize(checker, width: 1, height: 1).rgb == [128, 128, 128])
        // A 4-pixel row 0, 100, 200, 40 halves to (50, 120).
        let row = PixelBuffer(width: 4, height: 1, rgb: [0, 0, 0, 100, 100, 100, 200, 200, 200, 40, 40, 40])
        #expect(ImageResampler.resize(row, width: 2, height: 1).rgb == [50, 50, 50, 120, 120, 120])
    }

    @Test func upscaleInterpolatesBetweenNeighbours() {
        let row = PixelBuffer(width: 2, height: 1, rgb: [0, 0, 0, 200, 200, 200])
        let wide = ImageResampler.resize(row, width: 4, height: 1)
        // Centres at source −¼ (clamped), ¼, ¾, 1¼ (clamped).
        #expect(wide.rgb == [0, 0, 0, 50, 50, 50, 150, 150, 150, 200, 200, 200])
    }

    @Test(arguments: [(10, 3), (3, 10), (4096, 2048), (2048, 4096), (1000, 999), (5, 5)])
    func tapWeightsSumToOne(_ sizes: (Int, Int)) {
        let taps = ImageResampler.taps(from: sizes.0, to: sizes.1)
        #expect(taps.starts.count == sizes.1)
        for i in 0..<sizes.1 {
            let weights = taps.weights[taps.offsets[i]..<(taps.offsets[i] + taps.counts[i])]
            #expect(weights.reduce(0, +) == Int32(ImageResampler.weightOne))
            #expect(weights.allSatisfy { $0 >= 0 })
            #expect(taps.starts[i] >= 0 && taps.starts[i] + taps.counts[i] <= sizes.0)
        }
    }

    /// Output rows split between two threads, each with its own ring of source rows: the same
    /// bytes as one pass, growing and shrinking, at heights around the split.
    @Test(arguments: [(96, 64, 200, 128), (300, 257, 160, 129), (64, 48, 333, 301)])
    func halvesOnTwoThreadsGiveTheSameBytes(_ sizes: (Int, Int, Int, Int)) {
        let input = ImageResampler.resize(Fixtures.pngDecodedPixels(), width: sizes.0, height: sizes.1)
        let whole = ImageResampler.resize(input, width: sizes.2, height: sizes.3)
        #expect(ImageResampler.resize(input, width: sizes.2, height: sizes.3, helpers: .renderHelpers) == whole)
    }

    /// Shrinking on both axes against the arithmetic written out tap by tap (horizontal sums kept
    /// 8 bits below the byte, vertical sums rounded once): halving and other all-pairs shrinks
    /// (equal and unequal weights) take a loop of their own, the rest the general one.
    @Test(arguments: [
        (1024, 768, 512, 384, true), (150, 90, 100, 60, true), (1000, 601, 600, 400, false), (64, 64, 21, 9, false),
    ])
    func shrinkingMatchesTheTapsWrittenOut(_ sizes: (Int, Int, Int, Int, Bool)) {
        var generator = SplitMix64(seed: 99)
        let input = PixelBuffer(
            width: sizes.0, height: sizes.1,
            rgb: (0..<(sizes.0 * sizes.1 * 3)).map { _ in UInt8(truncatingIfNeeded: generator.next()) })
        let across = ImageResampler.taps(from: sizes.0, to: sizes.2)
        let down = ImageResampler.taps(from: sizes.1, to: sizes.3)
        let bits = ImageResampler.weightBits
        // Each source row shrunk across, 8 bits below the byte.
        let rows: [[Int32]] = (0..<sizes.1).map { y in
            (0..<(sizes.2 * 3)).map { i in
                let (x, c) = (i / 3, i % 3)
                var sum = Int32(1) << (bits - 8 - 1)
                for k in 0..<across.counts[x] {
                    let pixel = Int32(input.rgb[(y * sizes.0 + across.starts[x] + k) * 3 + c])
                    sum += pixel * across.weights[across.offsets[x] + k]
                }
                return sum >> (bits - 8)
            }
        }
        var expected: [UInt8] = []
        for y in 0..<sizes.3 {
            for i in 0..<(sizes.2 * 3) {
                var sum = Int32(1) << (bits + 8 - 1)
                for k in 0..<down.counts[y] { sum += rows[down.starts[y] + k][i] * down.weights[down.offsets[y] + k] }
                expected.append(UInt8(sum >> (bits + 8)))
            }
        }
        let actual = ImageResampler.resize(input, width: sizes.2, height: sizes.3).rgb
        let firstDifference = actual.indices.first { $0 < expected.count && actual[$0] != expected[$0] }
        #expect(
            actual.count == expected.count && firstDifference == nil,
            "first difference at byte \(firstDifference ?? -1)")
        #expect(across.allPairs == sizes.4)
    }
}
