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

    /// A seed for an endpoint whose request has none: a stable hash of the images (sizes and
    /// pixels) and the fields (keys sorted), so the same request always looks the same and a
    /// different one differently — never the process-seeded `Hasher`.
    static func derivedSeed(images: [String: PixelBuffer], fields: JSONObject) -> UInt32 {
        var hash = RenderHash.offsetBasis
        for name in images.keys.sorted() {
            let image = images[name]!
            hash = RenderHash.fnv1a64(Array(name.utf8) + [0xFF], from: hash)
            hash = SplitMix64.mix(hash ^ UInt64(image.width) << 32 ^ UInt64(image.height))
            // Eight bytes per step (little-endian, whatever the machine): a 16-megapixel input
            // hashes in a few milliseconds.
            image.rgb.withUnsafeBytes { bytes in
                var offset = 0
                while offset + 8 <= bytes.count {
                    let word = UInt64(littleEndian: bytes.loadUnaligned(fromByteOffset: offset, as: UInt64.self))
                    hash = SplitMix64.mix(hash ^ word)
                    offset += 8
                }
                hash = RenderHash.fnv1a64(bytes[offset...], from: hash)
            }
        }
        let sorted = JSONObject(fields.entries.sorted { $0.key < $1.key }.map { ($0.key, $0.value) })
        hash = RenderHash.fnv1a64(JSONWriter.serialize(.object(sorted)), from: hash)
        return UInt32(truncatingIfNeeded: hash ^ hash >> 32)
    }
}
