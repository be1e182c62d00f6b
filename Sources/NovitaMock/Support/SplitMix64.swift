/// SplitMix64, written out so that nothing depends on the standard library's generators (whose
/// algorithms may change) or on per-process seeding: the same seed gives the same sequence on
/// every machine and run. It drives `--seed` replays, fault probabilities, NSFW draws and the
/// procedural patterns.
struct SplitMix64: RandomNumberGenerator, Sendable {
    private var state: UInt64

    init(seed: UInt64) {
        state = seed
    }

    /// Moves the sequence on by `count` draws at once (each draw only adds the same constant), so
    /// a restarted `--seed` run continues where the task log says it stopped.
    mutating func skip(_ count: UInt64) {
        state &+= 0x9E37_79B9_7F4A_7C15 &* count
    }

    /// The next 64 random bits.
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        return Self.mix(state)
    }

    /// A value in `range`, by multiply-high (no modulo bias worth caring about, no floating point).
    mutating func int(in range: ClosedRange<Int>) -> Int {
        let span = UInt64(range.upperBound - range.lowerBound) + 1
        let high = next().multipliedFullWidth(by: span).high
        return range.lowerBound + Int(high)
    }

    /// `true` with probability `numerator / denominator`.
    mutating func chance(_ numerator: Int, in denominator: Int) -> Bool {
        int(in: 0...(denominator - 1)) < numerator
    }

    /// The SplitMix64 finaliser: a good stateless 64-bit mixer, also used to combine hashes.
    static func mix(_ value: UInt64) -> UInt64 {
        var z = value
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
