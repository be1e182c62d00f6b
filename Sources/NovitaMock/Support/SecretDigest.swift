import Digests

/// A secret (an API key, the admin token) kept as its SHA-256 digest, so that checking a guess
/// takes the same steps whatever the guess and the secret are.
///
/// Comparing the raw bytes would stop early on a length mismatch and so tell an attacker the
/// secret's length; comparing two 32-byte digests, every byte each time, tells neither where
/// the first difference is nor how long the secret is. Hashing the guess costs time in its own
/// length only, which the guesser knows already.
struct SecretDigest: Sendable {
    private let digest: [UInt8]

    init(_ secret: some Collection<UInt8>) {
        digest = SHA256.hash(secret)
    }

    func matches(_ guess: SecretDigest) -> Bool {
        var difference: UInt8 = 0
        for index in 0..<SHA256.byteCount { difference |= digest[index] ^ guess.digest[index] }
        return difference == 0
    }

    func matches(_ guess: some Collection<UInt8>) -> Bool { matches(SecretDigest(guess)) }
}
