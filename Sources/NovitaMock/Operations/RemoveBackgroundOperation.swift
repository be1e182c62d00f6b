import ImageCodecs

/// `remove-background`: the input's pixels with the subject's soft mask as alpha, everything else
/// transparent (PNG/WebP alpha; a JPEG encode puts it over white).
///
/// No caption band: a band would make the bottom of the cut-out opaque, and a transparent
/// background is what this operation promises (the parameters still travel inside the file).
enum RemoveBackgroundOperation {
    static func run(_ input: OperationInput) throws(OperationFailure) -> OperationOutput {
        let image = try input.image("image_file")
        return .image(OperationImage(pixels: image, alpha: ForegroundMask.alpha(of: image)))
    }
}
