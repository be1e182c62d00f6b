import ImageCodecs

/// `outpainting`: a `width`×`height` canvas with the input placed so that its centre sits at the
/// canvas centre moved by (`center_x`, `center_y`) — image axes: positive x to the right, positive
/// y down — and the rest continued from the input's edges: a smooth fill from the input's rim
/// (`PushPullFill`) that fades, with distance from the input, into the seeded pattern the prompt
/// draws. Where the input lands its pixels are the input's, exactly.
///
/// The caption band is drawn only when it does not cover any of the input's pixels (it would
/// otherwise break that promise); with the input centred on a canvas larger than it, it shows.
enum OutpaintingOperation {
    /// The most the pattern shows far from the input, in 1/256.
    static let farPattern: Int32 = 192
    /// Largest canvas side accepted here (the docs' limit is 4096; the validator enforces that).
    static let maximumSide = 16384

    /// Where the input lands on the canvas (its top-left corner, possibly off the canvas).
    static func placement(canvasWidth: Int, canvasHeight: Int, input: PixelBuffer, centerX: Int, centerY: Int)
        -> (left: Int, top: Int)
    {
        (floorHalf(canvasWidth - input.width) + centerX, floorHalf(canvasHeight - input.height) + centerY)
    }

    static func run(_ input: OperationInput) throws(OperationFailure) -> OperationOutput {
        let image = try input.image("image_file")
        let width = input.integer("width", default: image.width)
        let height = input.integer("height", default: image.height)
        for (field, value) in [("width", width), ("height", height)] where !(1...maximumSide).contains(value) {
            throw OperationFailure(field: field, message: "must be between 1 and \(maximumSide)")
        }
        let (left, top) = placement(
            canvasWidth: width, canvasHeight: height, input: image, centerX: input.integer("center_x", default: 0),
            centerY: input.integer("center_y", default: 0))
        let prompt = input.string("prompt")
        let request = RenderRequest(
            seed: input.seed, width: width, height: height, prompt: prompt,
            negativePrompt: input.string("negative_prompt"))
        var output = ProceduralPattern(request).render(width: width, height: height)

        // The part of the input that lands on the canvas, in canvas coordinates.
        let x0 = max(0, left)
        let x1 = min(width, left + image.width)
        let y0 = max(0, top)
        let y1 = min(height, top + image.height)
        if x0 < x1 && y0 < y1 {
            var canvas = PixelBuffer(width: width, height: height)
            var known = [UInt8](repeating: 0, count: width * height)
            for y in y0..<y1 {
                let source = ((y - top) * image.width + (x0 - left)) * 3
                let target = (y * width + x0) * 3
                canvas.rgb.replaceSubrange(
                    target..<(target + (x1 - x0) * 3), with: image.rgb[source..<(source + (x1 - x0) * 3)])
                for x in x0..<x1 { known[y * width + x] = 1 }
            }
            let filled = PushPullFill.fill(canvas, known: known)
            fade(filled, into: &output, inputRect: (x0, y0, x1, y1))
        }
        let bandTop = OperationCaption.bandTop(width: width, height: height)
        if !(x0 < x1 && y0 < y1 && y1 > bandTop) {
            OperationCaption.draw(title: prompt.isEmpty ? "outpainting" : prompt, seed: input.seed, into: &output)
        }
        return .image(OperationImage(pixels: output))
    }

    /// Inside the input's rectangle `output` becomes `filled` (the input itself); outside, the
    /// pattern shows through more with the (Chebyshev) distance to that rectangle.
    static func fade(_ filled: PixelBuffer, into output: inout PixelBuffer, inputRect: (Int, Int, Int, Int)) {
        let (x0, y0, x1, y1) = inputRect
        let width = output.width
        let height = output.height
        let ramp = Int32(max(16, min(width, height) / 3))
        filled.rgb.withUnsafeBufferPointer { fill in
            output.rgb.withUnsafeMutableBufferPointer { out in
                for y in 0..<height {
                    let dy = Int32(max(0, y0 - y, y - (y1 - 1)))
                    for x in 0..<width {
                        let dx = Int32(max(0, x0 - x, x - (x1 - 1)))
                        let distance = max(dx, dy)
                        let o = (y * width + x) * 3
                        if distance == 0 {
                            out[o] = fill[o]
                            out[o + 1] = fill[o + 1]
                            out[o + 2] = fill[o + 2]
                            continue
                        }
                        let pattern = min(farPattern, distance &* farPattern / ramp)
                        let keep = 256 &- pattern
                        for c in 0..<3 {
                            let mixed = Int32(fill[o + c]) &* keep &+ Int32(out[o + c]) &* pattern &+ 128
                            out[o + c] = UInt8(truncatingIfNeeded: mixed >> 8)
                        }
                    }
                }
            }
        }
    }

    /// `n / 2` rounded towards −∞, so a placement moves by whole pixels the same way on both sides.
    private static func floorHalf(_ n: Int) -> Int {
        n >= 0 ? n / 2 : -((-n + 1) / 2)
    }
}
