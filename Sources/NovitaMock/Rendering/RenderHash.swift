/// FNV-1a 64: a stable hash for prompts and pixels. Swift's `Hasher` is randomly seeded per
/// process, so it must never decide anything that ends up in an image.
enum RenderHash {
    static let offsetBasis: UInt64 = 0xCBF2_9CE4_8422_2325
    static let prime: UInt64 = 0x0000_0100_0000_01B3

    /// Hashes a byte sequence, optionally continuing from an earlier hash.
    static func fnv1a64<Bytes: Sequence<UInt8>>(_ bytes: Bytes, from start: UInt64 = offsetBasis) -> UInt64 {
        var hash = start
        for byte in bytes {
            hash = (hash ^ UInt64(byte)) &* prime
        }
        return hash
    }

    /// Hashes a string's UTF-8 bytes.
    static func fnv1a64(_ text: String) -> UInt64 {
        fnv1a64(text.utf8)
    }
}
