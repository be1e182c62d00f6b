import ImageCodecs

/// `remove-text`: the input with its fine high-contrast detail — lettering, mostly — smoothed
/// away, flat and gently shaded areas left exactly as they were, then the caption band.
///
/// Text is told from the outlines of ordinary shapes by edge density in a 17×17 window: a
/// strong luma step (> `edgeStep` to either neighbour) marks a pixel per direction; an outline,
/// straight or diagonal, marks about 2 pixels per row or column — under 30 % of the window in
/// the two directions together — while letters, strokes crossing strokes, mark far more, and in
/// both directions. Where the sum passes `textDensityPercent` and each direction
/// `directionDensityPercent`, the region (widened by a few pixels) is refilled from its rim by
/// `PushPullFill` — the smooth fill of `cleanup` — so the letters go and the background they
/// sat on closes over them.
enum RemoveTextOperation {
    /// A luma difference to a neighbour above this is a strong edge.
    static let edgeStep = 40
    /// Share of strong-edge pixels in the window, both directions summed (percent), that marks text…
    static let textDensityPercent = 32
    /// …provided each direction alone has at least this share (an outline has one dominant direction).
    static let directionDensityPercent = 8
    /// Half the side of the square window the densities are counted in.
    static let windowRadius = 8

    static func run(_ input: OperationInput) throws(OperationFailure) -> OperationOutput {
        let image = try input.image("image_file")
        var output = PushPullFill.fill(image, known: textFree(image), helpers: .renderHelpers)
        OperationCaption.draw(title: "remove-text", seed: input.seed, into: &output)
        return .image(OperationImage(pixels: output))
    }

    /// 0 where the picture has text-like detail (widened by a few pixels), 1 elsewhere: the
    /// pixels `PushPullFill` keeps. The full-size passes split their rows with
    /// `BlockingWorkPool.renderHelpers` (`BlockingWorkPool.inHalves`).
    static func textFree(_ image: PixelBuffer) -> [UInt8] {
        let width = image.width
        let height = image.height
        let helpers = BlockingWorkPool.renderHelpers
        let luma = LuminancePlane.of(image)
        // Both edge maps in one plane — horizontal in the low 16 bits, vertical in the high — so
        // one pass of box sums counts both (a window holds at most 289 of either: no carry).
        let step = Int32(edgeStep)
        // Wrapping arithmetic and a branch-free |d|: no overflow traps in the hot loop.
        @inline(__always) func magnitude(_ d: Int32) -> Int32 {
            let sign = d >> 31
            return (d ^ sign) &- sign
        }
        let edges = [UInt32](unsafeUninitializedCapacity: width * height) { edges, initialized in
            luma.withUnsafeBufferPointer { luma in
                BlockingWorkPool.inHalves(height, on: helpers) { band in
                    let (luma, edges) = (luma.baseAddress!, edges.baseAddress!)
                    for y in band {
                        let row = luma + y * width
                        let above = luma + max(y - 1, 0) * width
                        let below = luma + min(y + 1, height - 1) * width
                        let out = edges + y * width
                        // The larger step to either neighbour, not the central difference: a
                        // one-pixel stroke then marks itself too, as wide strokes' edges do.
                        @inline(__always) func marks(_ x: Int, left: Int, right: Int) -> UInt32 {
                            let centre = Int32(row[x])
                            let across = max(
                                magnitude(centre &- Int32(row[left])), magnitude(Int32(row[right]) &- centre))
                            let along = max(
                                magnitude(centre &- Int32(above[x])), magnitude(Int32(below[x]) &- centre))
                            return (across > step ? 1 : 0) | (along > step ? 0x1_0000 : 0)
                        }
                        // The edge columns clamp their missing neighbour; the rest need no clamping.
                        out[0] = marks(0, left: 0, right: min(1, width - 1))
                        if width > 2 {
                            for x in 1..<(width - 1) { out[x] = marks(x, left: x &- 1, right: x &+ 1) }
                        }
                        if width > 1 { out[width - 1] = marks(width - 1, left: width - 2, right: width - 1) }
                    }
                }
            }
            initialized = width * height
        }
        // A fixed window, not one that grows with the picture: outlines mark a share of it that
        // depends only on its side, and the lettering worth removing is a few pixels per stroke.
        let radius = windowRadius
        let window = Int32((2 * radius + 1) * (2 * radius + 1))
        let needed = window * Int32(textDensityPercent) / 100
        let neededPerDirection = window * Int32(directionDensityPercent) / 100
        let text = PlaneBlur.windowSums(
            edges, width: width, height: height, radius: radius, helpers: helpers,
            DenseEdges(needed: needed, neededPerDirection: neededPerDirection))
        // Widen so the fill starts from clean background, not from the letters' anti-aliased rims.
        let grow = 3 + min(width, height) / 512
        return PlaneBlur.windowSums(text, width: width, height: height, radius: grow, helpers: helpers, NoneSet())
    }

    /// 1 where a window's packed edge counts (across low, along high) mark text, else 0.
    private struct DenseEdges: WindowVerdict {
        let needed: Int32
        let neededPerDirection: Int32

        func callAsFunction(_ counts: Int32) -> UInt8 {
            let (a, d) = (counts & 0xFFFF, counts >> 16)
            return a &+ d >= needed && min(a, d) >= neededPerDirection ? 1 : 0
        }
    }

    /// 1 where no pixel of the window is set, else 0.
    private struct NoneSet: WindowVerdict {
        func callAsFunction(_ sum: Int32) -> UInt8 { sum > 0 ? 0 : 1 }
    }
}
