import Dispatch

/// Wakes a sleeping background loop early (a new task, a clock change), or lets it sleep until a
/// deadline. A counting semaphore, so a signal sent while nobody waits is not lost.
final class WakeSignal: Sendable {
    private let semaphore = DispatchSemaphore(value: 0)

    func signal() {
        semaphore.signal()
    }

    /// Sleeps up to `milliseconds` or until signalled.
    func wait(milliseconds: Int64) {
        _ = semaphore.wait(timeout: .now() + .milliseconds(Int(min(milliseconds, 3_600_000))))
    }
}
