/// Builds PNG files by hand (stored deflate, filter type 0) so tests can make every colour type,
/// bit depth and interlacing without an image library.
enum PNGFixture {
    static let signature: [UInt8] = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]

    static let crcTable: [UInt32] = (0..<256).map { n in
        var c = UInt32(n)
        for _ in 0..<8 { c = c & 1 != 0 ? 0xEDB8_8320 ^ (c >> 1) : c >> 1 }
        return c
    }

    static func crc32(_ bytes: [UInt8]) -> UInt32 {
        var c: UInt32 = 0xFFFF_FFFF
        for byte in bytes { c = crcTable[Int((c ^ UInt32(byte)) & 0xFF)] ^ (c >> 8) }
        return c ^ 0xFFFF_FFFF
    }

    static func be32(_ value: Int) -> [UInt8] {
        [UInt8((value >> 24) & 0xFF), UInt8((value >> 16) & 0xFF), UInt8((value >> 8) & 0xFF), UInt8(value & 0xFF)]
    }

    static func readBE32(_ bytes: [UInt8], at offset: Int) -> Int {
        Int(bytes[offset]) << 24 | Int(bytes[offset + 1]) << 16 | Int(bytes[offset + 2]) << 8 | Int(bytes[offset + 3])
    }

    /// `file` with the CRC of every whole chunk after the signature recomputed.
    static func fixingCRCs(_ file: [UInt8]) -> [UInt8] {
        var fixed = file
        var position = 8
        while position + 12 <= fixed.count {
            let length = readBE32(fixed, at: position)
            guard length <= fixed.count - position - 12 else { break }
            let crc = be32(Int(crc32(Array(fixed[position + 4..<position + 8 + length]))))
            fixed.replaceSubrange(position + 8 + length..<position + 12 + length, with: crc)
            position += 12 + length
        }
        return fixed
    }

    static func chunk(_ type: String, _ data: [UInt8]) -> [UInt8] {
        let body = Array(type.utf8) + data
        return be32(data.count) + body + be32(Int(crc32(body)))
    }

    static func ihdr(width: Int, height: Int, bitDepth: UInt8 = 8, colorType: UInt8 = 2, interlace: UInt8 = 0)
        -> [UInt8]
    {
        chunk("IHDR", be32(width) + be32(height) + [bitDepth, colorType, 0, 0, interlace])
    }

    /// A zlib stream of stored blocks.
    static func zlibStored(_ data: [UInt8]) -> [UInt8] {
        var out: [UInt8] = [0x78, 0x01]
        var offset = 0
        repeat {
            let length = min(65535, data.count - offset)
            let final: UInt8 = offset + length == data.count ? 1 : 0
            out += [
                final, UInt8(length & 0xFF), UInt8(length >> 8), UInt8(~length & 0xFF), UInt8((~length >> 8) & 0xFF),
            ]
            out += data[offset..<offset + length]
            offset += length
        } while offset < data.count
        var a: UInt32 = 1
        var b: UInt32 = 0
        for byte in data {
            a = (a + UInt32(byte)) % 65521
            b = (b + a) % 65521
        }
        return out + be32(Int(b << 16 | a))
    }

    /// Packs one row of samples (each < 2^bitDepth) into bytes, MSB first.
    static func packRow(_ samples: [Int], bitDepth: Int) -> [UInt8] {
        switch bitDepth {
        case 16: return samples.flatMap { [UInt8($0 >> 8), UInt8($0 & 0xFF)] }
        case 8: return samples.map { UInt8($0) }
        default:
            var out: [UInt8] = []
            var current = 0
            var used = 0
            for sample in samples {
                current = current << bitDepth | sample
                used += bitDepth
                if used == 8 {
                    out.append(UInt8(current))
                    current = 0
                    used = 0
                }
            }
            if used > 0 { out.append(UInt8(current << (8 - used))) }
            return out
        }
    }

    /// A complete PNG. `sample(x, y)` gives the samples of one pixel (channels of the colour type).
    static func make(
        width: Int, height: Int, bitDepth: Int, colorType: UInt8, interlaced: Bool = false,
        extraChunks: [[UInt8]] = [], sample: (Int, Int) -> [Int]
    ) -> [UInt8] {
        var raw: [UInt8] = []
        let passes: [(x0: Int, y0: Int, dx: Int, dy: Int)] =
            interlaced
            ? [(0, 0, 8, 8), (4, 0, 8, 8), (0, 4, 4, 8), (2, 0, 4, 4), (0, 2, 2, 4), (1, 0, 2, 2), (0, 1, 1, 2)]
            : [(0, 0, 1, 1)]
        for pass in passes {
            guard pass.x0 < width, pass.y0 < height else { continue }
            for y in stride(from: pass.y0, to: height, by: pass.dy) {
                let samples = stride(from: pass.x0, to: width, by: pass.dx).flatMap { sample($0, y) }
                raw.append(0)
                raw += packRow(samples, bitDepth: bitDepth)
            }
        }
        var file = signature
        file += ihdr(
            width: width, height: height, bitDepth: UInt8(bitDepth), colorType: colorType,
            interlace: interlaced ? 1 : 0)
        for extra in extraChunks { file += extra }
        file += chunk("IDAT", zlibStored(raw))
        file += chunk("IEND", [])
        return file
    }
}
