import Synchronization

/// Tells the lifecycle driver that the next event time may have moved (a new task, a clock
/// change, a retry scheduled). It only forwards to whoever registered; it never blocks.
final class WakeSignal: Sendable {
    /// In a struct: a bare closure in a `Mutex` is reabstracted by each `withLock` and written
    /// back wrapped in more thunks, so every signal would make the next one slower.
    private struct Handler: Sendable {
        let call: @Sendable () -> Void
    }
    private let handler = Mutex<Handler?>(nil)

    func onSignal(_ body: @escaping @Sendable () -> Void) {
        handler.withLock { $0 = Handler(call: body) }
    }

    func signal() {
        handler.withLock { $0 }?.call()
    }
}
