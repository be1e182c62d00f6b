import ImageCodecs

/// What a clip's inputs add to its frames beyond the first frame (docs/contract.md §14): the end
/// frame taking over from the pattern across the last third of the clip (the last frame is the
/// end frame, as frame 0 is the first), and reference images as small insets along the top right
/// edge. Drawn before the caption band; integer arithmetic, so the same request gives the same bytes.
struct VideoFrameOverlay: Sendable {
    /// The end frame at the clip's size.
    let end: PixelBuffer?
    /// The references at inset size, each with its top-left corner.
    let insets: [(x: Int, y: Int, image: PixelBuffer)]

    init(end: PixelBuffer?, references: [PixelBuffer], width: Int, height: Int) {
        self.end = end.map { VideoFrameRenderer.cover($0, width: width, height: height) }
        // Insets a fifth of the short side, with a margin of a fiftieth, right to left.
        let side = max(8, min(width, height) / 5)
        let margin = max(2, min(width, height) / 50)
        var placed: [(x: Int, y: Int, image: PixelBuffer)] = []
        for (index, reference) in references.enumerated() {
            let x = width - (index + 1) * (side + margin)
            guard x >= margin, side + 2 * margin <= height else { break }
            placed.append((x, margin, VideoFrameRenderer.cover(reference, width: side, height: side)))
        }
        insets = placed
    }

    var isEmpty: Bool { end == nil && insets.isEmpty }

    /// The first frame of the end frame's take-over: two thirds of the way through.
    static func endStart(frameCount: Int) -> Int { frameCount * 2 / 3 }

    func apply(to image: inout PixelBuffer, frame index: Int, of frameCount: Int) {
        if let end, frameCount > 1 {
            let start = Self.endStart(frameCount: frameCount)
            let last = frameCount - 1
            if index >= start {
                // 0 at `start`, the whole end frame at the last frame.
                let share =
                    last > start ? ImageRenderer.blendOne * (index - start) / (last - start) : ImageRenderer.blendOne
                ImageRenderer.blend(pattern: &image, over: end, weight: ImageRenderer.blendOne - share)
            }
        }
        for inset in insets {
            Self.draw(inset.image, at: inset.x, inset.y, into: &image)
        }
    }

    /// `inset` copied into `image` at (`x`, `y`) inside a one-pixel white frame.
    static func draw(_ inset: PixelBuffer, at x: Int, _ y: Int, into image: inout PixelBuffer) {
        let width = image.width
        for row in -1...inset.height {
            let ty = y + row
            guard ty >= 0, ty < image.height else { continue }
            for column in -1...inset.width {
                let tx = x + column
                guard tx >= 0, tx < width else { continue }
                let target = (ty * width + tx) * 3
                if row < 0 || column < 0 || row == inset.height || column == inset.width {
                    image.rgb[target] = 255
                    image.rgb[target + 1] = 255
                    image.rgb[target + 2] = 255
                } else {
                    let source = (row * inset.width + column) * 3
                    image.rgb[target] = inset.rgb[source]
                    image.rgb[target + 1] = inset.rgb[source + 1]
                    image.rgb[target + 2] = inset.rgb[source + 2]
                }
            }
        }
    }
}
