import Testing

@testable import ImageCodecs

/// The segmented PNG writer on random sizes and contents, RGB and RGBA, every filter it takes:
/// libpng decodes each file to the pixels given, every chunk CRC holds, and the zlib stream ends
/// in the Adler-32 of the filtered rows, computed here from the pixels (not from the encoder).
@Suite("Segmented PNG encoder, random sizes")
struct SegmentedPNGFuzzTests {
    static let filters: [PNGCompression.Filters] = [.none, .sub, .up]

    /// Rows of random bytes in runs of random length (1…600) from a few values, with noise: runs
    /// of every length around deflate's 3…258, across rows and segment borders.
    static func bytes(count: Int, random: inout SplitMix) -> [UInt8] {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(count)
        let values: [UInt8] = [0, 1, 255, UInt8(truncatingIfNeeded: random.next())]
        while bytes.count < count {
            let choice = random.next()
            let length = Int(choice % 600) + 1
            if choice % 5 == 0 {
                for _ in 0..<min(length, count - bytes.count) { bytes.append(UInt8(truncatingIfNeeded: random.next())) }
            } else {
                let value = values[Int((choice >> 32) % 4)]
                bytes += repeatElement(value, count: min(length, count - bytes.count))
            }
        }
        return bytes
    }

    /// Encodes with the segmented writer and checks the file as described above.
    static func check(width: Int, height: Int, alpha hasAlpha: Bool, seed: UInt64) throws {
        var random = SplitMix(seed: seed)
        let image = PixelBuffer(
            width: width, height: height, rgb: bytes(count: width * height * 3, random: &random))
        let alpha = hasAlpha ? bytes(count: width * height, random: &random) : nil
        for filters in filters {
            let compression = PNGCompression(
                level: 1, strategy: .runLength, filters: filters, deflater: .segmentedHuffman)
            let png = try PNGCodec.encode(
                image, alpha: alpha, parameters: ParametersText("x"), compression: compression)
            let label = "\(width)x\(height) alpha \(hasAlpha) \(filters)"
            let decoded = try ImageDecoder.decode(png, maxPixels: 1 << 24)
            #expect(decoded == composited(image, alpha: alpha), "\(label)")
            let pixels = alpha.map { AlphaPlane.interleave(image, alpha: $0) } ?? image.rgb
            let filtered = filter(pixels, rowBytes: width * (hasAlpha ? 4 : 3), channels: hasAlpha ? 4 : 3, filters)
            let (crcsHold, stream) = idat(png)
            #expect(crcsHold, "\(label)")
            #expect(Array(stream.suffix(4)) == PNGFixture.be32(Int(adler32(filtered))), "\(label)")
        }
    }

    @Test func extremeShapes() throws {
        for (index, size) in [(1, 1), (3000, 7), (7, 3000), (1, 700), (2, 257), (65, 3), (87, 2)].enumerated() {
            for hasAlpha in [false, true] {
                try Self.check(width: size.0, height: size.1, alpha: hasAlpha, seed: UInt64(index))
            }
        }
    }

    @Test(arguments: 0..<24)
    func randomSizes(seed: Int) throws {
        var random = SplitMix(seed: 1000 + UInt64(seed))
        let width = Int(random.next() % 700) + 1
        let height = Int(random.next() % 600) + 1
        try Self.check(width: width, height: height, alpha: seed % 2 == 1, seed: UInt64(seed))
    }

    /// Stretches of equal bytes 258·k + 0…3 long (runs of 258 and a rest that is a run, or
    /// literals): with filter None a row is a 0, one differing byte, then `rowBytes - 1` equal ones.
    @Test(arguments: [(87, false), (86, false), (259, false), (65, true), (129, true), (194, true)])
    func stretchesAroundMultiplesOf258(width: Int, hasAlpha: Bool) throws {
        let image = PixelBuffer(width: width, height: 300, fill: (9, 9, 9))
        let alpha = hasAlpha ? [UInt8](repeating: 9, count: width * 300) : nil
        for filters in Self.filters {
            let compression = PNGCompression(
                level: 1, strategy: .runLength, filters: filters, deflater: .segmentedHuffman)
            let png = try PNGCodec.encode(image, alpha: alpha, parameters: ParametersText(""), compression: compression)
            #expect(try ImageDecoder.decode(png, maxPixels: 1 << 20) == Self.composited(image, alpha: alpha))
        }
    }

    /// What the project's decoder returns for RGBA: colour composited onto black, rounded.
    static func composited(_ image: PixelBuffer, alpha: [UInt8]?) -> PixelBuffer {
        guard let alpha else { return image }
        let rgb = image.rgb.enumerated().map { index, value in
            UInt8((UInt32(value) * UInt32(alpha[index / 3]) + 127) / 255)
        }
        return PixelBuffer(width: image.width, height: image.height, rgb: rgb)
    }

    /// The PNG row filter of every row, each behind its filter type byte (PNG spec 9).
    static func filter(_ pixels: [UInt8], rowBytes: Int, channels: Int, _ filters: PNGCompression.Filters)
        -> [UInt8]
    {
        var out: [UInt8] = []
        out.reserveCapacity(pixels.count + pixels.count / rowBytes)
        for row in stride(from: 0, to: pixels.count, by: rowBytes) {
            switch filters {
            case .sub:
                out.append(1)
                for i in 0..<rowBytes {
                    out.append(pixels[row + i] &- (i >= channels ? pixels[row + i - channels] : 0))
                }
            case .up:
                out.append(2)
                for i in 0..<rowBytes { out.append(pixels[row + i] &- (row > 0 ? pixels[row + i - rowBytes] : 0)) }
            default:
                out.append(0)
                out += pixels[row..<(row + rowBytes)]
            }
        }
        return out
    }

    static func adler32(_ bytes: [UInt8]) -> UInt32 {
        var a: UInt32 = 1
        var b: UInt32 = 0
        for byte in bytes {
            a = (a + UInt32(byte)) % 65521
            b = (b + a) % 65521
        }
        return b << 16 | a
    }

    /// Whether every chunk's CRC holds, and the IDAT chunks' data joined.
    static func idat(_ png: [UInt8]) -> (Bool, [UInt8]) {
        var stream: [UInt8] = []
        var crcsHold = true
        var at = 8
        while at + 12 <= png.count {
            let length = png[at..<(at + 4)].reduce(0) { $0 << 8 | Int($1) }
            let body = Array(png[(at + 4)..<(at + 8 + length)])
            let crc = png[(at + 8 + length)..<(at + 12 + length)].reduce(0) { $0 << 8 | Int($1) }
            crcsHold = crcsHold && PNGFixture.crc32(body) == UInt32(crc)
            if body.starts(with: Array("IDAT".utf8)) { stream += body.dropFirst(4) }
            at += 12 + length
        }
        return (crcsHold && at == png.count, stream)
    }
}
