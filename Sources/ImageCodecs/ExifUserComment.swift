/// Builds and reads the minimal Exif TIFF block that carries `UserComment` (tag 0x9286).
///
/// Layout written (little-endian "II"):
/// ```
///  0  II 2A00 08000000            TIFF header, IFD0 at 8
///  8  0100 6987 0400 01000000 1A000000 00000000   IFD0: ExifIFDPointer (LONG) → 26; no next IFD
/// 26  0100 8692 0700 <count> 2C000000 00000000    Exif IFD: UserComment (UNDEFINED) → 44
/// 44  8-byte character code + text
/// ```
/// The character code is `ASCII\0\0\0` for ASCII text, else `UNICODE\0` followed by UTF-16
/// **little-endian** (the TIFF block's byte order, which is what exiftool assumes without a BOM).
enum ExifUserComment {
    static let exifHeader: [UInt8] = Array("Exif".utf8) + [0, 0]
    static let asciiCode: [UInt8] = Array("ASCII".utf8) + [0, 0, 0]
    static let unicodeCode: [UInt8] = Array("UNICODE".utf8) + [0]
    static let headerLength = 44
    /// A JPEG APP1 holds at most 65533 payload bytes, of which "Exif\0\0" takes 6.
    static let maximumBlockLength = 65533 - 6

    /// The TIFF block for `text`, cut at a character boundary if it would not fit in an APP1.
    static func tiffBlock(for text: ParametersText) -> [UInt8] {
        let budget = maximumBlockLength - headerLength - 8
        var comment: [UInt8]
        if text.isASCII {
            comment = asciiCode + Array(text.text.utf8.prefix(budget))
        } else {
            comment = unicodeCode
            var used = 0
            for scalar in text.text.unicodeScalars {
                let units = Array(String(scalar).utf16)
                guard used + units.count * 2 <= budget else { break }
                for unit in units {
                    comment.append(UInt8(unit & 0xFF))
                    comment.append(UInt8(unit >> 8))
                }
                used += units.count * 2
            }
        }
        var block: [UInt8] = [0x49, 0x49, 0x2A, 0x00]
        block.appendLittleEndian32(8)
        block.appendLittleEndian16(1)
        block.appendEntry(tag: 0x8769, type: 4, count: 1, value: 26)
        block.appendLittleEndian32(0)
        block.appendLittleEndian16(1)
        block.appendEntry(tag: 0x9286, type: 7, count: comment.count, value: headerLength)
        block.appendLittleEndian32(0)
        block += comment
        return block
    }

    /// The UserComment text in a TIFF block (either byte order), or nil if there is none.
    static func userComment(inTIFF tiff: ArraySlice<UInt8>) -> String? {
        let bytes = Array(tiff)
        guard bytes.count >= 8 else { return nil }
        let little: Bool
        if bytes.matches([0x49, 0x49, 0x2A, 0x00], at: 0) {
            little = true
        } else if bytes.matches([0x4D, 0x4D, 0x00, 0x2A], at: 0) {
            little = false
        } else {
            return nil
        }
        func u16(_ at: Int) -> Int? {
            guard at >= 0, at <= bytes.count - 2 else { return nil }
            return little ? bytes.littleEndian16(at: at) : bytes.bigEndian16(at: at)
        }
        func u32(_ at: Int) -> Int? {
            guard at >= 0, at <= bytes.count - 4 else { return nil }
            return little ? bytes.littleEndian32(at: at) : bytes.bigEndian32(at: at)
        }
        /// The offset of the 12-byte entry for `tag` in the IFD at `ifd`.
        func entry(_ tag: Int, inIFD ifd: Int) -> Int? {
            guard let count = u16(ifd) else { return nil }
            for index in 0..<count {
                let at = ifd + 2 + index * 12
                guard let found = u16(at) else { return nil }
                if found == tag { return at }
            }
            return nil
        }
        guard let ifd0 = u32(4), let pointer = entry(0x8769, inIFD: ifd0), let exifIFD = u32(pointer + 8),
            let comment = entry(0x9286, inIFD: exifIFD), let count = u32(comment + 4), count >= 8
        else { return nil }
        let start: Int
        if count <= 4 {
            start = comment + 8
        } else {
            guard let offset = u32(comment + 8) else { return nil }
            start = offset
        }
        guard start >= 0, start <= bytes.count, count <= bytes.count - start else { return nil }
        let code = Array(bytes[start..<start + 8])
        var body = Array(bytes[start + 8..<start + count])
        let text: String
        if code == unicodeCode {
            var bodyLittle = little
            if body.count >= 2, body[0] == 0xFF, body[1] == 0xFE {
                bodyLittle = true
                body.removeFirst(2)
            } else if body.count >= 2, body[0] == 0xFE, body[1] == 0xFF {
                bodyLittle = false
                body.removeFirst(2)
            }
            let units = stride(from: 0, to: body.count - 1, by: 2).map { index in
                bodyLittle
                    ? UInt16(body[index]) | UInt16(body[index + 1]) << 8
                    : UInt16(body[index]) << 8 | UInt16(body[index + 1])
            }
            text = String(decoding: units, as: UTF16.self)
        } else {
            // ASCII, or undefined (all zeros): read as UTF-8, a superset that loses nothing.
            text = String(decoding: body, as: UTF8.self)
        }
        var trimmed = Substring(text)
        while trimmed.last == "\0" { trimmed = trimmed.dropLast() }
        return String(trimmed)
    }
}

extension Array where Element == UInt8 {
    fileprivate mutating func appendLittleEndian16(_ value: Int) {
        append(UInt8(value & 0xFF))
        append(UInt8((value >> 8) & 0xFF))
    }

    fileprivate mutating func appendLittleEndian32(_ value: Int) {
        appendLittleEndian16(value & 0xFFFF)
        appendLittleEndian16((value >> 16) & 0xFFFF)
    }

    fileprivate mutating func appendEntry(tag: Int, type: Int, count: Int, value: Int) {
        appendLittleEndian16(tag)
        appendLittleEndian16(type)
        appendLittleEndian32(count)
        appendLittleEndian32(value)
    }
}
