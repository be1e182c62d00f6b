import Synchronization

/// Shares the storage of values that many tasks repeat (model names, the image base URL, input
/// keys, identical request summaries), so tasks submitted with the same value mostly hold one copy
/// instead of one each. Bounded: once `capacity` distinct values are held, the table starts over
/// empty, so values no task uses any more are not kept for ever and a flood of distinct values
/// (free-text prompts) costs at most `capacity` entries. Values still common are shared again as
/// soon as they come back; tasks keep the copies they already hold.
final class Interner<Value: Hashable & Sendable>: Sendable {
    private let values = Mutex(Set<Value>())
    let capacity: Int

    init(capacity: Int = 20_000) {
        self.capacity = capacity
    }

    func intern(_ value: Value) -> Value {
        values.withLock { values in
            if let existing = values.firstIndex(of: value) { return values[existing] }
            if values.count >= capacity { values.removeAll(keepingCapacity: true) }
            values.insert(value)
            return value
        }
    }

    /// How many distinct values are held now (for tests of the bound).
    var count: Int { values.withLock { $0.count } }
}
