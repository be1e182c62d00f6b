/// Everything that decides the pixels of one generated image, gathered in one value so the
/// renderer stays a pure function of it (docs/contract.md §7: same inputs → byte-identical output).
struct RenderRequest: Sendable, Hashable {
    /// The seed of this image: the task seed plus `index`, already wrapped mod 2^32.
    var seed: UInt32
    /// The image's index within its task (0-based); shown in the caption.
    var index: Int
    /// Output width in pixels (128...2048 on the API, anything ≥ 1 works here).
    var width: Int
    /// Output height in pixels.
    var height: Int
    var prompt: String
    var negativePrompt: String
    var modelName: String
    /// Blend weight of the pattern over the resized input: 0 → the input, 1 → pattern only.
    var strength: Double

    init(
        seed: UInt32, index: Int = 0, width: Int, height: Int, prompt: String,
        negativePrompt: String = "", modelName: String = "", strength: Double = 1
    ) {
        self.seed = seed
        self.index = index
        self.width = width
        self.height = height
        self.prompt = prompt
        self.negativePrompt = negativePrompt
        self.modelName = modelName
        self.strength = strength
    }
}
