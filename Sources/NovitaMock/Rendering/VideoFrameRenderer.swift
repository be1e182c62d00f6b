import ImageCodecs

/// Draws the frames of the mock's clips (docs/contract.md §14): the seeded pattern in motion,
/// the caption band (the frame's prompt; seed, frame counter, size and rate) and, for
/// image-to-video, the input image at frame 0 giving way to the pattern over the clip. Integer
/// arithmetic in the pixel paths, like `ImageRenderer`, so the same request gives the same bytes.
struct VideoFrameRenderer: Sendable {
    let parameters: GenerationParameters
    let video: VideoParameters
    /// The input resized to the clip's size (image-to-video), prepared once for every frame.
    let input: PixelBuffer?
    private let pattern: ProceduralPattern
    /// An end frame and reference insets (`VideoFrameOverlay`), drawn before the caption.
    var overlay: VideoFrameOverlay? = nil

    init(parameters: GenerationParameters, video: VideoParameters, input: PixelBuffer?) {
        self.parameters = parameters
        self.video = video
        self.input = input.map { Self.cover($0, width: parameters.width, height: parameters.height) }
        pattern = ProceduralPattern(
            seed: parameters.seed, prompt: parameters.prompt, negativePrompt: parameters.negativePrompt,
            modelName: parameters.modelName)
    }

    func frame(_ index: Int) -> PixelBuffer {
        let (width, height) = (parameters.width, parameters.height)
        // Frame 0 is the input; the pattern takes over linearly until the last frame.
        let last = max(1, video.frameCount - 1)
        let weight = input == nil ? ImageRenderer.blendOne : ImageRenderer.blendOne * min(index, last) / last
        var image = ProceduralPattern(pattern: pattern, frame: index).render(
            width: width, height: height, over: weight < ImageRenderer.blendOne ? input : nil, weight: weight)
        overlay?.apply(to: &image, frame: index, of: video.frameCount)
        caption(index).draw(into: &image)
        return image
    }

    /// The frame's prompt, then the seed, a frame counter (1-based, as players count), size and rate.
    func caption(_ index: Int) -> CaptionBand {
        let seed = parameters.seed
        let counter = "frame \(index + 1)/\(video.frameCount)"
        let size = "\(parameters.width)x\(parameters.height)"
        return CaptionBand(
            title: video.prompt(ofFrame: index).isEmpty ? parameters.modelName : video.prompt(ofFrame: index),
            details: [
                "seed \(seed) \u{B7} \(counter) \u{B7} \(size) \u{B7} \(video.framesPerSecond) fps",
                "seed \(seed) \(counter) \(size)",
                "\(counter) seed \(seed)",
                counter,
            ])
    }

    /// The input scaled to cover `width × height` and cut to it around the centre, as
    /// "crop to aspect ratio" does (a same-shaped input is just resized).
    static func cover(_ input: PixelBuffer, width: Int, height: Int) -> PixelBuffer {
        // Crop the input to the target's aspect ratio first, then resize with the good filter.
        var cropWidth = input.width
        var cropHeight = input.height
        if input.width * height > width * input.height {
            cropWidth = max(1, input.height * width / height)
        } else {
            cropHeight = max(1, input.width * height / width)
        }
        var cropped = input
        if cropWidth != input.width || cropHeight != input.height {
            let left = (input.width - cropWidth) / 2
            let top = (input.height - cropHeight) / 2
            var rgb = [UInt8](repeating: 0, count: cropWidth * cropHeight * 3)
            for y in 0..<cropHeight {
                let source = ((top + y) * input.width + left) * 3
                rgb.replaceSubrange(
                    y * cropWidth * 3..<(y + 1) * cropWidth * 3, with: input.rgb[source..<source + cropWidth * 3])
            }
            cropped = PixelBuffer(width: cropWidth, height: cropHeight, rgb: rgb)
        }
        return ImageResampler.resize(cropped, width: width, height: height, helpers: .renderHelpers)
    }
}
