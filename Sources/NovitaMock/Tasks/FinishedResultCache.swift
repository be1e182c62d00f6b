import DequeModule
import MicroHTTP
import Synchronization

/// The task-result answer of finished tasks, which never changes once a task has finished: polls
/// of a finished task (what clients do most) skip building JSON and signing URLs, and queue one
/// libmicrohttpd response object made once per task (`PreparedResponse`) instead of building one
/// per poll. Bounded by entries, oldest dropped first.
final class FinishedResultCache: Sendable {
    private struct State {
        var responses: [String: HTTPResponse] = [:]
        var order = Deque<String>()
    }

    let capacity: Int
    private let state = Mutex(State())

    init(capacity: Int = 10_000) {
        self.capacity = capacity
    }

    /// The answer kept for task `id`.
    func response(for id: String) -> HTTPResponse? {
        state.withLock { $0.responses[id] }
    }

    /// The body kept for task `id`.
    func body(for id: String) -> [UInt8]? {
        guard case .bytes(let bytes) = response(for: id)?.body else { return nil }
        return bytes
    }

    /// Keeps `body` as the answer for task `id` (the first one stored wins) and returns the answer
    /// to send.
    @discardableResult
    func store(_ body: [UInt8], for id: String) -> HTTPResponse {
        let headers: HTTPHeaders = ["Content-Type": "application/json"]
        let made =
            PreparedResponse(status: 200, headers: headers, body: .bytes(body)).map(HTTPResponse.init(prepared:))
            ?? HTTPResponse(status: 200, headers: headers, body: body)
        guard capacity > 0 else { return made }
        return state.withLock { state in
            if let kept = state.responses[id] { return kept }
            state.responses[id] = made
            state.order.append(id)
            while state.order.count > capacity, let oldest = state.order.popFirst() {
                state.responses[oldest] = nil
            }
            return made
        }
    }

    func removeAll() {
        state.withLock { $0 = State() }
    }
}
