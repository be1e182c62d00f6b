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
    /// Open-addressing hash of (prefix code, byte) → code: a power of two four times the table,
    /// so a slot is a multiply and a shift (a `%` per pixel cost more than the rest of the loop).
    private static let hashBits = 14
    private static let hashSize = 1 << hashBits

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
        // Raw pointers in the hot loop: array accesses through `self` cost a third of the time.
        hashKeys.withUnsafeMutableBufferPointer { keysBuffer in
            hashCodes.withUnsafeMutableBufferPointer { codesBuffer in
                indices.withUnsafeBufferPointer { pixels in
                    let keys = keysBuffer.baseAddress!
                    let codes = codesBuffer.baseAddress!
                    for position in 1..<pixels.count {
                        let byte = Int(pixels[position])
                        let key = Int32(truncatingIfNeeded: prefix &<< 8 | byte)
                        var slot = Int(
                            truncatingIfNeeded: (UInt32(bitPattern: key) &* 0x9E37_79B1) >> (32 - Self.hashBits))
                        var found = -1
                        while keys[slot] != -1 {
                            if keys[slot] == key {
                                found = Int(codes[slot])
                                break
                            }
                            slot = (slot &+ 1) & (Self.hashSize - 1)
                        }
                        if found >= 0 {
                            prefix = found
                            continue
                        }
                        emit(prefix)
                        if nextCode == Self.tableCapacity {
                            emit(Self.clearCode)
                            keys.update(repeating: -1, count: Self.hashSize)
                            nextCode = Self.endCode + 1
                            codeSize = Self.minimumCodeSize + 1
                        } else {
                            if nextCode >= 1 << codeSize { codeSize += 1 }
                            keys[slot] = key
                            codes[slot] = Int16(truncatingIfNeeded: nextCode)
                            nextCode += 1
                        }
                        prefix = byte
                    }
                }
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
