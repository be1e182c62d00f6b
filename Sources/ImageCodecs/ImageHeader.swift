/// What an image's header says about it, read without decoding any pixel.
public struct ImageHeader: Sendable, Equatable {
    public let format: ImageFormat
    public let width: Int
    public let height: Int

    public init(format: ImageFormat, width: Int, height: Int) {
        self.format = format
        self.width = width
        self.height = height
    }

    /// `width * height`.
    public var pixelCount: Int { width * height }
}
