/// The JPEG marker walk behind `ImageInspector` (ITU T.81 Annex B).
///
/// Walks marker segments from SOI to the first SOS, reading the size from the first SOFn, then
/// requires the file to end with EOI (trailing zero bytes allowed). Entropy-coded data is not read.
enum JPEGStructure {
    static func inspect(_ bytes: [UInt8], maxPixels: Int) throws(ImageCodecError) -> ImageHeader {
        var offset = 2
        var size: (width: Int, height: Int)?
        while true {
            guard offset < bytes.count else { throw .truncated(.jpeg) }
            guard bytes[offset] == 0xFF else { throw .corrupt(.jpeg, "expected a marker at offset \(offset)") }
            while offset < bytes.count, bytes[offset] == 0xFF { offset += 1 }  // fill bytes
            guard offset < bytes.count else { throw .truncated(.jpeg) }
            let marker = bytes[offset]
            offset += 1
            switch marker {
            case 0x00: throw .corrupt(.jpeg, "stuffed zero where a marker was expected")
            case 0xD8: throw .corrupt(.jpeg, "second SOI marker")
            case 0xD9: throw .corrupt(.jpeg, "EOI before any scan")
            case 0x01, 0xD0...0xD7: continue  // TEM and RSTn stand alone
            default: break
            }
            guard bytes.count - offset >= 2 else { throw .truncated(.jpeg) }
            let length = bytes.bigEndian16(at: offset)
            guard length >= 2 else { throw .corrupt(.jpeg, "marker segment length \(length)") }
            guard bytes.count - offset >= length else { throw .truncated(.jpeg) }
            switch marker {
            case 0xC0...0xCF where marker != 0xC4 && marker != 0xC8 && marker != 0xCC:
                guard size == nil else { throw .corrupt(.jpeg, "second frame header") }
                guard length >= 8 else { throw .corrupt(.jpeg, "short frame header") }
                let height = bytes.bigEndian16(at: offset + 3)
                let width = bytes.bigEndian16(at: offset + 5)
                let components = Int(bytes[offset + 7])
                try PixelLimit.check(width: width, height: height, format: .jpeg, maxPixels: maxPixels)
                guard components >= 1, length >= 8 + 3 * components else {
                    throw .corrupt(.jpeg, "bad component count in frame header")
                }
                size = (width, height)
            case 0xDA:
                guard let size else { throw .corrupt(.jpeg, "scan before frame header") }
                var end = bytes.count
                while end > offset + length, bytes[end - 1] == 0 { end -= 1 }
                guard end - (offset + length) >= 2, bytes[end - 2] == 0xFF, bytes[end - 1] == 0xD9 else {
                    throw .truncated(.jpeg)
                }
                return ImageHeader(format: .jpeg, width: size.width, height: size.height)
            default:
                break
            }
            offset += length
        }
    }
}
