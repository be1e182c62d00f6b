import Synchronization

/// A boolean shared between threads, as a class so a background loop can hold it without
/// holding its owner.
final class SharedFlag: Sendable {
    private let value: Mutex<Bool>

    init(_ initial: Bool = false) {
        value = Mutex(initial)
    }

    func withLock<R>(_ body: (inout Bool) -> R) -> R {
        value.withLock { body(&$0) }
    }
}
