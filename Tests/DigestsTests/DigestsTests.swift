import Digests
import Testing

func hex(_ bytes: [UInt8]) -> String {
    let digits = Array("0123456789abcdef")
    return String(bytes.flatMap { [digits[Int($0 >> 4)], digits[Int($0 & 0xF)]] })
}

/// The FIPS 180-2 (appendix B) examples, plus the empty message.
@Suite struct SHA256Tests {
    @Test(arguments: [
        ("", "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"),
        ("abc", "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"),
        (
            "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq",
            "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1"
        ),
    ])
    func standardVectors(message: String, digest: String) {
        #expect(hex(SHA256.hash(Array(message.utf8))) == digest)
        #expect(hex(SHA256.hash(message.utf8)) == digest)
    }

    @Test func oneMillionAs() {
        let digest = SHA256.hash([UInt8](repeating: UInt8(ascii: "a"), count: 1_000_000))
        #expect(hex(digest) == "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0")
    }

    /// Slices, raw buffers and collections without contiguous storage hash the same bytes.
    @Test func everyInputFormAgrees() {
        let bytes = Array("xxabcyy".utf8)
        let expected = "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        #expect(hex(SHA256.hash(bytes[2..<5])) == expected)
        #expect(hex(bytes[2..<5].withUnsafeBytes { SHA256.hash($0) }) == expected)
        #expect(hex(SHA256.hash(bytes.lazy.filter { $0 != UInt8(ascii: "x") && $0 != UInt8(ascii: "y") })) == expected)
        #expect(
            hex(SHA256.hash(UnsafeRawBufferPointer(start: nil, count: 0)))
                == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
        #expect(SHA256.hash(bytes).count == SHA256.byteCount)
    }
}

/// RFC 4231 test cases 1–4, 6 and 7 (5 is a truncated output, which the API does not offer).
@Suite struct HMACSHA256Tests {
    static let longKey = [UInt8](repeating: 0xAA, count: 131)

    @Test(arguments: [
        (
            [UInt8](repeating: 0x0B, count: 20), Array("Hi There".utf8),
            "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7"
        ),
        (
            Array("Jefe".utf8), Array("what do ya want for nothing?".utf8),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
        ),
        (
            [UInt8](repeating: 0xAA, count: 20), [UInt8](repeating: 0xDD, count: 50),
            "773ea91e36800e46854db8ebd09181a72959098b3ef8c122d9635514ced565fe"
        ),
        (
            Array(1...25), [UInt8](repeating: 0xCD, count: 50),
            "82558a389a443c0ea4cc819899f2083a85f0faa3e578f8077a2e3ff46729665b"
        ),
        (
            longKey, Array("Test Using Larger Than Block-Size Key - Hash Key First".utf8),
            "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54"
        ),
        (
            longKey,
            Array(
                ("This is a test using a larger than block-size key and a larger than block-size data. "
                    + "The key needs to be hashed before being used by the HMAC algorithm.").utf8),
            "9b09ffa71b942fcb27635fbcd5b0e944bfdc63644f0713938a7f51535c3a35e2"
        ),
    ])
    func rfc4231(key: [UInt8], message: [UInt8], code: String) {
        #expect(hex(HMACSHA256.authenticationCode(key: key, message: message)) == code)
        let viaBuffers = key.withUnsafeBytes { key in
            message.withUnsafeBytes { HMACSHA256.authenticationCode(key: key, message: $0) }
        }
        #expect(hex(viaBuffers) == code)
    }

    /// `--url-secret ""` is accepted, so an empty key must work (value from Python's `hmac`).
    @Test func emptyKeyAndMessage() {
        #expect(
            hex(HMACSHA256.authenticationCode(key: [], message: []))
                == "b613679a0814d9ec772f95d778c35fc5ff1697c493715653c6c712144292c5ad")
    }
}
