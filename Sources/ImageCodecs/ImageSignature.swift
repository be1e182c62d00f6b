/// Recognises a format by its leading bytes.
enum ImageSignature {
    static let png: [UInt8] = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]
    static let jpeg: [UInt8] = [0xFF, 0xD8, 0xFF]
    static let riff: [UInt8] = Array("RIFF".utf8)
    static let webp: [UInt8] = Array("WEBP".utf8)

    enum Match: Equatable {
        case complete(ImageFormat)
        /// The file is shorter than the signature but starts like it.
        case truncated(ImageFormat)
        case none
    }

    static func match(_ bytes: [UInt8]) -> Match {
        if bytes.matches(png, at: 0) { return .complete(.png) }
        if bytes.matches(jpeg, at: 0) { return .complete(.jpeg) }
        if bytes.count >= 12, bytes.matches(riff, at: 0), bytes.matches(webp, at: 8) { return .complete(.webp) }
        if bytes.count < png.count, bytes.count >= 4, Array(png.prefix(bytes.count)) == bytes {
            return .truncated(.png)
        }
        if bytes.count == 2, bytes == [0xFF, 0xD8] { return .truncated(.jpeg) }
        if bytes.count < 12, bytes.count >= 4, bytes.matches(riff, at: 0) {
            let seen = bytes.count > 8 ? Array(bytes[8...]) : []
            if Array(webp.prefix(seen.count)) == seen { return .truncated(.webp) }
        }
        return .none
    }

    static func format(of bytes: [UInt8]) -> ImageFormat? {
        if case .complete(let format) = match(bytes) { return format }
        return nil
    }
}
