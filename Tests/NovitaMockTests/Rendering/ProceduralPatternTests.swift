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
}
