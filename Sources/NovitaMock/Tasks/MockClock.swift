import FoundationEssentials
import Synchronization

/// The mock's one source of time, in epoch milliseconds (docs/contract.md §5). `real` follows the wall
/// clock (optionally faster or slower by `scale`); `virtual` stands still until advanced, so
/// client tests never sleep.
public final class MockClock: Sendable {
    public enum Mode: String, Sendable, CaseIterable {
        case real, virtual
    }

    private struct State {
        var mode: Mode
        /// Mock time at `anchor`.
        var anchorMockMs: Int64
        var anchor: ContinuousClock.Instant
        var scale: Double
    }

    private let state: Mutex<State>

    public init(mode: Mode = .real, startEpochMs: Int64? = nil) {
        let start = startEpochMs ?? Int64((Date().timeIntervalSince1970 * 1000).rounded(.down))
        state = Mutex(State(mode: mode, anchorMockMs: start, anchor: .now, scale: 1))
    }

    /// Now, in epoch milliseconds of the mock's clock.
    public func nowMs() -> Int64 {
        state.withLock { Self.current($0) }
    }

    public var mode: Mode { state.withLock { $0.mode } }
    public var scale: Double { state.withLock { $0.scale } }

    /// Moves the clock forward (in either mode).
    public func advance(milliseconds: Int64) {
        state.withLock { state in
            state.anchorMockMs = Self.current(state) + max(0, milliseconds)
            state.anchor = .now
        }
    }

    public func setMode(_ mode: Mode) {
        state.withLock { state in
            state.anchorMockMs = Self.current(state)
            state.anchor = .now
            state.mode = mode
        }
    }

    /// How fast real mode runs: 2 is twice the wall clock's rate.
    public func setScale(_ scale: Double) {
        state.withLock { state in
            state.anchorMockMs = Self.current(state)
            state.anchor = .now
            state.scale = scale
        }
    }

    /// Wall-clock milliseconds until the mock clock reaches `target`, or nil when it never will
    /// by itself (virtual mode, or a zero scale).
    func realDelayMs(until target: Int64) -> Int64? {
        state.withLock { state in
            guard state.mode == .real, state.scale > 0 else { return nil }
            let remaining = Double(target - Self.current(state)) / state.scale
            return max(0, Int64(remaining.rounded(.up)))
        }
    }

    private static func current(_ state: State) -> Int64 {
        guard state.mode == .real else { return state.anchorMockMs }
        let elapsed = ContinuousClock.now - state.anchor
        let ms = Double(elapsed.components.seconds) * 1000 + Double(elapsed.components.attoseconds) / 1e15
        return state.anchorMockMs + Int64((ms * state.scale).rounded(.down))
    }
}
