import Synchronization

/// The one source of task ids and drawn seeds: seeded (`--seed`) so runs replay, or from the
/// system generator.
final class RandomSource: Sendable {
    private struct State {
        var seeded: SplitMix64?
        var draws: UInt64 = 0
    }
    private let state: Mutex<State>

    init(seed: UInt64?) {
        state = Mutex(State(seeded: seed.map(SplitMix64.init(seed:))))
    }

    func next() -> UInt64 {
        state.withLock { state in
            state.draws &+= 1
            if state.seeded != nil { return state.seeded!.next() }
            var system = SystemRandomNumberGenerator()
            return system.next()
        }
    }

    /// How many values were drawn so far: where a seeded sequence stands.
    var draws: UInt64 { state.withLock { $0.draws } }

    /// Continues a seeded sequence from where an earlier process left it (`--state-dir`), so a
    /// restart does not replay ids and seeds already handed out. Never moves backwards.
    func resume(afterDraws count: UInt64) {
        state.withLock { state in
            guard count > state.draws else { return }
            state.seeded?.skip(count - state.draws)
            state.draws = count
        }
    }

    /// A lowercase UUID version 4 string.
    func uuid() -> String {
        var bytes = [UInt8](repeating: 0, count: 16)
        let high = next()
        let low = next()
        for i in 0..<8 {
            bytes[i] = UInt8(truncatingIfNeeded: high >> (56 - 8 * UInt64(i)))
            bytes[8 + i] = UInt8(truncatingIfNeeded: low >> (56 - 8 * UInt64(i)))
        }
        bytes[6] = bytes[6] & 0x0F | 0x40
        bytes[8] = bytes[8] & 0x3F | 0x80
        return UUIDFormat.string(bytes)
    }

    /// A seed in 0…4294967295, as Stable Diffusion front ends draw them.
    func seed() -> UInt32 {
        UInt32(truncatingIfNeeded: next() >> 32)
    }
}

/// The text form of a UUID: lowercase hex in 8-4-4-4-12 groups.
enum UUIDFormat {
    static func string(_ bytes: [UInt8]) -> String {
        var out: [UInt8] = []
        out.reserveCapacity(36)
        for (i, byte) in bytes.enumerated() {
            if i == 4 || i == 6 || i == 8 || i == 10 { out.append(UInt8(ascii: "-")) }
            Hex.append(byte, to: &out)
        }
        return String(decoding: out, as: UTF8.self)
    }
}
