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

    /// `decodeTable` four times, each value already in its place of a 24-bit group (character k
    /// of four shifted by 18 − 6k), anything but the 64 letters as the top bit: four lookups OR-ed
    /// give a group's three bytes, or a word with the top bit set when one of its four is not a
    /// letter.
    private static let groupTables: [UInt32] = (0..<4).flatMap { k in
        decodeTable.map { $0 < 64 ? UInt32($0) << UInt32(18 - 6 * k) : 0x8000_0000 }
    }

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
                    // Fast path: runs of four letters on a group boundary make three bytes each;
                    // anything else (white space, padding, a bad byte) one character at a time.
                    if bits == 0, !sawPadding {
                        let groups = min((input.count - offset) / 4, (maxBytes - count) / 3)
                        (offset, count) = decodeGroups(input, from: offset, count: groups, into: out, at: count)
                        if offset == input.count { break }
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

    /// Decodes up to `groups` groups of four letters from `offset`, stopping before the first
    /// group with anything else in it; returns where the text and the output then stand.
    @inline(__always) private static func decodeGroups(
        _ input: UnsafeBufferPointer<UInt8>, from offset: Int, count groups: Int,
        into out: UnsafeMutableBufferPointer<UInt8>, at start: Int
    ) -> (offset: Int, count: Int) {
        groupTables.withUnsafeBufferPointer { tables in
            let text = input.baseAddress! + offset
            let bytes = out.baseAddress! + start
            var g = 0
            while g < groups {
                let c = text + g &* 4
                let n =
                    tables[Int(c[0])] | tables[256 &+ Int(c[1])] | tables[512 &+ Int(c[2])]
                    | tables[768 &+ Int(c[3])]
                if n & 0x8000_0000 != 0 { break }
                let o = bytes + g &* 3
                o[0] = UInt8(truncatingIfNeeded: n >> 16)
                o[1] = UInt8(truncatingIfNeeded: n >> 8)
                o[2] = UInt8(truncatingIfNeeded: n)
                g &+= 1
            }
            return (offset + g * 4, start + g * 3)
        }
    }

    private static let alphabet: [UInt8] = Array(
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/".utf8)

    /// Encodes with padding (used by tests, fixtures and the control plane).
    static func encode(_ bytes: [UInt8]) -> String {
        var out: [UInt8] = []
        append(bytes, to: &out)
        return String(decoding: out, as: UTF8.self)
    }

    /// Every 12-bit value as its two letters, the first in the low byte: two lookups per three
    /// input bytes instead of four.
    private static let letterPairs: [UInt16] = (0..<4096).map { n in
        UInt16(alphabet[n >> 6]) | UInt16(alphabet[n & 63]) << 8
    }

    /// Appends the padded base64 of `bytes` to `out`, written in place (an editor's answer is
    /// 2–3 MB of it: no per-byte append, no String in between). From 1 MB up, the second half of
    /// the groups is written on `BlockingWorkPool.renderHelpers` while the caller writes the first.
    static func append(_ bytes: [UInt8], to out: inout [UInt8]) {
        let length = (bytes.count + 2) / 3 * 4
        let start = out.count
        out.append(contentsOf: repeatElement(UInt8(ascii: "="), count: length))
        let groups = bytes.count / 3
        bytes.withUnsafeBufferPointer { input in
            letterPairs.withUnsafeBufferPointer { pairs in
                out.withUnsafeMutableBufferPointer { buffer in
                    let source = input.baseAddress
                    let target = buffer.baseAddress! + start
                    let helpers = groups >= (1 << 20) / 3 ? BlockingWorkPool.renderHelpers : nil
                    BlockingWorkPool.inHalves(groups, on: helpers) { range in
                        guard let source else { return }
                        for g in range {
                            let i = source + g &* 3
                            let n = Int(i[0]) << 16 | Int(i[1]) << 8 | Int(i[2])
                            let word = UInt32(pairs[n >> 12]) | UInt32(pairs[n & 0xFFF]) << 16
                            UnsafeMutableRawPointer(target + g &* 4).storeBytes(of: word.littleEndian, as: UInt32.self)
                        }
                    }
                    let rest = input.count - groups * 3
                    if rest > 0 {
                        let i = groups * 3
                        let o = groups * 4
                        let n = UInt32(input[i]) << 16 | (rest == 2 ? UInt32(input[i + 1]) << 8 : 0)
                        alphabet.withUnsafeBufferPointer { table in
                            target[o] = table[Int(n >> 18 & 63)]
                            target[o + 1] = table[Int(n >> 12 & 63)]
                            if rest == 2 { target[o + 2] = table[Int(n >> 6 & 63)] }
                        }
                    }
                }
            }
        }
    }
}
