import ImageCodecs

/// Draws the mock's images (docs/contract.md §7): the input resized and blended with the seeded pattern by
/// `strength`, then the caption band. A pure function of its arguments: integer arithmetic only
/// in the pixel paths, so the bytes match on every run, machine and thread count.
enum ImageRenderer {
    /// Full pattern weight in `blendWeight`'s fixed point: 1/256 steps are finer than a byte
    /// can show, and keep the mix in 16-bit lanes.
    static let blendOne = 1 << 8

    /// img2img (or txt2img when `input` is nil): the input stretched to the requested size with
    /// a good filter, the pattern blended over it by `strength`, then the caption.
    static func render(_ request: RenderRequest, input: PixelBuffer?) -> PixelBuffer {
        let width = max(1, request.width)
        let height = max(1, request.height)
        let weight = input == nil ? blendOne : blendWeight(request.strength)
        var image: PixelBuffer
        if let input, weight == 0 {
            image = ImageResampler.resize(input, width: width, height: height, helpers: .renderHelpers)
        } else {
            image = ProceduralPattern(request).render(
                width: width, height: height, over: weight < blendOne ? input : nil, weight: weight,
                helpers: .renderHelpers)
        }
        caption(for: request, width: width, height: height).draw(into: &image)
        return image
    }

    /// upscale: the input resized by `factor` (rounded, at least 1 pixel) with a good filter,
    /// no pattern, then a caption with `caption` on the first line and the sizes (no seed: an
    /// upscale has none) on the second.
    static func upscale(_ input: PixelBuffer, factor: Double, caption: String) -> PixelBuffer {
        let width = scaled(input.width, by: factor)
        let height = scaled(input.height, by: factor)
        var image = ImageResampler.resize(input, width: width, height: height, helpers: .renderHelpers)
        let details = [
            "\(width)x\(height) \u{B7} from \(input.width)x\(input.height)",
            "\(width)x\(height) from \(input.width)x\(input.height)",
            "\(width)x\(height)",
        ]
        CaptionBand(title: caption, details: details).draw(into: &image)
        return image
    }

    /// The caption of a generated image: prompt, then seed, index and size.
    static func caption(for request: RenderRequest, width: Int, height: Int) -> CaptionBand {
        CaptionBand(
            title: request.prompt,
            details: details(seed: String(request.seed), index: request.index, width: width, height: height))
    }

    /// The second caption line, from most to least detailed (small images get the short forms).
    static func details(seed: String, index: Int, width: Int, height: Int) -> [String] {
        [
            "seed \(seed) \u{B7} #\(index) \u{B7} \(width)x\(height)",
            "seed \(seed) #\(index) \(width)x\(height)",
            "seed \(seed) #\(index)",
            "\(seed) #\(index)",
        ]
    }

    /// `strength` (clamped to 0...1; NaN counts as 0) as a weight out of `blendOne`, converted
    /// once so no floating point reaches the pixels.
    static func blendWeight(_ strength: Double) -> Int {
        guard strength > 0 else { return 0 }
        guard strength < 1 else { return blendOne }
        return Int(strength * Double(blendOne) + 0.5)
    }

    /// `pattern = input·(1 − w) + pattern·w`, per channel, rounded. With `helpers`, the second
    /// half of the bytes is mixed on that pool while the caller mixes the first (the same bytes
    /// either way). Never pass the pool the caller runs on.
    static func blend(
        pattern: inout PixelBuffer, over input: PixelBuffer, weight: Int, helpers: BlockingWorkPool? = nil
    ) {
        precondition(pattern.rgb.count == input.rgb.count, "blend needs equal sizes")
        input.rgb.withUnsafeBufferPointer { source in
            pattern.rgb.withUnsafeMutableBufferPointer { target in
                let halves = BlendHalves(source: source, target: target)
                // Below ~256 KiB the hand-off costs more than the half it saves.
                BlockingWorkPool.inHalves(target.count, on: helpers, minimum: 1 << 18) { bytes in
                    halves.mix(bytes, weight: weight)
                }
            }
        }
    }

    /// `target = source·(1 − w) + target·w` over `count` bytes, rounded, with `w` = `weight` out
    /// of `blendOne`.
    static func mix(_ target: UnsafeMutablePointer<UInt8>, over source: UnsafePointer<UInt8>, count: Int, weight: Int) {
        // 255 · 256 + 128 < 2^16: 16-bit lanes with wrapping operators are exact and vectorise.
        let w = UInt16(weight)
        let keep = UInt16(blendOne - weight)
        for i in 0..<count {
            let mixed = UInt16(source[i]) &* keep &+ UInt16(target[i]) &* w &+ 128
            target[i] = UInt8(truncatingIfNeeded: mixed >> 8)
        }
    }

    /// `size · factor`, rounded half away from zero, at least 1 (a non-finite factor keeps the size).
    static func scaled(_ size: Int, by factor: Double) -> Int {
        let product = Double(size) * factor
        guard product.isFinite else { return size }
        return max(1, Int(min(product.rounded(), Double(Int32.max))))
    }
}

/// The two buffers of `ImageRenderer.blend`, mixed in ranges of bytes.
// @unchecked: each thread writes only its own range of `target`, and the owner waits for every
// range before the buffers are read or freed.
private struct BlendHalves: @unchecked Sendable {
    let source: UnsafeBufferPointer<UInt8>
    let target: UnsafeMutableBufferPointer<UInt8>

    func mix(_ range: Range<Int>, weight: Int) {
        ImageRenderer.mix(
            target.baseAddress! + range.lowerBound, over: source.baseAddress! + range.lowerBound, count: range.count,
            weight: weight)
    }
}
