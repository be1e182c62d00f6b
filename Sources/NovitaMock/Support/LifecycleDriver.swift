import Dispatch
import Synchronization

/// Moves time-driven work along on the mock's clock — task starts and finishes, expiry, webhook
/// retries, log flushes — with one timer rearmed for the next due moment. It holds no thread
/// while it waits, so any number of services (a test suite makes hundreds) cost nothing idle.
final class LifecycleDriver: Sendable {
    private let queue = DispatchQueue(label: "novita-mock.lifecycle")
    private let timer: TimerBox
    private let running = Mutex(false)
    private let tick: @Sendable () -> Int64?
    private let clock: MockClock

    /// - Parameter tick: does the due work and returns the next mock instant anything is due.
    init(clock: MockClock, tick: @escaping @Sendable () -> Int64?) {
        self.clock = clock
        self.tick = tick
        timer = TimerBox(DispatchSource.makeTimerSource(queue: queue))
    }

    func start() {
        let first = running.withLock { running -> Bool in
            defer { running = true }
            return !running
        }
        guard first else { return }
        timer.source.setEventHandler { [weak self] in self?.run() }
        timer.source.schedule(deadline: .now())
        timer.source.activate()
    }

    /// Runs now (on the driver's queue) and rearms; cheap to call often.
    func poke() {
        guard running.withLock({ $0 }) else { return }
        queue.async { [weak self] in self?.run() }
    }

    func stop() {
        let wasRunning = running.withLock { running -> Bool in
            defer { running = false }
            return running
        }
        if wasRunning { timer.source.cancel() }
    }

    private func run() {
        guard running.withLock({ $0 }) else { return }
        let next = tick()
        // Real mode: sleep until the next event (at most a second, so clock changes made without
        // a poke are noticed). Virtual mode: nothing moves until a poke.
        let delayMs = next.flatMap { clock.realDelayMs(until: $0) } ?? 1000
        timer.source.schedule(deadline: .now() + .milliseconds(Int(min(max(delayMs, 1), 1000))))
    }
}

/// A dispatch timer source, which libdispatch documents as safe to use from any thread.
private struct TimerBox: @unchecked Sendable {
    let source: any DispatchSourceTimer
    init(_ source: any DispatchSourceTimer) { self.source = source }
}
