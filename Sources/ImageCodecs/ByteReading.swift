/// Bounds-unchecked integer reads for the header walkers; every caller checks the range first.
extension Array where Element == UInt8 {
    @inline(__always) func bigEndian16(at offset: Int) -> Int {
        Int(self[offset]) << 8 | Int(self[offset + 1])
    }

    @inline(__always) func bigEndian32(at offset: Int) -> Int {
        Int(self[offset]) << 24 | Int(self[offset + 1]) << 16 | Int(self[offset + 2]) << 8 | Int(self[offset + 3])
    }

    @inline(__always) func littleEndian16(at offset: Int) -> Int {
        Int(self[offset]) | Int(self[offset + 1]) << 8
    }

    @inline(__always) func littleEndian24(at offset: Int) -> Int {
        Int(self[offset]) | Int(self[offset + 1]) << 8 | Int(self[offset + 2]) << 16
    }

    @inline(__always) func littleEndian32(at offset: Int) -> Int {
        Int(self[offset]) | Int(self[offset + 1]) << 8 | Int(self[offset + 2]) << 16 | Int(self[offset + 3]) << 24
    }

    /// Whether `pattern` occurs at `offset` (false when it would run past the end).
    @inline(__always) func matches(_ pattern: [UInt8], at offset: Int) -> Bool {
        guard offset >= 0, offset <= count - pattern.count else { return false }
        for index in pattern.indices where self[offset + index] != pattern[index] {
            return false
        }
        return true
    }

    /// Four bytes at `offset` as text, for chunk names in error messages.
    func fourCC(at offset: Int) -> String {
        String(decoding: self[offset..<offset + 4].map { (0x20...0x7E).contains($0) ? $0 : 0x3F }, as: UTF8.self)
    }
}
