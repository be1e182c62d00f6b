import Testing

@testable import NovitaMock

@Suite("SecretDigest")
struct SecretDigestTests {
    @Test func matchesOnlyTheSameBytes() {
        let secret = SecretDigest("sk-live-0123456789".utf8)
        #expect(secret.matches("sk-live-0123456789".utf8))
        #expect(!secret.matches("sk-live-012345678".utf8))
        #expect(!secret.matches("sk-live-01234567890".utf8))
        #expect(!secret.matches("".utf8))
        #expect(SecretDigest("".utf8).matches("".utf8))
    }
}
