import ImageCodecs
import Testing

/// The mock's own PNG writer (`PNGCompression.Deflater.segmentedHuffman`), read back by libpng and
/// zlib (a decoder it shares no code with): lossless across segment borders, long runs, noise and
/// every filter it takes; deterministic; not bigger than stored on noise.
@Suite("Segmented PNG encoder")
struct SegmentedPNGTests {
    enum Content: CaseIterable, Sendable {
        case noise, flat, realistic, stripes
    }

    static func image(_ content: Content, width: Int, height: Int) -> PixelBuffer {
        switch content {
        case .realistic:
            return TestImages.realistic(width: width, height: height, seed: 99)
        case .flat:
            return PixelBuffer(width: width, height: height, fill: (7, 7, 7))
        case .noise:
            var random = SplitMix(seed: 5)
            let bytes = (0..<(width * height * 3)).map { _ in UInt8(truncatingIfNeeded: random.next()) }
            return PixelBuffer(width: width, height: height, rgb: bytes)
        case .stripes:
            // Runs of every length around deflate's 3…258, broken by single bytes.
            let bytes = (0..<(width * height * 3)).map {
                UInt8(truncatingIfNeeded: ($0 / 97) * 31 + ($0 % 301 == 0 ? 1 : 0))
            }
            return PixelBuffer(width: width, height: height, rgb: bytes)
        }
    }

    static let filters: [PNGCompression.Filters] = [.none, .sub, .up]

    /// 1 row, 1 column, exactly one segment (256 rows), one row past it, three segments.
    @Test(arguments: Content.allCases, [(1, 1), (300, 1), (1, 300), (33, 256), (129, 257), (700, 520)])
    func losslessForEveryFilter(content: Content, size: (Int, Int)) throws {
        let picture = Self.image(content, width: size.0, height: size.1)
        for filters in Self.filters {
            let compression = PNGCompression(
                level: 1, strategy: .runLength, filters: filters, deflater: .segmentedHuffman)
            let bytes = try ImageEncoder.encodePNG(picture, parameters: "a fox, Seed: 1", compression: compression)
            #expect(try ImageDecoder.decode(bytes, maxPixels: 1 << 20) == picture, "\(content) \(size) \(filters)")
            #expect(ImageMetadataReader.parameters(in: bytes) == "a fox, Seed: 1")
        }
    }

    @Test func noiseStaysWithinAFewBytesPerSegmentOfStored() throws {
        let picture = Self.image(.noise, width: 512, height: 512)
        let standard = try ImageEncoder.encodePNG(picture, parameters: "", compression: .standard)
        let stored = try ImageEncoder.encodePNG(picture, parameters: "", compression: .stored)
        #expect(Double(standard.count) < Double(stored.count) * 1.005, "\(standard.count) vs stored \(stored.count)")
    }

    @Test func smoothContentCompressesLikeZlibRunLength() throws {
        let picture = Self.image(.realistic, width: 512, height: 512)
        let standard = try ImageEncoder.encodePNG(picture, parameters: "", compression: .standard)
        let zlib = try ImageEncoder.encodePNG(picture, parameters: "", compression: .zlibRunLength)
        #expect(Double(standard.count) < Double(zlib.count) * 1.1, "\(standard.count) vs zlib Z_RLE \(zlib.count)")
    }

    @Test func sameBytesEveryTime() throws {
        let picture = Self.image(.realistic, width: 300, height: 1100)
        let first = try ImageEncoder.encode(picture, as: .png, parameters: "x")
        for _ in 0..<3 { #expect(try ImageEncoder.encode(picture, as: .png, parameters: "x") == first) }
    }

    /// UTF-8 parameters go in an iTXt chunk, Latin-1 ones in tEXt, as with libpng.
    @Test func textChunksAsLibpngWritesThem() throws {
        let picture = Self.image(.realistic, width: 16, height: 16)
        for text in ["café, Seed: 1", "日本の灯台"] {
            let ours = try ImageEncoder.encodePNG(picture, parameters: text, compression: .standard)
            let libpng = try ImageEncoder.encodePNG(picture, parameters: text, compression: .zlibRunLength)
            #expect(ImageMetadataReader.parameters(in: ours) == text)
            #expect(chunks(ours) == chunks(libpng), "IHDR and the text chunk alike")
        }
    }

    @Test func rejectsFiltersItCannotApply() {
        for filters: PNGCompression.Filters in [.paeth, .average, .all, [.sub, .up]] {
            #expect(throws: ImageCodecError.self) {
                try ImageEncoder.encodePNG(
                    Self.image(.flat, width: 4, height: 4), parameters: "",
                    compression: PNGCompression(
                        level: 1, strategy: .runLength, filters: filters, deflater: .segmentedHuffman))
            }
        }
    }

    /// The chunks before the first IDAT: (type, data).
    private func chunks(_ png: [UInt8]) -> [[UInt8]] {
        var result: [[UInt8]] = []
        var at = 8
        while at + 12 <= png.count {
            let length = png[at..<(at + 4)].reduce(0) { $0 << 8 | Int($1) }
            let chunk = Array(png[(at + 4)..<(at + 8 + length)])
            if chunk.starts(with: Array("IDAT".utf8)) { break }
            result.append(chunk)
            at += 12 + length
        }
        return result
    }
}
