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
        var output = ProceduralPattern(request).render(width: width, height: height, helpers: .renderHelpers)

        // The part of the input that lands on the canvas, in canvas coordinates.
        let x0 = max(0, left)
        let x1 = min(width, left + image.width)
        let y0 = max(0, top)
        let y1 = min(height, top + image.height)
        if x0 < x1 && y0 < y1 {
            var canvas = PixelBuffer(width: width, height: height)
            var known = [UInt8](repeating: 0, count: width * height)
            image.rgb.withUnsafeBufferPointer { input in
                canvas.rgb.withUnsafeMutableBufferPointer { rgb in
                    known.withUnsafeMutableBufferPointer { known in
                        for y in y0..<y1 {
                            let source = ((y - top) * image.width + (x0 - left)) * 3
                            let target = (y * width + x0) * 3
                            let bytes = (x1 - x0) * 3
                            _ = UnsafeMutableBufferPointer(rebasing: rgb[target..<(target + bytes)])
                                .update(fromContentsOf: input[source..<(source + bytes)])
                            UnsafeMutableBufferPointer(rebasing: known[(y * width + x0)..<(y * width + x1)])
                                .update(repeating: 1)
                        }
                    }
                }
            }
            let filled = PushPullFill.fill(canvas, known: known, helpers: .renderHelpers)
            fade(filled, into: &output, inputRect: (x0, y0, x1, y1), helpers: .renderHelpers)
        }
        let bandTop = OperationCaption.bandTop(width: width, height: height)
        if !(x0 < x1 && y0 < y1 && y1 > bandTop) {
            OperationCaption.draw(title: prompt.isEmpty ? "outpainting" : prompt, seed: input.seed, into: &output)
        }
        return .image(OperationImage(pixels: output))
    }

    /// Inside the input's rectangle `output` becomes `filled` (the input itself); outside, the
    /// pattern shows through more with the (Chebyshev) distance to that rectangle. With `helpers`,
    /// the lower half of the rows is mixed on that pool (`BlockingWorkPool.inHalves`).
    static func fade(
        _ filled: PixelBuffer, into output: inout PixelBuffer, inputRect: (Int, Int, Int, Int),
        helpers: BlockingWorkPool? = nil
    ) {
        let (x0, y0, x1, y1) = inputRect
        let width = output.width
        let height = output.height
        let ramp = Int32(max(16, min(width, height) / 3))
        // The pattern's share by distance, looked up (no division per pixel); 0 at distance 0,
        // where the mix below then gives `filled`'s byte exactly.
        let shares = (0...max(width, height)).map { min(farPattern, Int32($0) * farPattern / ramp) }
        let columnDistances = (0..<width).map { max(0, x0 - $0, $0 - (x1 - 1)) }
        filled.rgb.withUnsafeBufferPointer { fill in
            output.rgb.withUnsafeMutableBufferPointer { out in
                shares.withUnsafeBufferPointer { shares in
                    columnDistances.withUnsafeBufferPointer { columnDistances in
                        BlockingWorkPool.inHalves(height, on: helpers) { band in
                            for y in band {
                                let dy = max(0, y0 - y, y - (y1 - 1))
                                for x in 0..<width {
                                    let pattern = shares[max(columnDistances[x], dy)]
                                    let keep = 256 &- pattern
                                    let o = (y &* width &+ x) &* 3
                                    for c in 0..<3 {
                                        let mixed = Int32(fill[o &+ c]) &* keep &+ Int32(out[o &+ c]) &* pattern &+ 128
                                        out[o &+ c] = UInt8(truncatingIfNeeded: mixed >> 8)
                                    }
                                }
                            }
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
