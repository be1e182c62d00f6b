import Testing

@testable import ImageCodecs

/// The fast PNG decoder against libpng: the same bytes for every file it takes, and for every
/// damaged or unusual file the answer libpng gives (it declines, libpng decides).
@Suite("The fast PNG decoder decodes as libpng does")
struct FastPNGDecoderTests {
    /// The PNG row filters (PNG spec §9.2) applied to `pixels` (`channels` bytes per pixel), one
    /// filter type per row as `filter(y)` says; filter byte first in each row.
    static func filtered(_ pixels: [UInt8], width: Int, height: Int, channels: Int, filter: (Int) -> UInt8)
        -> [UInt8]
    {
        let stride = width * channels
        var out: [UInt8] = []
        out.reserveCapacity((stride + 1) * height)
        for y in 0..<height {
            let type = filter(y)
            out.append(type)
            for i in 0..<stride {
                let x = Int(pixels[y * stride + i])
                let a = i >= channels ? Int(pixels[y * stride + i - channels]) : 0
                let b = y > 0 ? Int(pixels[(y - 1) * stride + i]) : 0
                let c = y > 0 && i >= channels ? Int(pixels[(y - 1) * stride + i - channels]) : 0
                let predictor: Int
                switch type {
                case 1: predictor = a
                case 2: predictor = b
                case 3: predictor = (a + b) / 2
                case 4:
                    let (pa, pb, pc) = (abs(b - c), abs(a - c), abs(a + b - 2 * c))
                    predictor = pa <= pb && pa <= pc ? a : (pb <= pc ? b : c)
                default: predictor = 0
                }
                out.append(UInt8(truncatingIfNeeded: x - predictor))
            }
        }
        return out
    }

    /// A PNG of `pixels` with its zlib stream (stored blocks) cut into IDAT chunks of `idatSize`.
    static func png(
        _ pixels: [UInt8], width: Int, height: Int, channels: Int, idatSize: Int, extraChunks: [[UInt8]] = [],
        filter: (Int) -> UInt8
    ) -> [UInt8] {
        let stream = PNGFixture.zlibStored(
            filtered(pixels, width: width, height: height, channels: channels, filter: filter))
        var file =
            PNGFixture.signature + PNGFixture.ihdr(width: width, height: height, colorType: channels == 4 ? 6 : 2)
        file += extraChunks.flatMap { $0 }
        for start in stride(from: 0, to: stream.count, by: idatSize) {
            file += PNGFixture.chunk("IDAT", Array(stream[start..<min(stream.count, start + idatSize)]))
        }
        return file + PNGFixture.chunk("IEND", [])
    }

    /// Pixels with smooth runs, noise and full-range jumps (alpha too: 0, 255 and between).
    static func pixels(width: Int, height: Int, channels: Int, seed: UInt64) -> [UInt8] {
        var random = SplitMix(seed: seed)
        return (0..<width * height * channels).map { i in
            let x = i / channels % width
            let y = i / channels / width
            switch random.next() % 4 {
            case 0: return UInt8(truncatingIfNeeded: random.next())
            case 1: return i % channels == 3 ? 255 : UInt8(truncatingIfNeeded: x * 7 + y * 3)
            default: return UInt8(truncatingIfNeeded: x * 5 + y * 11 + i % channels * 60)
            }
        }
    }

    static func header(_ file: [UInt8]) -> ImageHeader {
        ImageHeader(format: .png, width: PNGFixture.readBE32(file, at: 16), height: PNGFixture.readBE32(file, at: 20))
    }

    /// libpng's answer and the fast path's: the same pixels, or the same error.
    static func expectSameAnswer(_ file: [UInt8], fastMustTakeIt: Bool, _ comment: Comment) {
        let header = header(file)
        let libpng = Result { () throws(ImageCodecError) in try PNGCodec.decodeWithLibpng(file, header: header) }
        let fast = PNGCodec.decodeFast(file, header: header)
        if fastMustTakeIt { #expect(fast != nil, comment) }
        if let fast {
            #expect(libpng == .success(fast), comment)
        }
        let combined = Result { () throws(ImageCodecError) in try PNGCodec.decode(file, header: header) }
        #expect(combined == libpng, comment)
    }

    @Test(arguments: [3, 4])
    func everyFilterSizeAndIDATSplit(channels: Int) {
        let sizes = [(1, 1), (2, 1), (1, 2), (3, 3), (7, 5), (64, 64), (255, 2), (1025, 3), (3, 1025)]
        var random = SplitMix(seed: 3)
        for (width, height) in sizes {
            let pixels = Self.pixels(width: width, height: height, channels: channels, seed: UInt64(width * height))
            let rowFilters = (0..<height).map { _ in UInt8(random.next() % 5) }
            for filterMode in 0...5 {
                for idatSize in [1, 7, 4096, 1 << 30] {
                    let file = Self.png(
                        pixels, width: width, height: height, channels: channels, idatSize: idatSize
                    ) { y in filterMode == 5 ? rowFilters[y] : UInt8(filterMode) }
                    Self.expectSameAnswer(
                        file, fastMustTakeIt: true,
                        "\(width)×\(height)×\(channels) filter \(filterMode) IDAT \(idatSize)")
                }
            }
        }
    }

    /// Files from real deflaters: libpng + zlib with its adaptive filters (Paeth and Average rows
    /// on a photo-like picture), and the mock's own segmented encoder, RGB and RGBA.
    @Test func compressedFilesFromLibpngAndTheMocksEncoder() throws {
        let image = TestImages.realistic(width: 300, height: 120, seed: 8)
        var alpha: [UInt8] = []
        for y in 0..<image.height { for x in 0..<image.width { alpha.append(UInt8((x * 3 + y) % 256)) } }
        let settings: [PNGCompression] = [
            .standard, .zlibRunLength, .stored,
            PNGCompression(level: 6, strategy: .standard, filters: .all),
            PNGCompression(level: 9, strategy: .filtered, filters: [.average, .paeth]),
            PNGCompression(level: 1, strategy: .huffmanOnly, filters: .sub),
            PNGCompression(level: 3, strategy: .fixed, filters: .paeth),
        ]
        for compression in settings {
            let rgb = try PNGCodec.encode(image, parameters: ParametersText("a caption"), compression: compression)
            Self.expectSameAnswer(rgb, fastMustTakeIt: true, "RGB \(compression)")
            let rgba = try PNGCodec.encode(
                image, alpha: alpha, parameters: ParametersText(""), compression: compression)
            Self.expectSameAnswer(rgba, fastMustTakeIt: true, "RGBA \(compression)")
            #expect(try ImageDecoder.decode(rgb, maxPixels: 1 << 20) == image)
        }
    }

    /// What it leaves to libpng: other colour types and depths, interlacing, tRNS, a zlib window
    /// under 32 KiB (libpng writes those for small images).
    @Test func declinesWhatItDoesNotTake() throws {
        let sample: (Int, Int) -> [Int] = { x, y in [x * 40 % 256, y * 30 % 256, 77] }
        let files: [(String, [UInt8])] = [
            (
                "interlaced",
                PNGFixture.make(width: 9, height: 9, bitDepth: 8, colorType: 2, interlaced: true, sample: sample)
            ),
            ("16-bit", PNGFixture.make(width: 9, height: 9, bitDepth: 16, colorType: 2) { x, y in [x * 999, y, 5] }),
            ("grey", PNGFixture.make(width: 9, height: 9, bitDepth: 8, colorType: 0) { x, _ in [x] }),
            ("grey + alpha", PNGFixture.make(width: 9, height: 9, bitDepth: 8, colorType: 4) { x, _ in [x, 9] }),
            (
                "tRNS",
                PNGFixture.make(
                    width: 9, height: 9, bitDepth: 8, colorType: 2,
                    extraChunks: [PNGFixture.chunk("tRNS", [0, 0, 0, 80, 0, 77])], sample: sample)
            ),
            (
                "small window",
                try PNGCodec.encode(
                    TestImages.realistic(width: 20, height: 20), parameters: ParametersText(""),
                    compression: .zlibRunLength)
            ),
        ]
        for (name, file) in files {
            #expect(PNGCodec.decodeFast(file, header: Self.header(file)) == nil, "\(name)")
            Self.expectSameAnswer(file, fastMustTakeIt: false, "\(name)")
        }
    }

    /// Damage behind valid CRCs and damage to the CRCs: each gets libpng's answer (most are
    /// refused; a few, such as a CRC error in an ancillary chunk, libpng accepts).
    @Test func damagedFilesGetLibpngsAnswer() {
        let (width, height) = (40, 30)
        let pixels = Self.pixels(width: width, height: height, channels: 3, seed: 1)
        let rows = Self.filtered(pixels, width: width, height: height, channels: 3) { UInt8($0 % 5) }
        let stream = PNGFixture.zlibStored(rows)
        let ihdr = PNGFixture.signature + PNGFixture.ihdr(width: width, height: height)
        let iend = PNGFixture.chunk("IEND", [])
        let text = PNGFixture.chunk("tEXt", Array("k\0v".utf8))
        func file(_ stream: [UInt8], before: [UInt8] = [], after: [UInt8] = []) -> [UInt8] {
            ihdr + before + PNGFixture.chunk("IDAT", stream) + after + iend
        }
        var badFilter = rows
        badFilter[(width * 3 + 1) * 7] = 5
        var badAdler = stream
        badAdler[badAdler.count - 1] ^= 1
        var badCRC = file(stream)
        badCRC[badCRC.count - 13] ^= 1
        var badTextCRC = file(stream, before: text)
        badTextCRC[33 + text.count - 1] ^= 1
        var corruptDeflate = stream
        corruptDeflate[2] = 0x07  // block type 3
        let cases: [(String, [UInt8])] = [
            ("valid", file(stream)),
            ("too little data", file(PNGFixture.zlibStored(Array(rows.dropLast(5))))),
            ("too much data", file(PNGFixture.zlibStored(rows + [0, 0, 0]))),
            ("data after the zlib stream", file(stream + [1, 2, 3])),
            ("stream cut short", file(Array(stream.dropLast(9)))),
            ("no zlib trailer", file(Array(stream.dropLast(4)))),
            ("bad filter type", file(PNGFixture.zlibStored(badFilter))),
            ("bad Adler-32", file(badAdler)),
            ("invalid deflate block", file(corruptDeflate)),
            ("preset dictionary", file([0x78, 0xBB] + stream.dropFirst(2))),
            ("IDAT CRC mismatch", badCRC),
            ("ancillary CRC mismatch", badTextCRC),
            ("no IEND", Array(file(stream).dropLast(12))),
            (
                "IDAT split by a chunk",
                ihdr + PNGFixture.chunk("IDAT", Array(stream.prefix(100))) + text
                    + PNGFixture.chunk("IDAT", Array(stream.dropFirst(100))) + iend
            ),
            ("IDAT after the image", file(stream, after: PNGFixture.chunk("IDAT", [0x78]))),
            ("empty IDAT after the image", file(stream, after: PNGFixture.chunk("IDAT", []))),
            (
                "two PLTE",
                file(stream, before: PNGFixture.chunk("PLTE", [1, 2, 3]) + PNGFixture.chunk("PLTE", [1, 2, 3]))
            ),
            ("one PLTE", file(stream, before: PNGFixture.chunk("PLTE", [1, 2, 3]))),
            ("PLTE after the image", file(stream, after: PNGFixture.chunk("PLTE", [1, 2, 3]))),
            ("unknown critical chunk", file(stream, before: PNGFixture.chunk("ABCD", [1]))),
            ("unknown ancillary chunk", file(stream, before: PNGFixture.chunk("abCd", [1]), after: text)),
            ("IHDR again", file(stream, after: PNGFixture.ihdr(width: width, height: height))),
        ]
        for (name, damaged) in cases {
            Self.expectSameAnswer(damaged, fastMustTakeIt: name == "valid", "\(name)")
        }
    }

    /// Random damage inside chunks with their CRCs made right again, and cuts: libpng's answer each time.
    @Test(arguments: [3, 4])
    func randomDamageBehindValidCRCs(channels: Int) throws {
        let image = TestImages.realistic(width: 200, height: 90, seed: 4)
        let alpha = (0..<200 * 90).map { UInt8($0 % 256) }
        let compression = PNGCompression(level: 6, strategy: .standard, filters: .all)
        var original = try PNGCodec.encode(
            image, alpha: channels == 4 ? alpha : nil, parameters: ParametersText("x"), compression: compression)
        // Two IDAT chunks, so damage can fall on the seam. (Over 16 KiB of rows: libpng keeps the
        // 32 KiB window the fast decoder takes.)
        original = Self.resplitIDAT(original, at: 500)
        Self.expectSameAnswer(original, fastMustTakeIt: true, "undamaged")
        var random = SplitMix(seed: UInt64(channels))
        for round in 0..<400 {
            var damaged = original
            if round % 10 == 9 {
                damaged = Array(damaged.prefix(Int(random.next() % UInt64(damaged.count))))
            } else {
                for _ in 0..<1 + Int(random.next() % 3) {
                    let index = 33 + Int(random.next() % UInt64(damaged.count - 33 - 12))
                    damaged[index] ^= UInt8(truncatingIfNeeded: 1 + random.next() % 255)
                }
                damaged = PNGFixture.fixingCRCs(damaged)
            }
            guard damaged.count >= 33 else { continue }
            Self.expectSameAnswer(damaged, fastMustTakeIt: false, "round \(round)")
        }
    }

    /// `file` with its one IDAT chunk cut in two at `offset` into the data.
    static func resplitIDAT(_ file: [UInt8], at offset: Int) -> [UInt8] {
        var position = 8
        while position + 8 <= file.count {
            let length = PNGFixture.readBE32(file, at: position)
            if file[position + 4..<position + 8].elementsEqual("IDAT".utf8), length > offset {
                let data = Array(file[position + 8..<position + 8 + length])
                return Array(file[..<position]) + PNGFixture.chunk("IDAT", Array(data.prefix(offset)))
                    + PNGFixture.chunk("IDAT", Array(data.dropFirst(offset))) + Array(file[(position + 12 + length)...])
            }
            position += 12 + length
        }
        return file
    }
}
