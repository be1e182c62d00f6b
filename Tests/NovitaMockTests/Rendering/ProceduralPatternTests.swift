import ImageCodecs
import Testing

@testable import NovitaMock

@Suite struct ProceduralPatternTests {
    @Test func sineTableHitsItsLandmarks() {
        let table = PatternSine.table
        #expect(table.count == 1024)
        #expect(table[0] == 0 && table[512] == 0)
        #expect(table[256] == 1024 && table[768] == -1024)
        for i in 1..<512 {
            #expect(table[i] == -table[i + 512])
            #expect(table[i] == table[512 - i])
        }
    }

    @Test func splitMixMatchesTheReferenceSequence() {
        var random = SplitMix64(seed: 0)
        #expect(random.next() == 0xE220_A839_7B1D_CDAF)
        #expect(random.next() == 0x6E78_9E6A_A1B9_65F4)
        for _ in 0..<1000 {
            let value = random.int(in: -3...5)
            #expect((-3...5).contains(value))
        }
    }

    @Test func fnvMatchesTheReference() {
        #expect(RenderHash.fnv1a64("") == 0xCBF2_9CE4_8422_2325)
        #expect(RenderHash.fnv1a64("a") == 0xAF63_DC4C_8601_EC8C)
        #expect(RenderHash.fnv1a64("foobar") == 0x8594_4171_F739_67E8)
    }

    @Test func patternIsColourfulNotFlat() {
        let image = ProceduralPattern(seed: 7, prompt: "x", negativePrompt: "", modelName: "").render(
            width: 128, height: 128)
        var distinct = Set<UInt32>()
        for i in stride(from: 0, to: image.rgb.count, by: 3) {
            distinct.insert(UInt32(image.rgb[i]) << 16 | UInt32(image.rgb[i + 1]) << 8 | UInt32(image.rgb[i + 2]))
        }
        #expect(distinct.count > 500)
    }

    @Test func patternKeepsItsCompositionAcrossSizes() {
        let pattern = ProceduralPattern(seed: 99, prompt: "same", negativePrompt: "", modelName: "")
        let small = pattern.render(width: 128, height: 128)
        let large = ImageResampler.resize(pattern.render(width: 512, height: 512), width: 128, height: 128)
        let other = ProceduralPattern(seed: 100, prompt: "same", negativePrompt: "", modelName: "").render(
            width: 128, height: 128)
        let sameSeed = RenderingTestSupport.meanAbsoluteDifference(small, large, rows: 128)
        let otherSeed = RenderingTestSupport.meanAbsoluteDifference(small, other, rows: 128)
        #expect(sameSeed < 12)
        #expect(otherSeed > 3 * sameSeed)
    }

    /// Drawn in two bands on two threads or in one: the same bytes, at every height around the split.
    @Test func bandsOnTwoThreadsDrawTheSamePixels() {
        let pattern = ProceduralPattern(seed: 31, prompt: "bands", negativePrompt: "", modelName: "m")
        for (width, height) in [(200, 128), (160, 129), (96, 300)] {
            let whole = pattern.render(width: width, height: height)
            let banded = pattern.render(width: width, height: height, helpers: .renderHelpers)
            #expect(banded == whole, "\(width)x\(height)")
        }
    }

    /// Over a pattern and over an input of another size: the same bytes in two bands as in one.
    @Test func bandsOverAnInputDrawTheSamePixels() {
        let pattern = ProceduralPattern(seed: 32, prompt: "bands", negativePrompt: "", modelName: "m")
        let input = RenderingTestSupport.input(width: 70, height: 45)
        for (width, height) in [(512, 300), (160, 129)] {
            let whole = pattern.render(width: width, height: height, over: input, weight: 100)
            let banded = pattern.render(
                width: width, height: height, over: input, weight: 100, helpers: .renderHelpers)
            #expect(banded == whole, "\(width)x\(height)")
        }
    }

    /// Drawn row by row over only the spans a shape touches, every pixel gets exactly the
    /// coverage of its own distance — none skipped, none drawn twice — also where the image cuts
    /// the shape.
    @Test(arguments: PatternShape.Kind.allCases)
    func shapesCoverExactlyTheirPixels(_ kind: PatternShape.Kind) {
        let (width, height) = (230, 170)
        for (centerX, centerY, radius) in [(32768, 32768, 9000), (2000, 60000, 20000), (40000, 5000, 3000)] {
            let shape = PatternShape(
                kind: kind, centerX: centerX, centerY: centerY, radius: radius, opacity: 150, color: (250, 40, 90))
            let placed = shape.placed(width: width, height: height)
            var drawn = PixelBuffer(width: width, height: height, fill: (20, 120, 200))
            drawn.rgb.withUnsafeMutableBufferPointer { pixels in
                for y in 0..<height { placed.draw(row: y, into: pixels.baseAddress! + y * width * 3, width: width) }
            }
            var expected = PixelBuffer(width: width, height: height, fill: (20, 120, 200))
            let colour = [250, 40, 90]
            for y in 0..<height {
                for x in 0..<width {
                    let d2 = (x - placed.cx) * (x - placed.cx) + (y - placed.cy) * (y - placed.cy)
                    let alpha = (placed.coverage.alpha(squaredDistance: d2) * 150) >> 8
                    for c in 0..<3 {
                        let i = (y * width + x) * 3 + c
                        expected.rgb[i] = UInt8((Int(expected.rgb[i]) * (256 - alpha) + colour[c] * alpha + 128) >> 8)
                    }
                }
            }
            #expect(drawn == expected, "\(kind) at \(centerX), \(centerY), radius \(radius)")
            #expect(drawn != PixelBuffer(width: width, height: height, fill: (20, 120, 200)))
        }
    }

    @Test func squareRootFloorIsExact() {
        for n in 0..<20_000 {
            let root = PatternShape.squareRootFloor(n)
            #expect(root * root <= n && (root + 1) * (root + 1) > n, "\(n)")
        }
        for k in [46_341, 1_000_003, 3_037_000_499] {
            #expect(PatternShape.squareRootFloor(k * k) == k)
            #expect(PatternShape.squareRootFloor(k * k - 1) == k - 1)
            #expect(PatternShape.squareRootFloor(k * k + 1) == k)
        }
    }
}
