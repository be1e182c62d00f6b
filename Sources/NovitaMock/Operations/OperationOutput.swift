/// What an editor operation produces: a picture for the image editors, a sentence for img2prompt.
enum OperationOutput: Sendable, Equatable {
    case image(OperationImage)
    case text(String)

    /// The picture, or nil for a text output.
    var imageValue: OperationImage? {
        if case .image(let image) = self { return image }
        return nil
    }

    /// The sentence, or nil for an image output.
    var textValue: String? {
        if case .text(let text) = self { return text }
        return nil
    }
}
