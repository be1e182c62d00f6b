import ImageCodecs
import Testing

@Suite("Decoding the input variants users send")
struct DecoderVariantTests {
    static let width = 13
    static let height = 11

    /// The expected RGB of pixel (x, y) in the hand-made PNGs below.
    static func base(_ x: Int, _ y: Int) -> [UInt8] { [UInt8(x * 19 % 256), UInt8(y * 23 % 256), UInt8((x + y) * 7)] }

    static func expected(_ pixel: (Int, Int) -> [UInt8]) -> PixelBuffer {
        var rgb: [UInt8] = []
        for y in 0..<height { for x in 0..<width { rgb += pixel(x, y) } }
        return PixelBuffer(width: width, height: height, rgb: rgb)
    }

    @Test(arguments: [false, true])
    func rgb8AndInterlaced(interlaced: Bool) throws {
        let png = PNGFixture.make(
            width: Self.width, height: Self.height, bitDepth: 8, colorType: 2, interlaced: interlaced
        ) {
            Self.base($0, $1).map(Int.init)
        }
        #expect(try ImageDecoder.decode(png, maxPixels: 1000) == Self.expected(Self.base))
    }

    @Test(arguments: [false, true])
    func sixteenBitRGBIsScaled(interlaced: Bool) throws {
        // 16-bit samples v*257 + small offsets scale back to v.
        let png = PNGFixture.make(
            width: Self.width, height: Self.height, bitDepth: 16, colorType: 2, interlaced: interlaced
        ) {
            Self.base($0, $1).map { Int($0) * 257 + 100 }
        }
        #expect(try ImageDecoder.decode(png, maxPixels: 1000) == Self.expected(Self.base))
    }

    @Test(arguments: [1, 2, 4, 8])
    func paletteImages(bitDepth: Int) throws {
        let colors = 1 << bitDepth
        var palette: [UInt8] = []
        for color in 0..<colors {
            palette += [UInt8(color * 37 % 256), UInt8(color * 91 % 256), UInt8(255 - color)]
        }
        let index = { (x: Int, y: Int) in (x * 3 + y) % colors }
        let png = PNGFixture.make(
            width: Self.width, height: Self.height, bitDepth: bitDepth, colorType: 3, interlaced: bitDepth == 2,
            extraChunks: [PNGFixture.chunk("PLTE", palette)]
        ) { [index($0, $1)] }
        let expected = Self.expected { x, y in Array(palette[index(x, y) * 3..<index(x, y) * 3 + 3]) }
        #expect(try ImageDecoder.decode(png, maxPixels: 1000) == expected)
    }

    @Test func paletteWithTransparencyIsCompositedOntoBlack() throws {
        let palette: [UInt8] = [200, 100, 50, 10, 20, 30]
        let png = PNGFixture.make(
            width: 2, height: 1, bitDepth: 8, colorType: 3,
            extraChunks: [PNGFixture.chunk("PLTE", palette), PNGFixture.chunk("tRNS", [128, 255])]
        ) { x, _ in [x] }
        let decoded = try ImageDecoder.decode(png, maxPixels: 10)
        #expect(decoded.rgb == [100, 50, 25, 10, 20, 30])
    }

    @Test(arguments: [1, 2, 4, 8, 16])
    func grayscale(bitDepth: Int) throws {
        let maximum = (1 << bitDepth) - 1
        let png = PNGFixture.make(width: Self.width, height: Self.height, bitDepth: bitDepth, colorType: 0) { x, y in
            [(x + y) % (maximum + 1)]
        }
        let expected = Self.expected { x, y in
            let value = UInt8(((x + y) % (maximum + 1) * 255 + maximum / 2) / maximum)
            return [value, value, value]
        }
        #expect(try ImageDecoder.decode(png, maxPixels: 1000) == expected)
    }

    @Test func grayAlphaAndRGBAAreCompositedOntoBlack() throws {
        let gray = PNGFixture.make(width: 2, height: 1, bitDepth: 8, colorType: 4) { x, _ in [200, x == 0 ? 255 : 51] }
        #expect(try ImageDecoder.decode(gray, maxPixels: 10).rgb == [200, 200, 200, 40, 40, 40])
        let rgba = PNGFixture.make(width: 2, height: 2, bitDepth: 16, colorType: 6, interlaced: true) { x, y in
            [65535, 32768, 0, x == y ? 65535 : 0]
        }
        #expect(try ImageDecoder.decode(rgba, maxPixels: 10).rgb == [255, 128, 0, 0, 0, 0, 0, 0, 0, 255, 128, 0])
    }

    @Test func grayscaleJPEG() throws {
        let decoded = try ImageDecoder.decode(TestImages.grayJPEG, maxPixels: 10_000)
        #expect(decoded.width == 32 && decoded.height == 24)
        let expected = Self.expectedGray(width: 32, height: 24) { x, y in min(255, x * 8 + y) }
        #expect(TestImages.meanAbsoluteError(decoded, expected) < 3)
    }

    @Test func cmykJPEGBecomesRed() throws {
        let decoded = try ImageDecoder.decode(TestImages.cmykJPEG, maxPixels: 10_000)
        #expect(decoded.width == 16 && decoded.height == 16)
        let red = PixelBuffer(width: 16, height: 16, fill: (255, 0, 0))
        #expect(TestImages.meanAbsoluteError(decoded, red) < 3)
    }

    @Test func progressiveJPEG() throws {
        let decoded = try ImageDecoder.decode(TestImages.progressiveJPEG, maxPixels: 10_000)
        var rgb: [UInt8] = []
        for y in 0..<32 { for x in 0..<32 { rgb += [UInt8(x * 8), UInt8(y * 8), 128] } }
        #expect(TestImages.meanAbsoluteError(decoded, PixelBuffer(width: 32, height: 32, rgb: rgb)) < 4)
    }

    @Test func losslessWebPWithAlphaDropsAlpha() throws {
        let header = try ImageInspector.inspect(TestImages.losslessWebP, maxPixels: 1000)
        #expect(header == ImageHeader(format: .webp, width: 16, height: 16))
        let decoded = try ImageDecoder.decode(TestImages.losslessWebP, maxPixels: 1000)
        #expect(Array(decoded.rgb[0..<3]) == [200, 100, 50])
    }

    @Test func decodeRespectsTheLimit() {
        #expect(throws: ImageCodecError.tooManyPixels(width: 32, height: 24, limit: 100)) {
            try ImageDecoder.decode(TestImages.grayJPEG, maxPixels: 100)
        }
    }

    static func expectedGray(width: Int, height: Int, _ value: (Int, Int) -> Int) -> PixelBuffer {
        var rgb: [UInt8] = []
        for y in 0..<height {
            for x in 0..<width {
                let v = UInt8(value(x, y))
                rgb += [v, v, v]
            }
        }
        return PixelBuffer(width: width, height: height, rgb: rgb)
    }
}
