/// Encodes RGB pixels with the generation parameters embedded; deterministic by construction.
///
/// Same pixels and parameters give the same bytes on every run and thread count: every encoder
/// setting is pinned, no clock is read, libwebp runs single-threaded. (Bytes can still differ
/// between versions of zlib, libjpeg-turbo or libwebp — pin the runtime image.)
public enum ImageEncoder {
    /// Encodes `image` as `format` with `parameters` embedded (PNG `tEXt`/`iTXt` keyword
    /// `parameters`; JPEG APP1 / WebP `EXIF` UserComment). Empty `parameters` embeds nothing;
    /// NUL characters are dropped. PNG uses `PNGCompression.standard`, JPEG quality 90 4:2:0,
    /// WebP lossy quality 90 method 2.
    public static func encode(_ image: PixelBuffer, as format: ImageFormat, parameters: String) throws(ImageCodecError)
        -> [UInt8]
    {
        let text = ParametersText(parameters)
        switch format {
        case .png: return try PNGCodec.encode(image, parameters: text, compression: .standard)
        case .jpeg: return try JPEGCodec.encode(image, parameters: text)
        case .webp: return try WebPCodec.encode(image, parameters: text)
        }
    }

    /// Encodes `image` with a transparency plane: PNG as RGBA (colour type 6), WebP with an
    /// `ALPH` chunk, and JPEG — which has no alpha — composited over white. Otherwise as
    /// `encode(_:as:parameters:)`, with the same pinned settings.
    /// - Parameter alpha: `width * height` bytes, 0 transparent … 255 opaque, rows top to bottom;
    ///   straight (not premultiplied) alpha.
    public static func encode(_ image: PixelBuffer, alpha: [UInt8], as format: ImageFormat, parameters: String)
        throws(ImageCodecError) -> [UInt8]
    {
        guard alpha.count == image.width * image.height else {
            throw .encodingFailed("alpha plane has \(alpha.count) bytes for \(image.width)x\(image.height) pixels")
        }
        let text = ParametersText(parameters)
        switch format {
        case .png: return try PNGCodec.encode(image, alpha: alpha, parameters: text, compression: .standard)
        case .jpeg: return try JPEGCodec.encode(AlphaPlane.compositedOverWhite(image, alpha: alpha), parameters: text)
        case .webp: return try WebPCodec.encode(image, alpha: alpha, parameters: text)
        }
    }

    /// Encodes a PNG with explicit compression settings (e.g. `.stored` as a speed baseline).
    public static func encodePNG(_ image: PixelBuffer, parameters: String, compression: PNGCompression)
        throws(ImageCodecError) -> [UInt8]
    {
        try PNGCodec.encode(image, parameters: ParametersText(parameters), compression: compression)
    }
}
