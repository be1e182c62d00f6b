/// The RIFF walk behind `ImageInspector` (RFC 9649, WebP container).
///
/// Reads the size from the first chunk (`VP8 `, `VP8L` or `VP8X`) before anything else, then
/// checks the RIFF size against the file length (one trailing pad byte allowed) and that every
/// chunk lies inside the RIFF payload. Animated files are refused: the decoder handles still images.
enum WebPStructure {
    static func inspect(_ bytes: [UInt8], maxPixels: Int) throws(ImageCodecError) -> ImageHeader {
        // The first chunk header sits at 12; its payload is what carries the size.
        guard bytes.count >= 20 else { throw .truncated(.webp) }
        let firstName = bytes.fourCC(at: 12)
        let firstLength = bytes.littleEndian32(at: 16)
        let minimum: Int
        switch firstName {
        case "VP8 ": minimum = 10
        case "VP8L": minimum = 5
        case "VP8X": minimum = 10
        default: throw .corrupt(.webp, "unexpected first chunk '\(firstName)'")
        }
        guard firstLength >= minimum else { throw .corrupt(.webp, "\(firstName) chunk too short") }
        guard bytes.count >= 20 + minimum else { throw .truncated(.webp) }
        let size = try bitstreamSize(bytes, name: firstName, payload: 20, length: firstLength)
        try PixelLimit.check(width: size.width, height: size.height, format: .webp, maxPixels: maxPixels)

        let riffEnd = 8 + bytes.littleEndian32(at: 4)
        guard riffEnd >= 20 else { throw .corrupt(.webp, "RIFF size too small") }
        guard bytes.count >= riffEnd else { throw .truncated(.webp) }
        guard bytes.count <= riffEnd + 1 else {
            throw .corrupt(.webp, "RIFF size \(riffEnd - 8) disagrees with file length \(bytes.count)")
        }

        var offset = 12
        var sawBitstream = firstName != "VP8X"
        while offset < riffEnd {
            guard riffEnd - offset >= 8 else { throw .corrupt(.webp, "chunk header past the RIFF end") }
            let name = bytes.fourCC(at: offset)
            let length = bytes.littleEndian32(at: offset + 4)
            let payload = offset + 8
            guard riffEnd - payload >= length else { throw .corrupt(.webp, "chunk '\(name)' runs past the RIFF end") }
            if offset != 12, name == "VP8 " || name == "VP8L" {
                guard firstName == "VP8X", !sawBitstream else { throw .corrupt(.webp, "second image bitstream") }
                guard length >= (name == "VP8L" ? 5 : 10) else { throw .corrupt(.webp, "\(name) chunk too short") }
                let frame = try bitstreamSize(bytes, name: name, payload: payload, length: length)
                guard frame == size else { throw .corrupt(.webp, "bitstream size differs from the VP8X canvas") }
                sawBitstream = true
            }
            // A missing pad byte after the last chunk is tolerated (libwebp does too).
            offset = min(payload + length + (length & 1), riffEnd)
        }
        guard sawBitstream else { throw .corrupt(.webp, "no VP8 or VP8L image chunk") }
        return ImageHeader(format: .webp, width: size.width, height: size.height)
    }

    /// The size coded in a `VP8 `, `VP8L` or `VP8X` payload; `length` is at least its minimum.
    private static func bitstreamSize(_ bytes: [UInt8], name: String, payload: Int, length: Int)
        throws(ImageCodecError) -> (width: Int, height: Int)
    {
        switch name {
        case "VP8 ":
            // RFC 6386 §9.1: 3-byte frame tag, start code 9D 01 2A, 14-bit width and height.
            let tag = bytes.littleEndian24(at: payload)
            guard tag & 1 == 0 else { throw .corrupt(.webp, "VP8 frame is not a key frame") }
            guard (tag >> 1) & 7 <= 3, (tag >> 4) & 1 == 1 else { throw .corrupt(.webp, "bad VP8 frame tag") }
            guard bytes.matches([0x9D, 0x01, 0x2A], at: payload + 3) else {
                throw .corrupt(.webp, "missing VP8 start code")
            }
            guard tag >> 5 <= length - 10 else { throw .corrupt(.webp, "VP8 partition larger than its chunk") }
            return (bytes.littleEndian16(at: payload + 6) & 0x3FFF, bytes.littleEndian16(at: payload + 8) & 0x3FFF)
        case "VP8L":
            guard bytes[payload] == 0x2F else { throw .corrupt(.webp, "missing VP8L signature") }
            let bits = bytes.littleEndian32(at: payload + 1)
            guard bits >> 29 == 0 else { throw .corrupt(.webp, "unknown VP8L version") }
            return ((bits & 0x3FFF) + 1, ((bits >> 14) & 0x3FFF) + 1)
        default:  // VP8X
            guard bytes[payload] & 0x02 == 0 else { throw .corrupt(.webp, "animated WebP is not supported") }
            return (bytes.littleEndian24(at: payload + 4) + 1, bytes.littleEndian24(at: payload + 7) + 1)
        }
    }
}
