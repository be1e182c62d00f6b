import ImageCodecs
import Testing

@Suite("Header inspection and the pixel limit")
struct InspectorTests {
    static let limit = 16_777_216

    /// A PNG whose IHDR claims `width × height`, padded with an ancillary chunk to about `size` bytes.
    static func claimingPNG(width: Int, height: Int, size: Int = 200) -> [UInt8] {
        var file = PNGFixture.signature + PNGFixture.ihdr(width: width, height: height)
        let padding = max(0, size - file.count - 12 - 12 - 12 - 11)
        file += PNGFixture.chunk("tEXt", Array("Comment".utf8) + [0] + Array(repeating: 0x61, count: padding))
        file += PNGFixture.chunk("IDAT", PNGFixture.zlibStored([0, 0, 0, 0]))
        file += PNGFixture.chunk("IEND", [])
        return file
    }

    @Test func hugeClaimInATinyPNGIsRefusedFromTheHeader() {
        let bytes = Self.claimingPNG(width: 65535, height: 65535)
        #expect(bytes.count <= 220)
        #expect(throws: ImageCodecError.tooManyPixels(width: 65535, height: 65535, limit: Self.limit)) {
            _ = try ImageInspector.inspect(bytes, maxPixels: Self.limit)
        }
        #expect(throws: ImageCodecError.tooManyPixels(width: 65535, height: 65535, limit: Self.limit)) {
            try ImageDecoder.decode(bytes, maxPixels: Self.limit)
        }
    }

    @Test func limitBoundaryIs4096Squared() throws {
        let inside = try ImageInspector.inspect(Self.claimingPNG(width: 4096, height: 4096), maxPixels: Self.limit)
        #expect(inside == ImageHeader(format: .png, width: 4096, height: 4096))
        #expect(throws: ImageCodecError.tooManyPixels(width: 4097, height: 4097, limit: Self.limit)) {
            _ = try ImageInspector.inspect(Self.claimingPNG(width: 4097, height: 4097), maxPixels: Self.limit)
        }
        #expect(throws: ImageCodecError.tooManyPixels(width: 4097, height: 4096, limit: Self.limit)) {
            _ = try ImageInspector.inspect(Self.claimingPNG(width: 4097, height: 4096), maxPixels: Self.limit)
        }
    }

    @Test func hugeClaimsInJPEGAndWebPHeaders() {
        // JPEG: SOI, SOF0 claiming 65535×65535, nothing else.
        let jpeg: [UInt8] =
            [0xFF, 0xD8, 0xFF, 0xC0, 0x00, 0x11, 8, 0xFF, 0xFF, 0xFF, 0xFF, 3]
            + [1, 0x22, 0, 2, 0x11, 1, 3, 0x11, 1] + Array(repeating: 0, count: 180)
        #expect(throws: ImageCodecError.tooManyPixels(width: 65535, height: 65535, limit: Self.limit)) {
            _ = try ImageInspector.inspect(jpeg, maxPixels: Self.limit)
        }
        // WebP VP8L claiming 16384×16384.
        var webp = Array("RIFF".utf8) + [192, 0, 0, 0] + Array("WEBPVP8L".utf8) + [180, 0, 0, 0]
        webp += [0x2F, 0xFF, 0xFF, 0xFF, 0x0F] + Array(repeating: 0, count: 175)
        #expect(throws: ImageCodecError.tooManyPixels(width: 16384, height: 16384, limit: Self.limit)) {
            _ = try ImageInspector.inspect(webp, maxPixels: Self.limit)
        }
    }

    @Test func zeroDimensionsAreCorrupt() {
        #expect(throws: ImageCodecError.corrupt(.png, "zero width or height (0x10)")) {
            _ = try ImageInspector.inspect(Self.claimingPNG(width: 0, height: 10), maxPixels: Self.limit)
        }
    }

    @Test func badCRCIsCorrupt() {
        var bytes = Self.claimingPNG(width: 4, height: 4)
        bytes[50] ^= 0x01  // inside the tEXt payload
        #expect(throws: ImageCodecError.corrupt(.png, "tEXt CRC mismatch")) {
            _ = try ImageInspector.inspect(bytes, maxPixels: Self.limit)
        }
    }

    @Test func pngStructureRules() {
        let ihdr = PNGFixture.signature + PNGFixture.ihdr(width: 2, height: 2)
        let idat = PNGFixture.chunk("IDAT", PNGFixture.zlibStored([0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]))
        let iend = PNGFixture.chunk("IEND", [])
        #expect(throws: ImageCodecError.corrupt(.png, "no IDAT chunk")) {
            _ = try ImageInspector.inspect(ihdr + iend, maxPixels: 100)
        }
        #expect(throws: ImageCodecError.truncated(.png)) { _ = try ImageInspector.inspect(ihdr + idat, maxPixels: 100) }
        #expect(throws: ImageCodecError.corrupt(.png, "first chunk is not IHDR")) {
            _ = try ImageInspector.inspect(PNGFixture.signature + idat + iend, maxPixels: 100)
        }
        #expect(throws: ImageCodecError.corrupt(.png, "unknown critical chunk ABCD")) {
            _ = try ImageInspector.inspect(ihdr + PNGFixture.chunk("ABCD", []) + idat + iend, maxPixels: 100)
        }
        #expect(throws: ImageCodecError.corrupt(.png, "palette image without PLTE")) {
            let palette = PNGFixture.signature + PNGFixture.ihdr(width: 2, height: 2, colorType: 3)
            _ = try ImageInspector.inspect(palette + idat + iend, maxPixels: 100)
        }
        // Trailing bytes after IEND are tolerated.
        #expect(throws: Never.self) { _ = try ImageInspector.inspect(ihdr + idat + iend + [1, 2, 3], maxPixels: 100) }
    }

    @Test func jpegMustEndWithEOIButMayHaveZeroPadding() throws {
        let jpeg = try ImageEncoder.encode(TestImages.realistic(width: 16, height: 16), as: .jpeg, parameters: "")
        #expect(try ImageInspector.inspect(jpeg + [0, 0, 0], maxPixels: 1000).width == 16)
        #expect(throws: ImageCodecError.truncated(.jpeg)) {
            _ = try ImageInspector.inspect(Array(jpeg.dropLast(2)), maxPixels: 1000)
        }
        #expect(throws: ImageCodecError.truncated(.jpeg)) {
            _ = try ImageInspector.inspect(Array(jpeg.dropLast(2)) + [0x12, 0x34], maxPixels: 1000)
        }
    }

    @Test func webpRIFFSizeMustMatchTheFile() throws {
        let webp = try ImageEncoder.encode(TestImages.realistic(width: 16, height: 16), as: .webp, parameters: "x")
        #expect(try ImageInspector.inspect(webp + [0], maxPixels: 1000).width == 16)
        #expect(
            throws: ImageCodecError.corrupt(
                .webp, "RIFF size \(webp.count - 8) disagrees with file length \(webp.count + 2)")
        ) {
            _ = try ImageInspector.inspect(webp + [0, 0], maxPixels: 1000)
        }
        #expect(throws: ImageCodecError.truncated(.webp)) {
            _ = try ImageInspector.inspect(Array(webp.dropLast(1)), maxPixels: 1000)
        }
    }

    @Test func unrecognizedAndShortInputs() {
        for bytes: [UInt8] in [[], [0], Array("GIF89a....".utf8), Array("RIFF\u{4}\0\0\0WAVEfmt ".utf8)] {
            #expect(throws: ImageCodecError.unrecognizedFormat) {
                _ = try ImageInspector.inspect(bytes, maxPixels: 100)
            }
        }
        #expect(throws: ImageCodecError.truncated(.png)) {
            _ = try ImageInspector.inspect([0x89, 0x50, 0x4E, 0x47], maxPixels: 100)
        }
        #expect(throws: ImageCodecError.truncated(.jpeg)) {
            _ = try ImageInspector.inspect([0xFF, 0xD8], maxPixels: 100)
        }
        #expect(throws: ImageCodecError.truncated(.webp)) {
            _ = try ImageInspector.inspect(Array("RIFF\0\0\0\0WE".utf8), maxPixels: 100)
        }
    }
}
