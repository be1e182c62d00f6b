import ImageCodecs

/// `replace-background`: the subject `remove-background` finds, over the seeded pattern the
/// prompt draws (as txt2img would), opaque, with the caption band.
enum ReplaceBackgroundOperation {
    static func run(_ input: OperationInput) throws(OperationFailure) -> OperationOutput {
        let image = try input.image("image_file")
        let prompt = input.string("prompt")
        let alpha = ForegroundMask.alpha(of: image)
        let request = RenderRequest(seed: input.seed, width: image.width, height: image.height, prompt: prompt)
        var output = ProceduralPattern(request).render(
            width: image.width, height: image.height, helpers: .renderHelpers)
        composite(image, alpha: alpha, over: &output, helpers: .renderHelpers)
        OperationCaption.draw(title: prompt.isEmpty ? "replace-background" : prompt, seed: input.seed, into: &output)
        return .image(OperationImage(pixels: output))
    }

    /// `background = foreground·a + background·(1 − a)`, per channel, rounded. With `helpers`,
    /// the lower half of the rows is mixed on that pool (`BlockingWorkPool.inHalves`).
    static func composite(
        _ foreground: PixelBuffer, alpha: [UInt8], over background: inout PixelBuffer,
        helpers: BlockingWorkPool? = nil
    ) {
        precondition(foreground.rgb.count == background.rgb.count, "composite needs equal sizes")
        let width = foreground.width
        foreground.rgb.withUnsafeBufferPointer { front in
            alpha.withUnsafeBufferPointer { alpha in
                background.rgb.withUnsafeMutableBufferPointer { back in
                    BlockingWorkPool.inHalves(foreground.height, on: helpers) { band in
                        for i in (band.lowerBound * width)..<(band.upperBound * width) {
                            let a = Int32(alpha[i])
                            if a == 0 { continue }
                            for c in 0..<3 {
                                let o = i &* 3 &+ c
                                // Non-negative and below 2^16: the division by 255 becomes a multiply.
                                let mixed = UInt32(front[o]) &* UInt32(a) &+ UInt32(back[o]) &* UInt32(255 &- a) &+ 127
                                back[o] = UInt8(truncatingIfNeeded: mixed / 255)
                            }
                        }
                    }
                }
            }
        }
    }
}
