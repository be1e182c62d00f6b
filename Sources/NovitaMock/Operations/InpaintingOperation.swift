import ImageCodecs

/// `inpainting`: img2img inside the mask only (docs/contract.md §12.4). The mask's white area
/// (luma ≥ 128; black with `inpainting_mask_invert` 1) is repainted with the seeded pattern
/// blended over the input by `strength`, grained by `initial_noise_multiplier`; `mask_blur`
/// softens the edge inward. Every pixel outside the unblurred mask is the input's, byte for byte,
/// so no caption band either (the parameters travel inside the file).
///
/// With `inpainting_full_res` 1 the pattern is drawn for the mask's bounding box grown by
/// `inpainting_full_res_padding` (as "only masked" renders that crop at full resolution), so its
/// features are sized to the masked area rather than to the whole picture.
enum InpaintingOperation {
    /// Mask luma from which a pixel counts as "repaint this".
    static let maskThreshold: UInt8 = 128
    /// `strength` when the request has none (AUTOMATIC1111's denoising default).
    static let defaultStrength = 0.75
    /// `mask_blur` when the request has none (AUTOMATIC1111's default).
    static let defaultMaskBlur = 4
    /// Grain amplitude, in levels, at `initial_noise_multiplier` 1.
    static let grainPerUnit = 24.0

    static func run(_ input: OperationInput, index: Int = 0) throws(OperationFailure) -> OperationOutput {
        try run(input, index: index, imageField: "image_base64", maskField: "mask_image_base64")
    }

    /// The same with other field names (adetailer passes a mask it made).
    static func run(_ input: OperationInput, index: Int, imageField: String, maskField: String)
        throws(OperationFailure) -> OperationOutput
    {
        let image = try input.image(imageField)
        let mask = try input.image(maskField)
        guard mask.width == image.width, mask.height == image.height else {
            throw OperationFailure(
                field: maskField,
                message:
                    "must have the size of \(imageField) (\(image.width)x\(image.height)), not \(mask.width)x\(mask.height)"
            )
        }
        let invert = input.integer("inpainting_mask_invert", default: 0) == 1
        let binary = LuminancePlane.of(mask).map { ($0 >= maskThreshold) != invert ? UInt8(255) : 0 }
        let alpha = edgeAlpha(
            binary, width: image.width, height: image.height,
            blur: max(0, min(64, input.integer("mask_blur", default: defaultMaskBlur))))
        guard let box = bounds(of: binary, width: image.width, height: image.height) else {
            return .image(OperationImage(pixels: image))  // nothing to repaint
        }
        let region: (x: Int, y: Int, width: Int, height: Int)
        if input.integer("inpainting_full_res", default: 0) == 1 {
            let pad = max(0, min(256, input.integer("inpainting_full_res_padding", default: 8)))
            let x0 = max(0, box.x - pad)
            let y0 = max(0, box.y - pad)
            let x1 = min(image.width, box.x + box.width + pad)
            let y1 = min(image.height, box.y + box.height + pad)
            region = (x0, y0, x1 - x0, y1 - y0)
        } else {
            region = (0, 0, image.width, image.height)
        }
        let strength = input.fields["strength"]?.doubleValue ?? defaultStrength
        let noise = max(0, min(1.5, input.fields["initial_noise_multiplier"]?.doubleValue ?? 0.5))
        let painted = paint(
            image, region: region, seed: input.seed, index: index, prompt: input.string("prompt"),
            negativePrompt: input.string("negative_prompt"), strength: strength,
            grain: Int((noise * grainPerUnit).rounded()))
        var output = image
        let width = image.width
        output.rgb.withUnsafeMutableBufferPointer { out in
            painted.rgb.withUnsafeBufferPointer { paint in
                for y in region.y..<region.y + region.height {
                    for x in region.x..<region.x + region.width {
                        let a = Int(alpha[y * width + x])
                        guard a > 0 else { continue }
                        let o = (y * width + x) * 3
                        let p = ((y - region.y) * region.width + x - region.x) * 3
                        for c in 0..<3 {
                            out[o + c] = UInt8((Int(paint[p + c]) * a + Int(out[o + c]) * (255 - a) + 127) / 255)
                        }
                    }
                }
            }
        }
        return .image(OperationImage(pixels: output))
    }

    /// The blend weight of the repainted pixels: the binary mask blurred by about `blur` pixels,
    /// then cut back to the mask (0 wherever the unblurred mask is 0), so the blur softens the
    /// edge inward and never reaches the pixels the mask keeps.
    static func edgeAlpha(_ binary: [UInt8], width: Int, height: Int, blur: Int) -> [UInt8] {
        guard blur > 0 else { return binary }
        // Two box passes of half the radius each: a triangle of about `blur` pixels either side.
        let radius = min(31, max(1, (blur + 1) / 2))
        let blurred = PlaneBlur.box(
            PlaneBlur.box(binary, width: width, height: height, radius: radius), width: width, height: height,
            radius: radius)
        return zip(blurred, binary).map { min($0, $1) }
    }

    /// The smallest rectangle holding every set pixel, or nil for an empty mask.
    static func bounds(of binary: [UInt8], width: Int, height: Int) -> (x: Int, y: Int, width: Int, height: Int)? {
        var (minX, minY, maxX, maxY) = (width, height, -1, -1)
        for y in 0..<height {
            for x in 0..<width where binary[y * width + x] != 0 {
                minX = min(minX, x)
                maxX = max(maxX, x)
                minY = min(minY, y)
                maxY = max(maxY, y)
            }
        }
        guard maxX >= 0 else { return nil }
        return (minX, minY, maxX - minX + 1, maxY - minY + 1)
    }

    /// img2img of the region: the pattern of this seed blended over the input's crop by
    /// `strength`, plus seeded grain of ±`grain` levels.
    static func paint(
        _ image: PixelBuffer, region: (x: Int, y: Int, width: Int, height: Int), seed: UInt32, index: Int,
        prompt: String, negativePrompt: String, strength: Double, grain: Int
    ) -> PixelBuffer {
        var crop = [UInt8](repeating: 0, count: region.width * region.height * 3)
        for y in 0..<region.height {
            let source = ((region.y + y) * image.width + region.x) * 3
            crop.replaceSubrange(
                y * region.width * 3..<(y + 1) * region.width * 3,
                with: image.rgb[source..<source + region.width * 3])
        }
        let original = PixelBuffer(width: region.width, height: region.height, rgb: crop)
        let request = RenderRequest(
            seed: seed, index: index, width: region.width, height: region.height, prompt: prompt,
            negativePrompt: negativePrompt, strength: strength)
        var painted = ProceduralPattern(request).render(width: region.width, height: region.height)
        ImageRenderer.blend(pattern: &painted, over: original, weight: ImageRenderer.blendWeight(strength))
        guard grain > 0 else { return painted }
        var random = SplitMix64(seed: UInt64(seed) << 8 ^ 0x1A9A)
        painted.rgb.withUnsafeMutableBufferPointer { pixels in
            for i in stride(from: 0, to: pixels.count, by: 3) {
                let delta = random.int(in: -grain...grain)
                for c in 0..<3 { pixels[i + c] = UInt8(max(0, min(255, Int(pixels[i + c]) + delta))) }
            }
        }
        return painted
    }
}
