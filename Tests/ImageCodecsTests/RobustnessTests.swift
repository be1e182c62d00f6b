import ImageCodecs
import Testing

@Suite("Damaged input gives errors, never crashes")
struct RobustnessTests {
    static let image = TestImages.realistic(width: 64, height: 48, seed: 11)

    static func file(_ format: ImageFormat) throws -> [UInt8] {
        try ImageEncoder.encode(image, as: format, parameters: "damage test 猫")
    }

    @Test(arguments: ImageFormat.allCases)
    func truncatedFilesFail(format: ImageFormat) throws {
        let bytes = try Self.file(format)
        var cuts = [1, 2, 3, 7, 8, 11, 12, 16, 20, 30, 33, 40, 60, 100, 200]
        cuts += [
            bytes.count / 4, bytes.count / 2, bytes.count * 3 / 4, bytes.count - 20, bytes.count - 3, bytes.count - 1,
        ]
        for cut in cuts where cut < bytes.count {
            let prefix = Array(bytes.prefix(cut))
            #expect(throws: ImageCodecError.self, "cut at \(cut)") {
                try ImageDecoder.decode(prefix, maxPixels: 1 << 20)
            }
            #expect(throws: ImageCodecError.self, "cut at \(cut)") {
                _ = try ImageInspector.inspect(prefix, maxPixels: 1 << 20)
            }
        }
        // Cut well inside the data: reported as truncation specifically.
        #expect(throws: ImageCodecError.truncated(format)) {
            _ = try ImageInspector.inspect(Array(bytes.prefix(bytes.count / 2)), maxPixels: 1 << 20)
        }
    }

    @Test(arguments: ImageFormat.allCases)
    func flippedBytesNeverCrash(format: ImageFormat) throws {
        let bytes = try Self.file(format)
        var random = SplitMix(seed: 99)
        for _ in 0..<150 {
            var damaged = bytes
            for _ in 0..<Int(1 + random.next() % 4) {
                let index = Int(random.next() % UInt64(damaged.count))
                damaged[index] ^= UInt8(truncatingIfNeeded: 1 + random.next() % 255)
            }
            // Either outcome is fine; it must not crash, and success must have the right size.
            if let decoded = try? ImageDecoder.decode(damaged, maxPixels: 1 << 20) {
                #expect(decoded.rgb.count == decoded.width * decoded.height * 3)
            }
            _ = ImageMetadataReader.parameters(in: damaged)
        }
    }

    /// Damage inside IDAT with the CRC recomputed, so libpng itself meets the bad data
    /// (exercises the setjmp error path in the C shim).
    @Test func pngDamageBehindValidCRCsReachesLibpng() throws {
        let bytes = try ImageEncoder.encode(Self.image, as: .png, parameters: "")
        func length(at offset: Int) -> Int {
            Int(bytes[offset]) << 24 | Int(bytes[offset + 1]) << 16 | Int(bytes[offset + 2]) << 8
                | Int(bytes[offset + 3])
        }
        var idat = 8
        while String(decoding: bytes[idat + 4..<idat + 8], as: UTF8.self) != "IDAT" { idat += 12 + length(at: idat) }
        let length = length(at: idat)
        var random = SplitMix(seed: 17)
        var failures = 0
        for _ in 0..<100 {
            var damaged = bytes
            for _ in 0..<3 {
                let index = idat + 8 + Int(random.next() % UInt64(length))
                damaged[index] ^= UInt8(truncatingIfNeeded: 1 + random.next() % 255)
            }
            let crc = PNGFixture.be32(Int(PNGFixture.crc32(Array(damaged[idat + 4..<idat + 8 + length]))))
            damaged.replaceSubrange(idat + 8 + length..<idat + 12 + length, with: crc)
            do {
                let decoded = try ImageDecoder.decode(damaged, maxPixels: 1 << 20)
                #expect(decoded.rgb.count == decoded.width * decoded.height * 3)
            } catch {
                failures += 1
                if case .corrupt(.png, _) = error {} else { Issue.record("unexpected error \(error)") }
            }
        }
        #expect(failures > 0)
    }

    @Test func randomGarbage() {
        var random = SplitMix(seed: 5)
        let prefixes: [[UInt8]] = [
            [], [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A], [0xFF, 0xD8, 0xFF],
            Array("RIFF\u{F0}\0\0\0WEBP".utf8),
        ]
        for length in [0, 1, 5, 13, 64, 1000, 5000] {
            for prefix in prefixes {
                let garbage = prefix + (0..<length).map { _ in UInt8(truncatingIfNeeded: random.next()) }
                #expect(throws: ImageCodecError.self) { try ImageDecoder.decode(garbage, maxPixels: 1 << 24) }
                _ = ImageMetadataReader.parameters(in: garbage)
            }
        }
    }

    @Test func pngWithValidStructureButBadDeflateIsCorrupt() {
        let raw =
            PNGFixture.signature + PNGFixture.ihdr(width: 4, height: 4)
            + PNGFixture.chunk("IDAT", [0x78, 0x01, 0xFF, 0xFF, 0xFF, 0xFF]) + PNGFixture.chunk("IEND", [])
        #expect(throws: ImageCodecError.self) { try ImageDecoder.decode(raw, maxPixels: 100) }
        // Too little image data behind valid CRCs.
        let short =
            PNGFixture.signature + PNGFixture.ihdr(width: 4, height: 4)
            + PNGFixture.chunk("IDAT", PNGFixture.zlibStored([0, 1, 2])) + PNGFixture.chunk("IEND", [])
        #expect(throws: ImageCodecError.self) { try ImageDecoder.decode(short, maxPixels: 100) }
    }

    @Test func animatedWebPIsRefused() {
        var vp8x = Array("VP8X".utf8) + [10, 0, 0, 0, 0x02, 0, 0, 0, 3, 0, 0, 3, 0, 0]
        vp8x += Array("ANIM".utf8) + [6, 0, 0, 0, 0, 0, 0, 0, 0, 0]
        let file = Array("RIFF".utf8) + PNGFixture.be32(0).reversed() + Array("WEBP".utf8) + vp8x
        #expect(throws: ImageCodecError.corrupt(.webp, "animated WebP is not supported")) {
            _ = try ImageInspector.inspect(file, maxPixels: 100)
        }
    }
}
