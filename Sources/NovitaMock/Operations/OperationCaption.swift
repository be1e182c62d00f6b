import ImageCodecs

/// The caption band of an editor's output: what made it (the prompt, or the operation's name when
/// there is none) over the seed and size, as generated images carry (docs/contract.md §7).
enum OperationCaption {
    static func draw(title: String, seed: UInt32, into image: inout PixelBuffer) {
        let size = "\(image.width)x\(image.height)"
        let band = CaptionBand(
            title: title, details: ["seed \(seed) \u{B7} \(size)", "seed \(seed) \(size)", "seed \(seed)", "\(seed)"])
        band.draw(into: &image)
    }

    /// The first row the band covers in an image of this size.
    static func bandTop(width: Int, height: Int) -> Int {
        CaptionBand.layout(width: width, height: height).bandTop
    }
}
