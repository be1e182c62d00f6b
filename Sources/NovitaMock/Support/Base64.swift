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
        // A native string's bytes are contiguous: decode them through a pointer (the iterator of
        // the UTF-8 view costs several times more per byte, which shows on multi-MB images).
        if let result = text.withContiguousStorageIfAvailable({ decode($0, maxBytes: maxBytes) }) {
            return try result.get()
        }
        return try Array(text).withUnsafeBufferPointer { decode($0, maxBytes: maxBytes) }.get()
    }

    private static func decode(_ input: UnsafeBufferPointer<UInt8>, maxBytes: Int) -> Result<[UInt8]?, DecodeError> {
        var failure: DecodeError?
        var tooLarge = false
        // min(a + 3, b + 3) without forming maxBytes + 3, which traps for Int.max ("no limit").
        let capacity = max(0, min(input.count / 4 * 3, maxBytes) + 3)
        let output = [UInt8](unsafeUninitializedCapacity: capacity) { out, initialized in
            var count = 0
            var accumulator: UInt32 = 0
            var bits = 0
            var sawPadding = false
            decodeTable.withUnsafeBufferPointer { table in
                var offset = 0
                while offset < input.count {
                    // Fast path: four alphabet characters on a group boundary make three bytes.
                    if bits == 0, !sawPadding, offset + 4 <= input.count, count + 3 <= maxBytes {
                        let a = table[Int(input[offset])], b = table[Int(input[offset + 1])]
                        let c = table[Int(input[offset + 2])], d = table[Int(input[offset + 3])]
                        if a | b | c | d < 64 {
                            let n = UInt32(a) << 18 | UInt32(b) << 12 | UInt32(c) << 6 | UInt32(d)
                            out[count] = UInt8(truncatingIfNeeded: n >> 16)
                            out[count + 1] = UInt8(truncatingIfNeeded: n >> 8)
                            out[count + 2] = UInt8(truncatingIfNeeded: n)
                            count += 3
                            offset += 4
                            continue
                        }
                    }
                    defer { offset += 1 }
                    let value = table[Int(input[offset])]
                    if value < 64 {
                        if sawPadding {
                            failure = .misplacedPadding(offset: offset)
                            break
                        }
                        accumulator = accumulator << 6 | UInt32(value)
                        bits += 6
                        if bits >= 8 {
                            bits -= 8
                            if count == maxBytes {
                                tooLarge = true
                                break
                            }
                            out[count] = UInt8(truncatingIfNeeded: accumulator >> UInt32(bits))
                            count += 1
                        }
                    } else if value == 0xFD {
                        sawPadding = true
                    } else if value == 0xFF {
                        failure = .invalidCharacter(offset: offset)
                        break
                    }
                }
            }
            // 6 leftover bits means a single trailing character: no whole byte in it.
            if failure == nil, !tooLarge, bits >= 6 { failure = .invalidLength }
            initialized = count
        }
        if let failure { return .failure(failure) }
        return .success(tooLarge ? nil : output)
    }

    private static let alphabet: [UInt8] = Array(
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/".utf8)

    /// Encodes with padding (used by tests, fixtures and the control plane).
    static func encode(_ bytes: [UInt8]) -> String {
        var out: [UInt8] = []
        append(bytes, to: &out)
        return String(decoding: out, as: UTF8.self)
    }

    /// Appends the padded base64 of `bytes` to `out`, written in place (an editor's answer is
    /// 2–3 MB of it: no per-byte append, no String in between).
    static func append(_ bytes: [UInt8], to out: inout [UInt8]) {
        let length = (bytes.count + 2) / 3 * 4
        let start = out.count
        out.append(contentsOf: repeatElement(UInt8(ascii: "="), count: length))
        bytes.withUnsafeBufferPointer { input in
            alphabet.withUnsafeBufferPointer { table in
                out.withUnsafeMutableBufferPointer { buffer in
                    var o = start
                    var i = 0
                    while i + 2 < input.count {
                        let n = UInt32(input[i]) << 16 | UInt32(input[i + 1]) << 8 | UInt32(input[i + 2])
                        buffer[o] = table[Int(n >> 18 & 63)]
                        buffer[o + 1] = table[Int(n >> 12 & 63)]
                        buffer[o + 2] = table[Int(n >> 6 & 63)]
                        buffer[o + 3] = table[Int(n & 63)]
                        i += 3
                        o += 4
                    }
                    let rest = input.count - i
                    if rest > 0 {
                        let n = UInt32(input[i]) << 16 | (rest == 2 ? UInt32(input[i + 1]) << 8 : 0)
                        buffer[o] = table[Int(n >> 18 & 63)]
                        buffer[o + 1] = table[Int(n >> 12 & 63)]
                        if rest == 2 { buffer[o + 2] = table[Int(n >> 6 & 63)] }
                    }
                }
            }
        }
    }
}
