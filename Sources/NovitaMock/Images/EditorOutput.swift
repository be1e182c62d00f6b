import ImageCodecs

/// Encodes an editor's output in the format the request asked for: with its transparency plane
/// when it has one (PNG and WebP keep it, JPEG puts it over white).
enum EditorOutput {
    static func encode(_ image: OperationImage, as format: ImageFormat, parameters: String) throws(ImageCodecError)
        -> [UInt8]
    {
        if let alpha = image.alpha {
            return try ImageEncoder.encode(image.pixels, alpha: alpha, as: format, parameters: parameters)
        }
        return try ImageEncoder.encode(image.pixels, as: format, parameters: parameters)
    }
}
