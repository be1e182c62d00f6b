// Placeholder signatures; the codec implementation replaces this file.
public enum ImageFormat: String, Sendable, CaseIterable, Codable {
    case png, jpeg, webp
    public var mimeType: String { "image/\(rawValue)" }
    public var fileExtension: String { rawValue }
}

public struct ImageHeader: Sendable, Equatable {
    public let format: ImageFormat
    public let width: Int
    public let height: Int
}

public enum ImageCodecError: Error, Sendable, Equatable {
    case unrecognizedFormat
    case truncated(ImageFormat)
    case corrupt(ImageFormat, String)
    case tooManyPixels(width: Int, height: Int, limit: Int)
    case encodingFailed(String)
}

public enum ImageInspector {
    public static func inspect(_ bytes: [UInt8], maxPixels: Int) throws(ImageCodecError) -> ImageHeader {
        throw .unrecognizedFormat
    }
}

public enum ImageDecoder {
    public static func decode(_ bytes: [UInt8], maxPixels: Int) throws(ImageCodecError) -> PixelBuffer {
        throw .unrecognizedFormat
    }
}

public enum ImageEncoder {
    public static func encode(_ image: PixelBuffer, as format: ImageFormat, parameters: String) throws(ImageCodecError)
        -> [UInt8]
    {
        throw .encodingFailed("not implemented")
    }
}

public enum ImageMetadataReader {
    public static func parameters(in bytes: [UInt8]) -> String? { nil }
}
