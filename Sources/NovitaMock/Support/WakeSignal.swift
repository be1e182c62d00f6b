import Synchronization

/// Tells the lifecycle driver that the next event time may have moved (a new task, a clock
/// change, a retry scheduled). It only forwards to whoever registered; it never blocks.
final class WakeSignal: Sendable {
    private let handler = Mutex<(@Sendable () -> Void)?>(nil)

    func onSignal(_ body: @escaping @Sendable () -> Void) {
        handler.withLock { $0 = body }
    }

    func signal() {
        handler.withLock { $0 }?()
    }
}
