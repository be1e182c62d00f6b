import ImageCodecs

/// `reimagine`: a seeded variation of the input — the input blended half and half with the
/// seeded pattern (as img2img at strength 0.5), same size, with the caption band.
enum ReimagineOperation {
    /// How much of the pattern shows: enough to read as a variation, little enough to recognise the input.
    static let strength = 0.5

    static func run(_ input: OperationInput) throws(OperationFailure) -> OperationOutput {
        let image = try input.image("image_file")
        let request = RenderRequest(seed: input.seed, width: image.width, height: image.height, prompt: "reimagine")
        var output = ProceduralPattern(request).render(
            width: image.width, height: image.height, helpers: .renderHelpers)
        ImageRenderer.blend(
            pattern: &output, over: image, weight: ImageRenderer.blendWeight(strength), helpers: .renderHelpers)
        OperationCaption.draw(title: "reimagine", seed: input.seed, into: &output)
        return .image(OperationImage(pixels: output))
    }
}
