import ImageCodecs

/// What an editor operation works from: the decoded images and the other fields of a request the
/// validator has already accepted.
struct OperationInput: Sendable {
    /// Decoded input images by their request field name: "image_file", "mask_file", "face_image_file".
    var images: [String: PixelBuffer]
    /// The validated request's other fields (prompt, width, height, center_x, center_y …).
    var fields: JSONObject
    /// Seed for anything random-looking (derived from the inputs when the endpoint has none).
    var seed: UInt32

    init(images: [String: PixelBuffer], fields: JSONObject = [:], seed: UInt32 = 0) {
        self.images = images
        self.fields = fields
        self.seed = seed
    }

    /// The image of `field`; a missing one is a failure naming the field (the validator normally
    /// refuses the request first).
    func image(_ field: String) throws(OperationFailure) -> PixelBuffer {
        guard let image = images[field] else { throw OperationFailure(field: field, message: "is required") }
        return image
    }

    /// The string of `field`, or "" when absent or not a string.
    func string(_ field: String) -> String {
        fields[field]?.stringValue ?? ""
    }

    /// The integer of `field`, or `fallback` when absent, not integral or out of `Int`'s range.
    func integer(_ field: String, default fallback: Int) -> Int {
        guard let value = fields[field]?.integerValue, let int = Int(exactly: value) else { return fallback }
        return int
    }
}
