import ImageCodecs
import Testing

@Suite("Encoding with an alpha plane")
struct AlphaEncodingTests {
    /// White everywhere; alpha 0 in the left third, 128 in the middle third, 255 on the right.
    static let width = 48
    static let height = 32
    static let image = PixelBuffer(width: width, height: height, fill: (255, 255, 255))
    static let alpha: [UInt8] = (0..<(width * height)).map { i in
        let x = i % width
        return x < width / 3 ? 0 : x < 2 * width / 3 ? 128 : 255
    }

    static func pixel(_ image: PixelBuffer, x: Int, y: Int) -> [UInt8] {
        Array(image.rgb[((y * image.width + x) * 3)..<((y * image.width + x) * 3 + 3)])
    }

    @Test(arguments: ["", "a cut-out fox, Seed: 7"])
    func pngIsColourTypeRGBAAndKeepsTransparency(parameters: String) throws {
        let bytes = try ImageEncoder.encode(Self.image, alpha: Self.alpha, as: .png, parameters: parameters)
        #expect(bytes[24] == 8, "bit depth")
        #expect(bytes[25] == 6, "colour type 6 = RGB + alpha")
        #expect(
            try ImageInspector.inspect(bytes, maxPixels: 1 << 20) == ImageHeader(format: .png, width: 48, height: 32))
        // The project's decoder composites alpha onto black: white at alpha a comes back as a.
        let decoded = try ImageDecoder.decode(bytes, maxPixels: 1 << 20)
        #expect(Self.pixel(decoded, x: 2, y: 5) == [0, 0, 0])
        #expect(Self.pixel(decoded, x: 24, y: 5) == [128, 128, 128])
        #expect(Self.pixel(decoded, x: 45, y: 5) == [255, 255, 255])
    }

    @Test(arguments: ["", "a cut-out fox, Seed: 7"])
    func webpCarriesAnAlphaChunk(parameters: String) throws {
        let bytes = try ImageEncoder.encode(Self.image, alpha: Self.alpha, as: .webp, parameters: parameters)
        #expect(Array(bytes[12..<16]) == Array("VP8X".utf8))
        #expect(bytes[20] & 0x10 != 0, "VP8X alpha flag")
        #expect(Self.chunkNames(bytes).contains("ALPH"))
        #expect(Self.chunkNames(bytes).contains("EXIF") == !parameters.isEmpty)
        let decoded = try ImageDecoder.decode(bytes, maxPixels: 1 << 20)
        #expect(decoded.width == 48 && decoded.height == 32)
    }

    @Test func jpegIsCompositedOverWhite() throws {
        let red = PixelBuffer(width: Self.width, height: Self.height, fill: (200, 0, 0))
        let bytes = try ImageEncoder.encode(red, alpha: Self.alpha, as: .jpeg, parameters: "")
        let decoded = try ImageDecoder.decode(bytes, maxPixels: 1 << 20)
        let transparent = Self.pixel(decoded, x: 4, y: 16).map(Int.init)
        let opaque = Self.pixel(decoded, x: 44, y: 16).map(Int.init)
        #expect(transparent.allSatisfy { $0 >= 245 }, "\(transparent)")
        #expect(abs(opaque[0] - 200) <= 6 && opaque[1] <= 8 && opaque[2] <= 8, "\(opaque)")
    }

    @Test func fullyOpaqueJPEGEqualsThePlainEncode() throws {
        let image = TestImages.realistic(width: 40, height: 24)
        let opaque = [UInt8](repeating: 255, count: 40 * 24)
        #expect(
            try ImageEncoder.encode(image, alpha: opaque, as: .jpeg, parameters: "x")
                == ImageEncoder.encode(image, as: .jpeg, parameters: "x"))
    }

    @Test(arguments: ImageFormat.allCases)
    func sameInputSameBytes(format: ImageFormat) throws {
        let image = TestImages.realistic(width: 64, height: 40, seed: 3)
        let alpha = (0..<(64 * 40)).map { UInt8(truncatingIfNeeded: $0 * 7) }
        #expect(
            try ImageEncoder.encode(image, alpha: alpha, as: format, parameters: "p")
                == ImageEncoder.encode(image, alpha: alpha, as: format, parameters: "p"))
    }

    @Test func refusesAnAlphaPlaneOfTheWrongSize() {
        #expect(throws: ImageCodecError.self) {
            try ImageEncoder.encode(Self.image, alpha: [0, 1, 2], as: .png, parameters: "")
        }
    }

    /// The RIFF chunk names after the 12-byte header.
    static func chunkNames(_ bytes: [UInt8]) -> [String] {
        var names: [String] = []
        var offset = 12
        while offset + 8 <= bytes.count {
            names.append(String(decoding: bytes[offset..<(offset + 4)], as: UTF8.self))
            let length =
                Int(bytes[offset + 4]) | Int(bytes[offset + 5]) << 8 | Int(bytes[offset + 6]) << 16
                | Int(bytes[offset + 7]) << 24
            offset += 8 + length + (length & 1)
        }
        return names
    }
}
