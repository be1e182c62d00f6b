import DequeModule
import Synchronization

/// The serialized task-result body of finished tasks, which never changes once a task has
/// finished: polls of a finished task (what clients do most) skip building JSON and signing URLs.
/// Bounded by entries, oldest dropped first.
final class FinishedResultCache: Sendable {
    private struct State {
        var bodies: [String: [UInt8]] = [:]
        var order = Deque<String>()
    }

    let capacity: Int
    private let state = Mutex(State())

    init(capacity: Int = 10_000) {
        self.capacity = capacity
    }

    func body(for id: String) -> [UInt8]? {
        state.withLock { $0.bodies[id] }
    }

    func store(_ body: [UInt8], for id: String) {
        guard capacity > 0 else { return }
        state.withLock { state in
            guard state.bodies.updateValue(body, forKey: id) == nil else { return }
            state.order.append(id)
            while state.order.count > capacity, let oldest = state.order.popFirst() {
                state.bodies[oldest] = nil
            }
        }
    }

    func removeAll() {
        state.withLock { $0 = State() }
    }
}
