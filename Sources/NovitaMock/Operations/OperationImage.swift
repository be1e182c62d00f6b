import ImageCodecs

/// An operation's picture: RGB pixels and, for cut-outs, a transparency plane to encode with them
/// (`ImageEncoder.encode(_:alpha:as:parameters:)`; JPEG puts it over white).
struct OperationImage: Sendable, Equatable {
    var pixels: PixelBuffer
    /// `width * height` bytes, 0 transparent … 255 opaque; nil when the picture is opaque.
    var alpha: [UInt8]?

    init(pixels: PixelBuffer, alpha: [UInt8]? = nil) {
        precondition(alpha == nil || alpha?.count == pixels.width * pixels.height, "alpha plane size mismatch")
        self.pixels = pixels
        self.alpha = alpha
    }
}
