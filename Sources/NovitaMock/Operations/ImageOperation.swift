/// What an editor endpoint does to its inputs, named as in the endpoint definitions
/// (`"operation": "cleanup"`); the pixels behind docs/contract.md §12 "Operations".
///
/// Every operation is a pure function of its input: same images, fields and seed → same output,
/// on every machine and thread count (integer arithmetic in the pixel paths, no clock, no
/// process-seeded hashing), in time proportional to the pixels.
enum ImageOperation: String, Sendable, CaseIterable {
    case cleanup
    case removeBackground = "remove-background"
    case replaceBackground = "replace-background"
    case removeText = "remove-text"
    case mergeFace = "merge-face"
    case reimagine
    case img2prompt
    case outpainting

    /// Runs the operation.
    /// - Throws: `OperationFailure` naming the request field at fault (a missing image, a mask of
    ///   another size, a canvas out of range).
    func run(_ input: OperationInput) throws(OperationFailure) -> OperationOutput {
        switch self {
        case .cleanup: try CleanupOperation.run(input)
        case .removeBackground: try RemoveBackgroundOperation.run(input)
        case .replaceBackground: try ReplaceBackgroundOperation.run(input)
        case .removeText: try RemoveTextOperation.run(input)
        case .mergeFace: try MergeFaceOperation.run(input)
        case .reimagine: try ReimagineOperation.run(input)
        case .img2prompt: try ImageToPromptOperation.run(input)
        case .outpainting: try OutpaintingOperation.run(input)
        }
    }

    /// The image fields the operation reads, as the request names them.
    var imageFields: [String] {
        switch self {
        case .cleanup: ["image_file", "mask_file"]
        case .mergeFace: ["image_file", "face_image_file"]
        default: ["image_file"]
        }
    }
}
