import FoundationEssentials
import Synchronization

/// The mock's one source of time, in epoch milliseconds (docs/contract.md §5). `real` follows the wall
/// clock (optionally faster or slower by `scale`); `virtual` stands still until advanced, so
/// client tests never sleep.
public final class MockClock: Sendable {
    public enum Mode: String, Sendable, CaseIterable {
        case real, virtual
    }

    /// Where `anchor` offsets are measured from.
    private let origin = MonotonicClock.nanoseconds()
    /// The clock's state in atomics, so `nowMs` (several times per request, on every poll thread)
    /// takes no lock: a sequence lock. Writers (rare: a test moving the clock) hold `writer`
    /// and make `version` odd while they change the fields; a reader retries when it saw an odd
    /// version or the version moved under it.
    private let version = Atomic<Int>(0)
    private let virtualMode: Atomic<Bool>
    /// Mock time at `anchor`.
    private let anchorMockMs: Atomic<Int64>
    /// `anchor` as nanoseconds after `origin`.
    private let anchorNs = Atomic<Int64>(0)
    private let scaleBits = Atomic<UInt64>(1.0.bitPattern)
    private let writer = Mutex(())

    private struct State {
        var virtualMode: Bool
        var anchorMockMs: Int64
        var anchorNs: Int64
        var scale: Double
    }

    public init(mode: Mode = .real, startEpochMs: Int64? = nil) {
        let start = startEpochMs ?? Int64((Date().timeIntervalSince1970 * 1000).rounded(.down))
        virtualMode = Atomic(mode == .virtual)
        anchorMockMs = Atomic(start)
    }

    /// A consistent copy of the state.
    private func read() -> State {
        while true {
            let before = version.load(ordering: .acquiring)
            let state = State(
                virtualMode: virtualMode.load(ordering: .relaxed), anchorMockMs: anchorMockMs.load(ordering: .relaxed),
                anchorNs: anchorNs.load(ordering: .relaxed),
                scale: Double(bitPattern: scaleBits.load(ordering: .relaxed)))
            atomicMemoryFence(ordering: .acquiring)
            if before & 1 == 0, version.load(ordering: .relaxed) == before { return state }
        }
    }

    /// Changes the state; `change` is given the current one (with the mock time of now as its
    /// anchor), under the writers' lock.
    private func write(_ change: (inout State) -> Void) {
        writer.withLock { _ in
            var state = read()
            let nowNs = nanoseconds(since: origin)
            state.anchorMockMs = current(state, nowNs: nowNs)
            state.anchorNs = nowNs
            change(&state)
            version.add(1, ordering: .relaxed)
            atomicMemoryFence(ordering: .releasing)
            virtualMode.store(state.virtualMode, ordering: .relaxed)
            anchorMockMs.store(state.anchorMockMs, ordering: .relaxed)
            anchorNs.store(state.anchorNs, ordering: .relaxed)
            scaleBits.store(state.scale.bitPattern, ordering: .relaxed)
            version.add(1, ordering: .releasing)
        }
    }

    /// Now, in epoch milliseconds of the mock's clock.
    public func nowMs() -> Int64 {
        let state = read()
        return state.virtualMode ? state.anchorMockMs : current(state, nowNs: nanoseconds(since: origin))
    }

    public var mode: Mode { read().virtualMode ? .virtual : .real }
    public var scale: Double { read().scale }

    /// Moves the clock forward (in either mode).
    public func advance(milliseconds: Int64) {
        write { $0.anchorMockMs += max(0, milliseconds) }
    }

    public func setMode(_ mode: Mode) {
        write { $0.virtualMode = mode == .virtual }
    }

    /// How fast real mode runs: 2 is twice the wall clock's rate.
    public func setScale(_ scale: Double) {
        write { $0.scale = scale }
    }

    /// Wall-clock milliseconds until the mock clock reaches `target`, or nil when it never will
    /// by itself (virtual mode, or a zero scale).
    func realDelayMs(until target: Int64) -> Int64? {
        let state = read()
        guard !state.virtualMode, state.scale > 0 else { return nil }
        let remaining = Double(target - current(state, nowNs: nanoseconds(since: origin))) / state.scale
        return max(0, Int64(remaining.rounded(.up)))
    }

    private func nanoseconds(since origin: UInt64) -> Int64 {
        Int64(bitPattern: MonotonicClock.nanoseconds() &- origin)
    }

    private func current(_ state: State, nowNs: Int64) -> Int64 {
        guard !state.virtualMode else { return state.anchorMockMs }
        let ms = Double(nowNs - state.anchorNs) / 1e6
        return state.anchorMockMs + Int64((ms * state.scale).rounded(.down))
    }
}
