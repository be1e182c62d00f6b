import Dispatch
import Synchronization

/// Moves time-driven work along on the mock's clock — task starts and finishes, expiry, webhook
/// retries, log flushes — with one timer armed for the next due moment only. It holds no thread
/// while it waits and does not wake while nothing is due (a virtual clock that stands still, an
/// idle server), so any number of services (a test suite makes hundreds) cost nothing idle.
/// Whatever may bring the next event closer (a submit, a clock change, a retry) pokes it.
final class LifecycleDriver: Sendable {
    private enum Phase {
        case created, running, stopped
    }

    /// The longest single sleep: a bound on how far `DispatchTime` arithmetic is trusted.
    private static let longestSleepMs: Int64 = 86_400_000

    private let queue = DispatchQueue(label: "novita-mock.lifecycle")
    private let timer: TimerBox
    private let phase = Mutex(Phase.created)
    /// How long the driver chose to sleep after its last tick; nil: until poked (for tests).
    private let lastSleep = Mutex<Int64??>(nil)
    private let tick: @Sendable () -> Int64?
    private let clock: MockClock

    /// - Parameter tick: does the due work and returns the next mock instant anything is due.
    init(clock: MockClock, tick: @escaping @Sendable () -> Int64?) {
        self.clock = clock
        self.tick = tick
        timer = TimerBox(DispatchSource.makeTimerSource(queue: queue))
    }

    deinit {
        // An inactive source must not be released, and an armed one would fire for nobody.
        switch phase.withLock({ $0 }) {
        case .created:
            timer.source.activate()
            timer.source.cancel()
        case .running:
            timer.source.cancel()
        case .stopped:
            break
        }
    }

    func start() {
        let first = phase.withLock { phase -> Bool in
            guard phase == .created else { return false }
            phase = .running
            return true
        }
        guard first else { return }
        timer.source.setEventHandler { [weak self] in self?.run() }
        timer.source.schedule(deadline: .now())
        timer.source.activate()
    }

    /// Runs now (on the driver's queue) and rearms; cheap to call often.
    func poke() {
        guard isRunning else { return }
        queue.async { [weak self] in self?.run() }
    }

    func stop() {
        let wasRunning = phase.withLock { phase -> Bool in
            defer { if phase == .running { phase = .stopped } }
            return phase == .running
        }
        if wasRunning { timer.source.cancel() }
    }

    private var isRunning: Bool { phase.withLock { $0 == .running } }

    private func run() {
        guard isRunning else { return }
        let next = tick()
        // Real mode: sleep until the next event. Virtual mode, or nothing pending: sleep until
        // poked (every change of the clock goes through the control plane, which pokes).
        if let delayMs = next.flatMap({ clock.realDelayMs(until: $0) }) {
            let sleep = min(max(delayMs, 1), Self.longestSleepMs)
            lastSleep.withLock { $0 = .some(sleep) }
            timer.source.schedule(deadline: .now() + .milliseconds(Int(sleep)))
        } else {
            lastSleep.withLock { $0 = .some(nil) }
            timer.source.schedule(deadline: .distantFuture)
        }
    }

    /// After the first tick: the milliseconds the driver sleeps before its next one, or nil when
    /// it sleeps until poked. Before any tick: `.none`.
    var plannedSleepMs: Int64?? { lastSleep.withLock { $0 } }
}

/// A dispatch timer source, which libdispatch documents as safe to use from any thread.
private struct TimerBox: @unchecked Sendable {
    let source: any DispatchSourceTimer
    init(_ source: any DispatchSourceTimer) { self.source = source }
}
