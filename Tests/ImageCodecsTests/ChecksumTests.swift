import Testing

@testable import ImageCodecs

/// `PNGStructure.crc` (the C shims' `cis_crc32`: carry-less-multiply folding on x86-64 from
/// 64 bytes up, zlib's table for the rest) against the bit-by-bit definition.
struct ChecksumTests {
    @Test func crcMatchesTheDefinitionAtEveryLengthAndAlignment() {
        var generator = SystemRandomNumberGenerator()
        let bytes = (0..<5_000).map { _ in UInt8.random(in: 0...255, using: &generator) }
        // Every length around the 16- and 64-byte steps of the folding, at unaligned starts.
        for offset in 0..<4 {
            for length in Array(0..<300) + [1_023, 1_024, 1_025, 4_096 - offset] {
                let slice = Array(bytes[offset..<offset + length])
                #expect(
                    PNGStructure.crc(slice, from: 0, count: slice.count) == PNGFixture.crc32(slice),
                    "length \(length) at offset \(offset)")
            }
        }
    }

    @Test func crcOfAKnownString() {
        // The standard check value of CRC-32/ISO-HDLC, and 64 bytes of it to take the folding path.
        #expect(PNGStructure.crc(Array("123456789".utf8), from: 0, count: 9) == 0xCBF4_3926)
        let long = Array(String(repeating: "123456789", count: 8).utf8)
        #expect(PNGStructure.crc(long, from: 0, count: long.count) == PNGFixture.crc32(long))
    }
}
