import ImageCodecs

/// `merge-face`: the face image, scaled to fit a centred square of about 40 % of the target's
/// shorter side (aspect kept), feathered onto the target through a soft ellipse inscribed in it —
/// so the result reads as "this face, pasted there" — with the caption band.
enum MergeFaceOperation {
    /// Side of the face's square, in percent of the target's shorter side.
    static let regionPercent = 40
    /// Inside this share of the ellipse's radius (in percent) the face is opaque; it fades to the rim.
    static let opaquePercent = 70

    static func run(_ input: OperationInput, title: String = "merge-face") throws(OperationFailure) -> OperationOutput {
        let target = try input.image("image_file")
        let face = try input.image("face_image_file")
        var output = target
        let side = max(1, min(target.width, target.height) * regionPercent / 100)
        // Fit, aspect kept: the longer side of the face becomes `side`.
        let faceWidth = max(1, face.width >= face.height ? side : face.width * side / face.height)
        let faceHeight = max(1, face.height >= face.width ? side : face.height * side / face.width)
        let scaled = ImageResampler.resize(face, width: faceWidth, height: faceHeight)
        let left = (target.width - faceWidth) / 2
        let top = (target.height - faceHeight) / 2
        feather(scaled, into: &output, left: left, top: top)
        OperationCaption.draw(title: title, seed: input.seed, into: &output)
        return .image(OperationImage(pixels: output))
    }

    /// Blends `face` into `target` at (`left`, `top`) with the elliptical feather as alpha.
    static func feather(_ face: PixelBuffer, into target: inout PixelBuffer, left: Int, top: Int) {
        let width = face.width
        let height = face.height
        // Normalised squared radius in 1/65536, from half-pixel offsets to the centre:
        // d = (2x + 1 − w)² / w² + (2y + 1 − h)² / h², 1 on the inscribed ellipse.
        let columns = (0..<width).map { x in (2 * x + 1 - width) * (2 * x + 1 - width) * 65536 / (width * width) }
        let inner = opaquePercent * opaquePercent * 65536 / 10000
        let targetWidth = target.width
        face.rgb.withUnsafeBufferPointer { source in
            target.rgb.withUnsafeMutableBufferPointer { out in
                for y in 0..<height {
                    let dy = 2 * y + 1 - height
                    let row = dy * dy * 65536 / (height * height)
                    for x in 0..<width {
                        let d = columns[x] + row
                        guard d < 65536 else { continue }
                        // Linear in the squared radius between the opaque core and the rim.
                        let a = d <= inner ? 255 : (65536 - d) * 255 / (65536 - inner)
                        let o = ((top + y) * targetWidth + left + x) * 3
                        let s = (y * width + x) * 3
                        for c in 0..<3 {
                            let mixed = Int(source[s + c]) * a + Int(out[o + c]) * (255 - a) + 127
                            out[o + c] = UInt8(truncatingIfNeeded: mixed / 255)
                        }
                    }
                }
            }
        }
    }
}
