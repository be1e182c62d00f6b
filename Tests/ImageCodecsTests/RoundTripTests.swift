import ImageCodecs
import Testing

@Suite("Encode → inspect → decode round trips")
struct RoundTripTests {
    static let image = TestImages.realistic(width: 96, height: 64, seed: 7)

    @Test(arguments: ImageFormat.allCases)
    func roundTrip(format: ImageFormat) throws {
        let bytes = try ImageEncoder.encode(Self.image, as: format, parameters: "a red fox, Seed: 1")
        let header = try ImageInspector.inspect(bytes, maxPixels: 16_777_216)
        #expect(header == ImageHeader(format: format, width: 96, height: 64))
        #expect(ImageInspector.format(of: bytes) == format)
        let decoded = try ImageDecoder.decode(bytes, maxPixels: 16_777_216)
        #expect(decoded.width == 96 && decoded.height == 64)
        let error = TestImages.meanAbsoluteError(decoded, Self.image)
        switch format {
        case .png: #expect(decoded == Self.image)
        case .jpeg, .webp: #expect(error < 6, "mean abs error \(error)")
        }
    }

    @Test(arguments: ImageFormat.allCases)
    func oddSizesAndEmptyParameters(format: ImageFormat) throws {
        for (width, height) in [(1, 1), (3, 5), (17, 2)] {
            let image = TestImages.realistic(width: width, height: height)
            let bytes = try ImageEncoder.encode(image, as: format, parameters: "")
            let decoded = try ImageDecoder.decode(bytes, maxPixels: 100)
            #expect(decoded.width == width && decoded.height == height)
            #expect(ImageMetadataReader.parameters(in: bytes) == nil)
        }
    }

    @Test(arguments: [PNGCompression.stored, .standard, PNGCompression(level: 9, strategy: .standard, filters: .all)])
    func pngCompressionSettingsAreLossless(compression: PNGCompression) throws {
        let bytes = try ImageEncoder.encodePNG(Self.image, parameters: "x", compression: compression)
        #expect(try ImageDecoder.decode(bytes, maxPixels: 1 << 20) == Self.image)
    }

    @Test func rejectsInvalidCompressionLevel() {
        #expect(throws: ImageCodecError.self) {
            try ImageEncoder.encodePNG(
                Self.image, parameters: "", compression: PNGCompression(level: 12, strategy: .standard, filters: .up))
        }
    }

    @Test func formatNamesAndMediaTypes() {
        #expect(ImageFormat.allCases.map(\.mimeType) == ["image/png", "image/jpeg", "image/webp"])
        #expect(ImageFormat.allCases.map(\.fileExtension) == ["png", "jpeg", "webp"])
    }
}
