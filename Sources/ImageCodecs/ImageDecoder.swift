/// Decodes a submitted image to 8-bit RGB.
public enum ImageDecoder {
    /// Inspects `bytes` (so the pixel limit applies before any allocation), then decodes.
    ///
    /// PNG: palette, grey, 16-bit and interlaced images are converted; alpha is composited onto
    /// black (`c * a / 255`). JPEG: grey and CMYK (taken as Adobe-inverted) become RGB.
    /// WebP: alpha is dropped; animated files are refused.
    /// - Throws: everything `ImageInspector.inspect` throws, and `.corrupt` when the data inside
    ///   a well-formed structure does not decode.
    public static func decode(_ bytes: [UInt8], maxPixels: Int) throws(ImageCodecError) -> PixelBuffer {
        let header = try ImageInspector.inspect(bytes, maxPixels: maxPixels)
        switch header.format {
        case .png: return try PNGCodec.decode(bytes, header: header)
        case .jpeg: return try JPEGCodec.decode(bytes, header: header)
        case .webp: return try WebPCodec.decode(bytes, header: header)
        }
    }
}
