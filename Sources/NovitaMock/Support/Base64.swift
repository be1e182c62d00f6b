/// Standard base64 (RFC 4648 alphabet) decoding that tolerates what clients really send:
/// whitespace and line breaks anywhere, and missing padding.
enum Base64 {
    enum DecodeError: Error, Equatable {
        /// An invalid character at this offset of the text.
        case invalidCharacter(offset: Int)
        /// The text's length leaves a dangling 6 bits (one character too many or too few).
        case invalidLength
        case misplacedPadding(offset: Int)
    }

    private static let decodeTable: [UInt8] = {
        var table = [UInt8](repeating: 0xFF, count: 256)
        for (i, c) in "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/".utf8.enumerated() {
            table[Int(c)] = UInt8(i)
        }
        for c in [0x20, 0x09, 0x0A, 0x0D] { table[c] = 0xFE }  // skipped
        table[Int(UInt8(ascii: "="))] = 0xFD
        return table
    }()

    /// Decodes `text`; `maxBytes` stops early (returns nil) once the output would exceed it, so a
    /// huge input is refused without allocating for all of it.
    static func decode(_ text: Substring.UTF8View, maxBytes: Int) throws(DecodeError) -> [UInt8]? {
        var output: [UInt8] = []
        output.reserveCapacity(min(text.count / 4 * 3 + 3, maxBytes + 3))
        var accumulator: UInt32 = 0
        var bits = 0
        var sawPadding = false
        var offset = 0
        let table = decodeTable
        for byte in text {
            let value = table[Int(byte)]
            switch value {
            case 0xFE:
                break
            case 0xFD:
                sawPadding = true
            case 0xFF:
                throw .invalidCharacter(offset: offset)
            default:
                if sawPadding { throw .misplacedPadding(offset: offset) }
                accumulator = accumulator << 6 | UInt32(value)
                bits += 6
                if bits >= 8 {
                    bits -= 8
                    output.append(UInt8(truncatingIfNeeded: accumulator >> UInt32(bits)))
                    if output.count > maxBytes { return nil }
                }
            }
            offset += 1
        }
        // 6 leftover bits means a single trailing character: no whole byte in it.
        if bits >= 6 { throw .invalidLength }
        return output
    }

    private static let alphabet: [UInt8] = Array(
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/".utf8)

    /// Encodes with padding (used by tests, fixtures and the control plane).
    static func encode(_ bytes: [UInt8]) -> String {
        var out: [UInt8] = []
        out.reserveCapacity((bytes.count + 2) / 3 * 4)
        var i = 0
        while i + 2 < bytes.count {
            let n = UInt32(bytes[i]) << 16 | UInt32(bytes[i + 1]) << 8 | UInt32(bytes[i + 2])
            out.append(alphabet[Int(n >> 18 & 63)])
            out.append(alphabet[Int(n >> 12 & 63)])
            out.append(alphabet[Int(n >> 6 & 63)])
            out.append(alphabet[Int(n & 63)])
            i += 3
        }
        let rest = bytes.count - i
        if rest > 0 {
            let n = UInt32(bytes[i]) << 16 | (rest == 2 ? UInt32(bytes[i + 1]) << 8 : 0)
            out.append(alphabet[Int(n >> 18 & 63)])
            out.append(alphabet[Int(n >> 12 & 63)])
            out.append(rest == 2 ? alphabet[Int(n >> 6 & 63)] : UInt8(ascii: "="))
            out.append(UInt8(ascii: "="))
        }
        return String(decoding: out, as: UTF8.self)
    }
}
