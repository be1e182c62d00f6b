import ImageCodecs

/// `cleanup`: the mask's white area (luma ≥ 128) filled smoothly from its surroundings; every
/// pixel outside it is the input's, byte for byte.
///
/// No caption band: drawing one would change pixels outside the mask, which is the one promise
/// the operation makes (the generation parameters still travel inside the encoded file).
enum CleanupOperation {
    /// Mask luma from which a pixel counts as "erase this".
    static let maskThreshold: UInt8 = 128

    static func run(_ input: OperationInput) throws(OperationFailure) -> OperationOutput {
        let image = try input.image("image_file")
        let mask = try input.image("mask_file")
        guard mask.width == image.width, mask.height == image.height else {
            throw OperationFailure(
                field: "mask_file",
                message:
                    "must have the size of image_file (\(image.width)x\(image.height)), not \(mask.width)x\(mask.height)"
            )
        }
        let luma = LuminancePlane.of(mask)
        let keep = [UInt8](unsafeUninitializedCapacity: luma.count) { keep, initialized in
            luma.withUnsafeBufferPointer { luma in
                for i in 0..<luma.count { keep[i] = luma[i] >= maskThreshold ? 0 : 1 }
            }
            initialized = luma.count
        }
        return .image(OperationImage(pixels: PushPullFill.fill(image, known: keep, helpers: .renderHelpers)))
    }
}
