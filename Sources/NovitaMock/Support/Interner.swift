import Synchronization

/// Shares the storage of values that many tasks repeat (model names, the image base URL, input
/// keys, identical request summaries), so 100,000 tasks hold one copy instead of 100,000. Bounded:
/// past `capacity` distinct values new ones are returned as they are.
final class Interner<Value: Hashable & Sendable>: Sendable {
    private let values = Mutex(Set<Value>())
    let capacity: Int

    init(capacity: Int = 20_000) {
        self.capacity = capacity
    }

    func intern(_ value: Value) -> Value {
        values.withLock { values in
            if let existing = values.firstIndex(of: value) { return values[existing] }
            if values.count < capacity { values.insert(value) }
            return value
        }
    }
}
