/// Why an image could not be inspected, decoded or encoded.
public enum ImageCodecError: Error, Sendable, Equatable {
    /// The bytes start with no PNG, JPEG or WebP signature.
    case unrecognizedFormat
    /// The file ends before its structure does.
    case truncated(ImageFormat)
    /// The structure or the compressed data is damaged; the string says what was found.
    case corrupt(ImageFormat, String)
    /// The header claims more than `limit` pixels; nothing proportional to the claim was allocated.
    case tooManyPixels(width: Int, height: Int, limit: Int)
    /// The encoder refused or failed; the string says why.
    case encodingFailed(String)
}

extension ImageCodecError: CustomStringConvertible {
    public var description: String {
        switch self {
        case .unrecognizedFormat: "not a PNG, JPEG or WebP image"
        case .truncated(let format): "truncated \(format.rawValue.uppercased()) image"
        case .corrupt(let format, let detail): "corrupt \(format.rawValue.uppercased()) image: \(detail)"
        case .tooManyPixels(let width, let height, let limit):
            "image is \(width)x\(height) pixels, more than the limit of \(limit)"
        case .encodingFailed(let detail): "encoding failed: \(detail)"
        }
    }
}
