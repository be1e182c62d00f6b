import ImageCodecs

/// `replace-background`: the subject `remove-background` finds, over the seeded pattern the
/// prompt draws (as txt2img would), opaque, with the caption band.
enum ReplaceBackgroundOperation {
    static func run(_ input: OperationInput) throws(OperationFailure) -> OperationOutput {
        let image = try input.image("image_file")
        let prompt = input.string("prompt")
        let alpha = ForegroundMask.alpha(of: image)
        let request = RenderRequest(seed: input.seed, width: image.width, height: image.height, prompt: prompt)
        var output = ProceduralPattern(request).render(width: image.width, height: image.height)
        composite(image, alpha: alpha, over: &output)
        OperationCaption.draw(title: prompt.isEmpty ? "replace-background" : prompt, seed: input.seed, into: &output)
        return .image(OperationImage(pixels: output))
    }

    /// `background = foreground·a + background·(1 − a)`, per channel, rounded.
    static func composite(_ foreground: PixelBuffer, alpha: [UInt8], over background: inout PixelBuffer) {
        precondition(foreground.rgb.count == background.rgb.count, "composite needs equal sizes")
        let count = foreground.width * foreground.height
        foreground.rgb.withUnsafeBufferPointer { front in
            alpha.withUnsafeBufferPointer { alpha in
                background.rgb.withUnsafeMutableBufferPointer { back in
                    for i in 0..<count {
                        let a = Int32(alpha[i])
                        if a == 0 { continue }
                        for c in 0..<3 {
                            let o = i * 3 + c
                            let mixed = Int32(front[o]) &* a &+ Int32(back[o]) &* (255 &- a) &+ 127
                            back[o] = UInt8(truncatingIfNeeded: mixed / 255)
                        }
                    }
                }
            }
        }
    }
}
