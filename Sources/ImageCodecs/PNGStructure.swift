internal import CImageShims

/// The PNG chunk walk behind `ImageInspector` (PNG spec, 3rd ed., §5 and §11.2.2).
enum PNGStructure {
    static func inspect(_ bytes: [UInt8], maxPixels: Int) throws(ImageCodecError) -> ImageHeader {
        // IHDR: length (4) type (4) data (13) CRC (4) right after the 8-byte signature.
        guard bytes.count >= 16 else { throw .truncated(.png) }
        guard bytes.matches(Array("IHDR".utf8), at: 12) else { throw .corrupt(.png, "first chunk is not IHDR") }
        guard bytes.bigEndian32(at: 8) == 13 else { throw .corrupt(.png, "IHDR length is not 13") }
        guard bytes.count >= 33 else { throw .truncated(.png) }
        guard crc(bytes, from: 12, count: 17) == UInt32(bytes.bigEndian32(at: 29)) else {
            throw .corrupt(.png, "IHDR CRC mismatch")
        }
        let width = bytes.bigEndian32(at: 16)
        let height = bytes.bigEndian32(at: 20)
        guard width <= Int(Int32.max), height <= Int(Int32.max) else {
            throw .corrupt(.png, "dimensions exceed 2^31-1")
        }
        try PixelLimit.check(width: width, height: height, format: .png, maxPixels: maxPixels)
        let colorType = bytes[25]
        try checkHeaderFields(bitDepth: bytes[24], colorType: colorType, tail: Array(bytes[26..<29]))

        var offset = 33
        var sawPalette = false
        var sawImageData = false
        while true {
            guard bytes.count - offset >= 8 else { throw .truncated(.png) }
            let length = bytes.bigEndian32(at: offset)
            guard length <= Int(Int32.max) else { throw .corrupt(.png, "chunk length exceeds 2^31-1") }
            let type = (bytes[offset + 4], bytes[offset + 5], bytes[offset + 6], bytes[offset + 7])
            guard isLetter(type.0), isLetter(type.1), isLetter(type.2), isLetter(type.3) else {
                throw .corrupt(.png, "invalid chunk type at offset \(offset)")
            }
            guard bytes.count - offset - 8 >= length + 4 else { throw .truncated(.png) }
            let name = bytes.fourCC(at: offset + 4)
            guard crc(bytes, from: offset + 4, count: length + 4) == UInt32(bytes.bigEndian32(at: offset + 8 + length))
            else {
                throw .corrupt(.png, "\(name) CRC mismatch")
            }
            switch name {
            case "IHDR":
                throw .corrupt(.png, "second IHDR")
            case "PLTE":
                guard !sawImageData else { throw .corrupt(.png, "PLTE after IDAT") }
                guard length > 0, length % 3 == 0, length <= 768 else { throw .corrupt(.png, "bad PLTE length") }
                sawPalette = true
            case "IDAT":
                guard colorType != 3 || sawPalette else { throw .corrupt(.png, "palette image without PLTE") }
                sawImageData = true
            case "IEND":
                guard sawImageData else { throw .corrupt(.png, "no IDAT chunk") }
                // Bytes after IEND are ignored, as libpng does.
                return ImageHeader(format: .png, width: width, height: height)
            default:
                // Bit 5 of the first letter clear = critical: a decoder must understand it.
                guard type.0 & 0x20 != 0 else { throw .corrupt(.png, "unknown critical chunk \(name)") }
            }
            offset += 12 + length
        }
    }

    private static func checkHeaderFields(bitDepth: UInt8, colorType: UInt8, tail: [UInt8]) throws(ImageCodecError) {
        let allowed: [UInt8]
        switch colorType {
        case 0: allowed = [1, 2, 4, 8, 16]
        case 3: allowed = [1, 2, 4, 8]
        case 2, 4, 6: allowed = [8, 16]
        default: throw .corrupt(.png, "invalid colour type \(colorType)")
        }
        guard allowed.contains(bitDepth) else {
            throw .corrupt(.png, "invalid bit depth \(bitDepth) for colour type \(colorType)")
        }
        guard tail[0] == 0, tail[1] == 0, tail[2] <= 1 else {
            throw .corrupt(.png, "invalid compression, filter or interlace method")
        }
    }

    @inline(__always) private static func isLetter(_ byte: UInt8) -> Bool {
        (0x41...0x5A).contains(byte) || (0x61...0x7A).contains(byte)
    }

    /// CRC-32 of `bytes[from ..< from + count]`; the caller has checked the range.
    static func crc(_ bytes: [UInt8], from start: Int, count: Int) -> UInt32 {
        bytes.withUnsafeBufferPointer { buffer in
            cis_crc32(0, buffer.baseAddress! + start, count)
        }
    }
}
