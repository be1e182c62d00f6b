/// Big-endian bytes and size-prefixed boxes of ISO BMFF (ISO/IEC 14496-12), written in one pass:
/// a box's size is patched in when its body is complete.
struct ISOBoxWriter {
    private(set) var bytes: [UInt8] = []

    /// A box: 32-bit size, four-character type, then what `body` writes.
    mutating func box(_ type: String, _ body: (inout ISOBoxWriter) -> Void) {
        let start = bytes.count
        uint32(0)
        fourCC(type)
        body(&self)
        patchUInt32(at: start, UInt32(bytes.count - start))
    }

    /// A "full box": a box whose body starts with a version byte and 24 bits of flags.
    mutating func fullBox(_ type: String, version: UInt8 = 0, flags: UInt32 = 0, _ body: (inout ISOBoxWriter) -> Void) {
        box(type) { writer in
            writer.uint32(UInt32(version) << 24 | (flags & 0x00FF_FFFF))
            body(&writer)
        }
    }

    mutating func uint8(_ value: UInt8) { bytes.append(value) }

    mutating func uint16(_ value: UInt16) {
        bytes.append(UInt8(value >> 8))
        bytes.append(UInt8(value & 0xFF))
    }

    mutating func uint32(_ value: UInt32) {
        bytes.append(UInt8(value >> 24))
        bytes.append(UInt8((value >> 16) & 0xFF))
        bytes.append(UInt8((value >> 8) & 0xFF))
        bytes.append(UInt8(value & 0xFF))
    }

    mutating func fourCC(_ code: String) {
        let ascii = Array(code.utf8)
        precondition(ascii.count == 4, "a box type has four characters")
        bytes.append(contentsOf: ascii)
    }

    mutating func zeros(_ count: Int) { bytes.append(contentsOf: repeatElement(0, count: count)) }

    mutating func append(_ other: [UInt8]) { bytes.append(contentsOf: other) }

    /// The unity transformation matrix of `mvhd` and `tkhd` (16.16 and 2.30 fixed point).
    mutating func unityMatrix() {
        for value: UInt32 in [0x0001_0000, 0, 0, 0, 0x0001_0000, 0, 0, 0, 0x4000_0000] { uint32(value) }
    }

    private mutating func patchUInt32(at offset: Int, _ value: UInt32) {
        bytes[offset] = UInt8(value >> 24)
        bytes[offset + 1] = UInt8((value >> 16) & 0xFF)
        bytes[offset + 2] = UInt8((value >> 8) & 0xFF)
        bytes[offset + 3] = UInt8(value & 0xFF)
    }
}
