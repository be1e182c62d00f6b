import ImageCodecs

/// Encodes an editor's output in the format the request asked for.
enum EditorOutput {
    static func encode(_ image: OperationImage, as format: ImageFormat, parameters: String) throws(ImageCodecError)
        -> [UInt8]
    {
        try ImageEncoder.encode(image.pixels, as: format, parameters: parameters)
    }
}
