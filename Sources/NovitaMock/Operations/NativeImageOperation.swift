import ImageCodecs

/// The operations of the native async image endpoints (docs/contract.md §12.4), run as tasks.
/// They take their inputs by the request's own field names (`image_base64`, `image`,
/// `face_image_assets_ids[0]` …) and reuse the editors' pixels where an editor does the same:
/// image-eraser is cleanup, image-remove-background is remove-background, instant-id is
/// merge-face over its reference picture.
enum NativeImageOperation: String, Sendable, CaseIterable {
    case inpainting
    case adetailer
    case instantID = "instant-id"
    case imageEraser = "image-eraser"
    case imageUpscaler = "image-upscaler"
    case imageRemoveBackground = "image-remove-background"

    /// Runs the operation for image `index` of its task (`input.seed` is already that image's).
    /// - Throws: `OperationFailure` naming the request field at fault.
    func run(_ input: OperationInput, index: Int) throws(OperationFailure) -> OperationOutput {
        switch self {
        case .inpainting: try InpaintingOperation.run(input, index: index)
        case .adetailer: try AdetailerOperation.run(input, index: index)
        case .instantID: try InstantIDOperation.run(input, index: index)
        case .imageEraser:
            try CleanupOperation.run(
                OperationInput(
                    images: ["image_file": try input.image("image"), "mask_file": try Self.eraserMask(input)],
                    fields: input.fields, seed: input.seed))
        case .imageUpscaler: try Self.upscale(input)
        case .imageRemoveBackground:
            try RemoveBackgroundOperation.run(
                OperationInput(images: ["image_file": try input.image("image")], fields: input.fields, seed: input.seed)
            )
        }
    }

    /// Whether the task makes one image per input image (adetailer) rather than `image_num`.
    var oneImagePerInput: Bool { self == .adetailer }

    /// image-eraser's mask: the request's `mask` (white erases), or — without one — the subject
    /// the remove-background operation finds, which is what "erase the `prompt` object" needs.
    static func eraserMask(_ input: OperationInput) throws(OperationFailure) -> PixelBuffer {
        if let mask = input.images["mask"] { return mask }
        let image = try input.image("image")
        let alpha = ForegroundMask.alpha(of: image)
        return PixelBuffer(width: image.width, height: image.height, rgb: alpha.flatMap { [$0, $0, $0] })
    }

    /// The long side each `resolution` gives.
    static let upscalerSides = ["2k": 2048, "4k": 4096, "8k": 8192]

    /// image-upscaler: the input resized with its aspect kept so its longer side is 2048, 4096
    /// or 8192 (`resolution`, default 4k), with the caption band.
    static func upscale(_ input: OperationInput) throws(OperationFailure) -> OperationOutput {
        let image = try input.image("image")
        let resolution = input.fields["resolution"]?.stringValue ?? "4k"
        guard let side = upscalerSides[resolution] else {
            throw OperationFailure(field: "resolution", message: "must be one of 2k, 4k, 8k")
        }
        let factor = Double(side) / Double(max(image.width, image.height))
        return .image(
            OperationImage(
                pixels: ImageRenderer.upscale(image, factor: factor, caption: "image-upscaler \(resolution)")))
    }

    /// The output size of the upscaler for an input of this size (the task's reported size).
    static func upscaledSize(width: Int, height: Int, resolution: String) -> (Int, Int) {
        let side = upscalerSides[resolution] ?? 4096
        let factor = Double(side) / Double(max(1, max(width, height)))
        return (ImageRenderer.scaled(width, by: factor), ImageRenderer.scaled(height, by: factor))
    }
}
