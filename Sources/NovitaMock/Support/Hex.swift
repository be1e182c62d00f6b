/// Lowercase hexadecimal: the one encoder, for digests, ETags, UUIDs and JSON `\u00XX` escapes.
enum Hex {
    private static let digits: [UInt8] = Array("0123456789abcdef".utf8)

    /// Appends the two digits of `byte`.
    static func append(_ byte: UInt8, to out: inout [UInt8]) {
        out.append(digits[Int(byte >> 4)])
        out.append(digits[Int(byte & 0x0F)])
    }

    /// Two digits per byte.
    static func string(_ bytes: some Sequence<UInt8>) -> String {
        var out: [UInt8] = []
        out.reserveCapacity(bytes.underestimatedCount * 2)
        for byte in bytes { append(byte, to: &out) }
        return String(decoding: out, as: UTF8.self)
    }
}
