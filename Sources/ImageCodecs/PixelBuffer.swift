/// An 8-bit RGB raster, row-major, 3 bytes per pixel, no padding: the one pixel type that crosses
/// module borders (decoders produce it, the renderer draws into it, encoders consume it).
public struct PixelBuffer: Sendable, Equatable {
    public let width: Int
    public let height: Int
    /// `width * height * 3` bytes: R, G, B for each pixel, rows top to bottom.
    public var rgb: [UInt8]

    /// Creates a buffer filled with one colour.
    public init(width: Int, height: Int, fill: (UInt8, UInt8, UInt8) = (0, 0, 0)) {
        precondition(width > 0 && height > 0, "a pixel buffer needs a positive size")
        self.width = width
        self.height = height
        var bytes = [UInt8](repeating: 0, count: width * height * 3)
        if fill != (0, 0, 0) {
            for i in stride(from: 0, to: bytes.count, by: 3) {
                bytes[i] = fill.0
                bytes[i + 1] = fill.1
                bytes[i + 2] = fill.2
            }
        }
        self.rgb = bytes
    }

    /// Wraps existing bytes; `rgb.count` must be `width * height * 3`.
    public init(width: Int, height: Int, rgb: [UInt8]) {
        precondition(width > 0 && height > 0 && rgb.count == width * height * 3, "pixel buffer size mismatch")
        self.width = width
        self.height = height
        self.rgb = rgb
    }
}
