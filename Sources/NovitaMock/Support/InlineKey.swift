/// Up to 64 bytes held inline (no allocation, no reference count): a task id or an API key as a
/// dictionary key or a value read on every poll without copying a string (`FinishedResultCache`).
struct InlineKey: Hashable, Sendable {
    static let capacity = 64

    private var words: (UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64) = (0, 0, 0, 0, 0, 0, 0, 0)
    private(set) var count = 0

    /// Nil when `bytes` is longer than `capacity`.
    init?(_ bytes: UnsafeRawBufferPointer) {
        guard bytes.count <= Self.capacity else { return nil }
        count = bytes.count
        withUnsafeMutableBytes(of: &words) { storage in
            if let base = bytes.baseAddress { storage.baseAddress!.copyMemory(from: base, byteCount: bytes.count) }
        }
    }

    init?(_ string: String) {
        var string = string
        guard let made = string.withUTF8({ Self(UnsafeRawBufferPointer($0)) }) else { return nil }
        self = made
    }

    static func == (a: InlineKey, b: InlineKey) -> Bool {
        a.count == b.count && a.differingBits(b) == 0
    }

    /// Equal in a time that does not depend on where the bytes differ (for keys).
    func matchesInConstantTime(_ other: InlineKey) -> Bool {
        (differingBits(other) | UInt64(truncatingIfNeeded: count ^ other.count)) == 0
    }

    private func differingBits(_ other: InlineKey) -> UInt64 {
        (words.0 ^ other.words.0) | (words.1 ^ other.words.1) | (words.2 ^ other.words.2)
            | (words.3 ^ other.words.3) | (words.4 ^ other.words.4) | (words.5 ^ other.words.5)
            | (words.6 ^ other.words.6) | (words.7 ^ other.words.7)
    }

    func hash(into hasher: inout Hasher) {
        // The words in use only (those past `count` are zero, and equal keys have equal counts).
        hasher.combine(count)
        let used = (count + 7) & ~7
        withUnsafeBytes(of: words) { all in
            hasher.combine(bytes: UnsafeRawBufferPointer(start: all.baseAddress, count: used))
        }
    }
}
