import ImageCodecs

/// `instant-id`: the first face image feathered (as merge-face does) onto a picture generated
/// from the first reference image — the reference at `width`×`height` with the seeded pattern of
/// the prompt blended over it — and the caption band. Without a reference image the face serves
/// as one, as the Python SDK does.
enum InstantIDOperation {
    /// How much of the pattern shows over the reference picture.
    static let patternStrength = 0.35

    static func run(_ input: OperationInput, index: Int) throws(OperationFailure) -> OperationOutput {
        let face = try firstImage(input, of: ["face_image_assets_ids", "face_image_urls"])
        let reference = (try? firstImage(input, of: ["ref_image_assets_ids", "ref_image_urls"])) ?? face
        let width = max(1, min(4096, input.integer("width", default: reference.width)))
        let height = max(1, min(4096, input.integer("height", default: reference.height)))
        let request = RenderRequest(
            seed: input.seed, index: index, width: width, height: height, prompt: input.string("prompt"),
            negativePrompt: input.string("negative_prompt"), strength: patternStrength)
        var picture = ProceduralPattern(request).render(width: width, height: height)
        ImageRenderer.blend(
            pattern: &picture, over: ImageResampler.resize(reference, width: width, height: height),
            weight: ImageRenderer.blendWeight(patternStrength))
        return try MergeFaceOperation.run(
            OperationInput(images: ["image_file": picture, "face_image_file": face], seed: input.seed),
            title: "instant-id")
    }

    /// The first image of the first of `fields` the request gave (`face_image_assets_ids[0]` …).
    static func firstImage(_ input: OperationInput, of fields: [String]) throws(OperationFailure) -> PixelBuffer {
        for field in fields {
            if let image = input.images["\(field)[0]"] { return image }
        }
        throw OperationFailure(field: fields[0], message: "is required")
    }
}
