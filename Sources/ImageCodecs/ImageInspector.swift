/// Reads an image's format and size from its header and checks its structure, decoding no pixel.
///
/// Cheap enough for every submitted image: it walks PNG chunks (checking each CRC), JPEG marker
/// segments up to the first scan plus the closing EOI, or the RIFF chunks of a WebP file.
public enum ImageInspector {
    /// Recognises the format, reads the dimensions and checks the file's structure.
    ///
    /// The pixel limit is checked as soon as the dimensions are known, before the rest of the
    /// file is examined and before anything proportional to the claimed size is allocated.
    /// - Parameters:
    ///   - bytes: the whole file.
    ///   - maxPixels: the largest accepted `width * height`.
    /// - Throws: `.unrecognizedFormat`, `.truncated`, `.corrupt` or `.tooManyPixels`.
    public static func inspect(_ bytes: [UInt8], maxPixels: Int) throws(ImageCodecError) -> ImageHeader {
        switch ImageSignature.match(bytes) {
        case .complete(.png): try PNGStructure.inspect(bytes, maxPixels: maxPixels)
        case .complete(.jpeg): try JPEGStructure.inspect(bytes, maxPixels: maxPixels)
        case .complete(.webp): try WebPStructure.inspect(bytes, maxPixels: maxPixels)
        case .truncated(let format): throw .truncated(format)
        case .none: throw .unrecognizedFormat
        }
    }

    /// The format named by the file's signature alone, or nil; checks nothing else.
    public static func format(of bytes: [UInt8]) -> ImageFormat? {
        ImageSignature.format(of: bytes)
    }
}
