/// The three raster formats the API accepts and produces.
public enum ImageFormat: String, Sendable, CaseIterable, Codable {
    case png, jpeg, webp

    /// The media type served for this format, e.g. `image/png`.
    public var mimeType: String { "image/\(rawValue)" }

    /// The file extension used in image URLs (without the dot).
    public var fileExtension: String { rawValue }
}
