import ImageCodecs
import Testing

@Suite("Generation parameters embedded and read back")
struct MetadataTests {
    static let image = TestImages.realistic(width: 40, height: 30)
    static let a1111 =
        "a cat on a sofa\nNegative prompt: blurry\nSteps: 20, Sampler: Euler a, CFG scale: 7.5, Seed: 123, Size: 512x512, Model: sd_xl_base_1.0.safetensors, Denoising strength: 0.5"
    static let texts = [
        a1111, "crème brûlée, Seed: 5", "猫 café", "emoji 🦊 fox\nline two",
        String(repeating: "long prompt ", count: 210),
    ]

    @Test(arguments: ImageFormat.allCases, texts)
    func readsBack(format: ImageFormat, text: String) throws {
        let bytes = try ImageEncoder.encode(Self.image, as: format, parameters: text)
        #expect(ImageMetadataReader.parameters(in: bytes) == text)
        _ = try ImageDecoder.decode(bytes, maxPixels: 10_000)
    }

    @Test func pngUsesTEXtForLatin1AndITXtOtherwise() throws {
        let latin = try ImageEncoder.encode(Self.image, as: .png, parameters: "crème")
        #expect(chunkNames(latin).contains("tEXt"))
        #expect(!chunkNames(latin).contains("iTXt"))
        // Latin-1 bytes, not UTF-8: "è" is the single byte 0xE8.
        #expect(contains(latin, Array("parameters".utf8) + [0] + [0x63, 0x72, 0xE8, 0x6D, 0x65]))
        let cjk = try ImageEncoder.encode(Self.image, as: .png, parameters: "猫 café")
        #expect(chunkNames(cjk).contains("iTXt"))
        #expect(!chunkNames(cjk).contains("tEXt"))
        #expect(chunkNames(cjk).firstIndex(of: "iTXt")! < chunkNames(cjk).firstIndex(of: "IDAT")!)
        #expect(!chunkNames(cjk).contains("tIME"))
    }

    @Test func exifCharacterCodes() throws {
        let ascii = try ImageEncoder.encode(Self.image, as: .jpeg, parameters: "plain")
        #expect(contains(ascii, Array("ASCII".utf8) + [0, 0, 0] + Array("plain".utf8)))
        #expect(Array(ascii[0..<4]) == [0xFF, 0xD8, 0xFF, 0xE1])
        let unicode = try ImageEncoder.encode(Self.image, as: .webp, parameters: "猫")
        // UNICODE\0 then UTF-16LE: 猫 = U+732B.
        #expect(contains(unicode, Array("UNICODE".utf8) + [0, 0x2B, 0x73]))
        #expect(Array(unicode[12..<16]) == Array("VP8X".utf8))
        #expect(contains(unicode, Array("EXIF".utf8)))
    }

    @Test func nulCharactersAreDropped() throws {
        let bytes = try ImageEncoder.encode(Self.image, as: .png, parameters: "a\u{0}b")
        #expect(ImageMetadataReader.parameters(in: bytes) == "ab")
    }

    @Test(arguments: [ImageFormat.jpeg, .webp])
    func overlongTextIsCutToFitAnAPP1(format: ImageFormat) throws {
        let ascii = String(repeating: "x", count: 70_000)
        let asciiBytes = try ImageEncoder.encode(Self.image, as: format, parameters: ascii)
        let readASCII = try #require(ImageMetadataReader.parameters(in: asciiBytes))
        #expect(readASCII.count == 65_475 && ascii.hasPrefix(readASCII))
        let wide = String(repeating: "猫🦊", count: 20_000)
        let wideBytes = try ImageEncoder.encode(Self.image, as: format, parameters: wide)
        let readWide = try #require(ImageMetadataReader.parameters(in: wideBytes))
        #expect(wide.hasPrefix(readWide) && readWide.utf16.count * 2 <= 65_475 && readWide.count > 10_000)
        _ = try ImageDecoder.decode(wideBytes, maxPixels: 10_000)
    }

    @Test func readerIgnoresGarbage() {
        #expect(ImageMetadataReader.parameters(in: []) == nil)
        #expect(ImageMetadataReader.parameters(in: Array(repeating: 0xFF, count: 100)) == nil)
        #expect(ImageMetadataReader.parameters(in: TestImages.grayJPEG) == nil)
    }

    @Test func readsCompressedPNGText() {
        // zTXt with keyword parameters, method 0, zlib stream of "hi" (stored block).
        let ztxt = PNGFixture.chunk(
            "zTXt", Array("parameters".utf8) + [0, 0] + PNGFixture.zlibStored(Array("hi".utf8)))
        let png = PNGFixture.make(width: 1, height: 1, bitDepth: 8, colorType: 0, extraChunks: [ztxt]) { _, _ in [9] }
        #expect(ImageMetadataReader.parameters(in: png) == "hi")
    }

    func chunkNames(_ png: [UInt8]) -> [String] {
        var names: [String] = []
        var offset = 8
        while offset + 8 <= png.count {
            let length =
                Int(png[offset]) << 24 | Int(png[offset + 1]) << 16 | Int(png[offset + 2]) << 8 | Int(png[offset + 3])
            names.append(String(decoding: png[offset + 4..<offset + 8], as: UTF8.self))
            offset += 12 + length
        }
        return names
    }

    func contains(_ haystack: [UInt8], _ needle: [UInt8]) -> Bool {
        guard needle.count <= haystack.count else { return false }
        for start in 0...(haystack.count - needle.count)
        where haystack[start..<start + needle.count].elementsEqual(needle) {
            return true
        }
        return false
    }
}
