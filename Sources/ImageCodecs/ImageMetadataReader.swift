internal import CImageShims

/// Reads the embedded generation parameters back, as image tools do.
public enum ImageMetadataReader {
    /// The largest inflated text accepted from a compressed PNG text chunk.
    static let maximumInflatedText = 1 << 20

    /// The `parameters` text of a PNG (`tEXt`, `zTXt` or `iTXt`), or the Exif UserComment of a
    /// JPEG (APP1) or WebP (`EXIF` chunk); nil when absent or unreadable. Never throws.
    public static func parameters(in bytes: [UInt8]) -> String? {
        switch ImageSignature.format(of: bytes) {
        case .png: pngParameters(bytes)
        case .jpeg: jpegUserComment(bytes)
        case .webp: webpUserComment(bytes)
        case nil: nil
        }
    }

    private static func pngParameters(_ bytes: [UInt8]) -> String? {
        var offset = 8
        while bytes.count - offset >= 12 {
            let length = bytes.bigEndian32(at: offset)
            guard length <= bytes.count - offset - 12 else { return nil }
            let name = bytes.fourCC(at: offset + 4)
            let data = Array(bytes[offset + 8..<offset + 8 + length])
            if name == "IEND" { return nil }
            if name == "tEXt" || name == "zTXt" || name == "iTXt",
                let keywordEnd = data.firstIndex(of: 0),
                data[..<keywordEnd].elementsEqual("parameters".utf8)
            {
                return pngText(name: name, data[(keywordEnd + 1)...])
            }
            offset += 12 + length
        }
        return nil
    }

    private static func pngText(name: String, _ rest: ArraySlice<UInt8>) -> String? {
        switch name {
        case "tEXt":
            return latin1(rest)
        case "zTXt":
            guard let method = rest.first, method == 0, let text = inflate(rest.dropFirst()) else { return nil }
            return latin1(text[...])
        default:  // iTXt: flag, method, language\0, translated keyword\0, text
            guard rest.count >= 2 else { return nil }
            let compressed = rest[rest.startIndex] == 1
            var tail = rest.dropFirst(2)
            for _ in 0..<2 {
                guard let end = tail.firstIndex(of: 0) else { return nil }
                tail = tail[(end + 1)...]
            }
            if compressed {
                guard let text = inflate(tail) else { return nil }
                return String(decoding: text, as: UTF8.self)
            }
            return String(decoding: tail, as: UTF8.self)
        }
    }

    private static func latin1(_ bytes: ArraySlice<UInt8>) -> String {
        var scalars = String.UnicodeScalarView()
        scalars.append(contentsOf: bytes.map { Unicode.Scalar($0) })
        return String(scalars)
    }

    private static func inflate(_ compressed: ArraySlice<UInt8>) -> [UInt8]? {
        let input = Array(compressed)
        var produced = 0
        var output = [UInt8](repeating: 0, count: maximumInflatedText)
        let status = output.withUnsafeMutableBufferPointer { out in
            input.withUnsafeBufferPointer { source in
                cis_zlib_inflate(
                    source.baseAddress ?? UnsafePointer(out.baseAddress!), source.count,
                    out.baseAddress, out.count, &produced)
            }
        }
        guard status == CIS_OK else { return nil }
        return Array(output.prefix(produced))
    }

    private static func jpegUserComment(_ bytes: [UInt8]) -> String? {
        var offset = 2
        while bytes.count - offset >= 4, bytes[offset] == 0xFF {
            let marker = bytes[offset + 1]
            if marker == 0xFF {
                offset += 1
                continue
            }
            if marker == 0x01 || (0xD0...0xD7).contains(marker) {
                offset += 2
                continue
            }
            if marker == 0xDA || marker == 0xD9 { return nil }
            let length = bytes.bigEndian16(at: offset + 2)
            guard length >= 2, length <= bytes.count - offset - 2 else { return nil }
            let payload = offset + 4
            if marker == 0xE1, bytes.matches(ExifUserComment.exifHeader, at: payload),
                let text = ExifUserComment.userComment(inTIFF: bytes[(payload + 6)..<(offset + 2 + length)])
            {
                return text
            }
            offset += 2 + length
        }
        return nil
    }

    private static func webpUserComment(_ bytes: [UInt8]) -> String? {
        var offset = 12
        while bytes.count - offset >= 8 {
            let length = bytes.littleEndian32(at: offset + 4)
            guard length <= bytes.count - offset - 8 else { return nil }
            if bytes.fourCC(at: offset) == "EXIF" {
                var start = offset + 8
                if bytes.matches(ExifUserComment.exifHeader, at: start) { start += 6 }
                return ExifUserComment.userComment(inTIFF: bytes[start..<(offset + 8 + length)])
            }
            offset += 8 + length + (length & 1)
        }
        return nil
    }
}
