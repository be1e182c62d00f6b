/// GIF's variable-length LZW (GIF89a §22 and Appendix F), for 8-bit palette indices.
///
/// Our own rather than giflib's: it is about sixty lines, needs no C callbacks or extra runtime
/// library in the image, and its output depends on nothing but its input. The code-size and
/// table-reset rules are the ones every decoder expects: the code width grows when the next
/// code would not fit, and a clear code is sent when the 4096-entry table is full.
struct GIFLZWCompressor {
    static let minimumCodeSize = 8
    private static let clearCode = 1 << minimumCodeSize
    private static let endCode = clearCode + 1
    private static let tableCapacity = 4096
    /// Open-addressing hash of (prefix code, byte) → code; a prime a bit larger than 4096 × 2.
    private static let hashSize = 9_973

    private var hashKeys = [Int32](repeating: -1, count: hashSize)
    private var hashCodes = [Int16](repeating: 0, count: hashSize)

    /// The LZW code stream of `indices`, packed least-significant bit first, not yet split into
    /// sub-blocks.
    mutating func compress(_ indices: [UInt8]) -> [UInt8] {
        var output: [UInt8] = []
        output.reserveCapacity(indices.count / 2)
        var bitBuffer = 0
        var bitCount = 0
        var codeSize = Self.minimumCodeSize + 1
        var nextCode = Self.endCode + 1

        func emit(_ code: Int) {
            bitBuffer |= code << bitCount
            bitCount += codeSize
            while bitCount >= 8 {
                output.append(UInt8(truncatingIfNeeded: bitBuffer))
                bitBuffer >>= 8
                bitCount -= 8
            }
        }

        resetTable()
        emit(Self.clearCode)
        guard var prefix = indices.first.map(Int.init) else {
            emit(Self.endCode)
            if bitCount > 0 { output.append(UInt8(truncatingIfNeeded: bitBuffer)) }
            return output
        }
        indices.withUnsafeBufferPointer { pixels in
            for position in 1..<pixels.count {
                let byte = Int(pixels[position])
                let key = Int32(prefix << 8 | byte)
                var slot = (prefix << 5 ^ byte) % Self.hashSize
                var found = -1
                while hashKeys[slot] != -1 {
                    if hashKeys[slot] == key {
                        found = Int(hashCodes[slot])
                        break
                    }
                    slot = slot + 1 == Self.hashSize ? 0 : slot + 1
                }
                if found >= 0 {
                    prefix = found
                    continue
                }
                emit(prefix)
                if nextCode == Self.tableCapacity {
                    emit(Self.clearCode)
                    resetTable()
                    nextCode = Self.endCode + 1
                    codeSize = Self.minimumCodeSize + 1
                } else {
                    if nextCode >= 1 << codeSize { codeSize += 1 }
                    hashKeys[slot] = key
                    hashCodes[slot] = Int16(nextCode)
                    nextCode += 1
                }
                prefix = byte
            }
        }
        emit(prefix)
        emit(Self.endCode)
        if bitCount > 0 { output.append(UInt8(truncatingIfNeeded: bitBuffer)) }
        return output
    }

    private mutating func resetTable() {
        for index in hashKeys.indices { hashKeys[index] = -1 }
    }
}
