import ImageCodecs
import Testing

@testable import NovitaMock

@Suite struct ImageRendererTests {
    typealias Support = RenderingTestSupport

    @Test func sameRequestGivesIdenticalPixels() {
        let input = Support.input(width: 300, height: 200)
        let request = Support.request(strength: 0.6)
        #expect(ImageRenderer.render(request, input: input) == ImageRenderer.render(request, input: input))
        #expect(ImageRenderer.render(request, input: nil) == ImageRenderer.render(request, input: nil))
    }

    @Test(arguments: [(UInt32(1), UInt32(2)), (42, 43), (0, 4_294_967_295), (123_456, 654_321)])
    func differentSeedsLookClearlyDifferent(_ seeds: (UInt32, UInt32)) {
        let a = ImageRenderer.render(Support.request(seed: seeds.0), input: nil)
        let b = ImageRenderer.render(Support.request(seed: seeds.1), input: nil)
        #expect(Support.meanAbsoluteDifference(a, b, rows: Support.bandTop(a)) > 25)
    }

    @Test func differentPromptsDiffer() {
        let a = ImageRenderer.render(Support.request(prompt: "a cat"), input: nil)
        let b = ImageRenderer.render(Support.request(prompt: "a dog"), input: nil)
        #expect(Support.meanAbsoluteDifference(a, b, rows: Support.bandTop(a)) > 15)
    }

    @Test(arguments: [(256, 256), (300, 200), (640, 480), (128, 512)])
    func strengthZeroIsTheResizedInputOutsideTheCaption(_ size: (Int, Int)) {
        let input = Support.input(width: 300, height: 200)
        let image = ImageRenderer.render(Support.request(width: size.0, height: size.1, strength: 0), input: input)
        let resized = ImageResampler.resize(input, width: size.0, height: size.1)
        let bytes = Support.bandTop(image) * size.0 * 3
        #expect(bytes > 0)
        #expect(image.rgb[0..<bytes] == resized.rgb[0..<bytes])
    }

    @Test func strengthOneIgnoresTheInput() {
        let request = Support.request(strength: 1)
        let first = ImageRenderer.render(request, input: Support.input(width: 300, height: 200))
        let second = ImageRenderer.render(request, input: PixelBuffer(width: 64, height: 64, fill: (255, 0, 0)))
        #expect(first == second)
        #expect(first == ImageRenderer.render(request, input: nil))
    }

    @Test func halfStrengthLiesBetweenInputAndPattern() {
        let input = PixelBuffer(width: 256, height: 256, fill: (0, 0, 0))
        let pattern = ImageRenderer.render(Support.request(strength: 1), input: nil)
        let half = ImageRenderer.render(Support.request(strength: 0.5), input: input)
        let top = Support.bandTop(half)
        for i in stride(from: 0, to: top * 256 * 3, by: 97) {
            #expect(Int(half.rgb[i]) == (Int(pattern.rgb[i]) + 1) / 2)
        }
    }

    /// The input is mixed in on the pattern's own pass: the same bytes as drawing the pattern,
    /// resizing the input and blending the two, growing or shrinking the input.
    @Test(arguments: [(256, 256, 300, 200), (640, 360, 64, 48), (200, 130, 900, 700)])
    func patternOverAnInputIsTheBlendOfBoth(_ sizes: (Int, Int, Int, Int)) {
        let pattern = ProceduralPattern(Support.request(width: sizes.0, height: sizes.1))
        let input = Support.input(width: sizes.2, height: sizes.3)
        for weight in [1, 77, 255] {
            var expected = pattern.render(width: sizes.0, height: sizes.1)
            ImageRenderer.blend(
                pattern: &expected, over: ImageResampler.resize(input, width: sizes.0, height: sizes.1), weight: weight)
            #expect(pattern.render(width: sizes.0, height: sizes.1, over: input, weight: weight) == expected)
        }
    }

    @Test func blendWeightEndsAreExact() {
        #expect(ImageRenderer.blendWeight(0) == 0)
        #expect(ImageRenderer.blendWeight(-3) == 0)
        #expect(ImageRenderer.blendWeight(.nan) == 0)
        #expect(ImageRenderer.blendWeight(1) == ImageRenderer.blendOne)
        #expect(ImageRenderer.blendWeight(7) == ImageRenderer.blendOne)
        #expect(ImageRenderer.blendWeight(0.5) == ImageRenderer.blendOne / 2)
    }

    @Test(arguments: [(128, 128), (2048, 2048), (512, 768), (1024, 256), (16, 16), (17, 301)])
    func outputHasTheRequestedSize(_ size: (Int, Int)) {
        let request = Support.request(width: size.0, height: size.1, strength: 0.5)
        for input in [nil, Support.input(width: 100, height: 70)] {
            let image = ImageRenderer.render(request, input: input)
            #expect(image.width == size.0)
            #expect(image.height == size.1)
            #expect(image.rgb.count == size.0 * size.1 * 3)
        }
    }

    @Test(arguments: [
        (200, 150, 2.5, 500, 375), (64, 64, 4, 256, 256), (333, 111, 1.5, 500, 167), (512, 512, 2, 1024, 1024),
    ])
    func upscaleHasTheFactorScaledSize(_ c: (Int, Int, Double, Int, Int)) {
        let image = ImageRenderer.upscale(Support.input(width: c.0, height: c.1), factor: c.2, caption: "upscale")
        #expect(image.width == c.3)
        #expect(image.height == c.4)
    }

    @Test func upscaleIsTheResizedInputAboveTheCaption() {
        let input = Support.input(width: 160, height: 120)
        let image = ImageRenderer.upscale(input, factor: 2, caption: "RealESRNet_x4plus x2")
        let resized = ImageResampler.resize(input, width: 320, height: 240)
        let bytes = Support.bandTop(image) * 320 * 3
        #expect(image.rgb[0..<bytes] == resized.rgb[0..<bytes])
        #expect(image == ImageRenderer.upscale(input, factor: 2, caption: "RealESRNet_x4plus x2"))
    }

    /// Golden hashes: a change here means every mock image changed — update only on purpose.
    @Test func goldenPixelHashes() {
        let txt2img = ImageRenderer.render(
            RenderRequest(
                seed: 42, index: 0, width: 512, height: 512, prompt: "a cat wearing a hat",
                negativePrompt: "", modelName: "v1-5-pruned-emaonly.safetensors", strength: 1),
            input: nil)
        let img2img = ImageRenderer.render(
            RenderRequest(
                seed: 4_000_000_000, index: 3, width: 384, height: 640, prompt: "ünïcödé prompt, 漢字",
                negativePrompt: "ugly", modelName: "sd_xl_base_1.0.safetensors", strength: 0.35),
            input: Support.input(width: 333, height: 222))
        let upscaled = ImageRenderer.upscale(
            Support.input(width: 150, height: 100), factor: 2.5, caption: "upscale x2.5")
        #expect(RenderHash.fnv1a64(txt2img.rgb) == 0xE639_3813_3250_C262)
        #expect(RenderHash.fnv1a64(img2img.rgb) == 0x9444_92CD_D602_923B)
        #expect(RenderHash.fnv1a64(upscaled.rgb) == 0xEB49_5B92_8206_7212)
    }
}
