import DequeModule
import MicroHTTP

/// The task-result answer of finished tasks, which never changes once a task has finished: polls
/// of a finished task (what clients do most) skip building JSON and signing URLs, and queue one
/// libmicrohttpd response object made once per task (`PreparedResponse`) instead of building one
/// per poll. Bounded by entries, oldest dropped first.
///
/// Entries stored with their tenant and expiry (`EarlyStamp`) also answer polls from the request
/// head (`FinishedPollResponder`), keyed by bytes, without a string or a reference count. The
/// control plane keeps its finished inspections in one of these too (`InspectionResponder`).
final class FinishedResultCache: Sendable {
    /// What a poll answered from the request head must still check: whose task it is (nil for an
    /// inspection, which is nobody's in particular), until when it lives, and the store's removal
    /// generation the task was last seen alive at.
    struct EarlyStamp: Sendable {
        var tenant: InlineKey?
        var expiresAtMs: Int64
        var generation: Int
    }

    private struct EarlyEntry {
        var stamp: EarlyStamp
        /// Kept alive by the `HTTPResponse` in `responses` under the same id: both go together.
        let prepared: Unmanaged<PreparedResponse>
    }

    private struct State {
        var responses: [String: HTTPResponse] = [:]
        var order = Deque<String>()
        /// The entries with a stamp and a prepared object, by id bytes.
        var early: [InlineKey: EarlyEntry] = [:]
    }

    let capacity: Int
    /// Read by every poll, written once per finished task: readers do not wait for each other.
    private let state = ReadWriteLocked(State())

    init(capacity: Int = 10_000) {
        self.capacity = capacity
    }

    /// The answer kept for task `id`.
    func response(for id: String) -> HTTPResponse? {
        state.withReadLock { $0.responses[id] }
    }

    /// The body kept for task `id`.
    func body(for id: String) -> [UInt8]? {
        guard case .bytes(let bytes) = response(for: id)?.body else { return nil }
        return bytes
    }

    /// Keeps `body` as the answer for task `id` (the first one stored wins) and returns the answer
    /// to send.
    /// With `stamp`, the entry also answers polls from the request head.
    @discardableResult
    func store(_ body: [UInt8], for id: String, stamp: EarlyStamp? = nil) -> HTTPResponse {
        let headers: HTTPHeaders = ["Content-Type": "application/json"]
        let made =
            PreparedResponse(status: 200, headers: headers, body: .bytes(body)).map(HTTPResponse.init(prepared:))
            ?? HTTPResponse(status: 200, headers: headers, body: body)
        guard capacity > 0 else { return made }
        return state.withWriteLock { state in
            if let kept = state.responses[id] { return kept }
            state.responses[id] = made
            state.order.append(id)
            if let stamp, let prepared = made.prepared, let key = InlineKey(id) {
                state.early[key] = EarlyEntry(stamp: stamp, prepared: .passUnretained(prepared))
            }
            while state.order.count > capacity, let oldest = state.order.popFirst() {
                state.responses[oldest] = nil
                if let key = InlineKey(oldest) { state.early[key] = nil }
            }
            return made
        }
    }

    /// A poll found the entry and checked the task in the store after reading `generation`: the
    /// entry may answer from the head again until the next removal.
    func confirm(id: String, generation: Int) {
        guard let key = InlineKey(id),
            state.withReadLock({ $0.early[key].map { $0.stamp.generation < generation } ?? false })
        else { return }
        state.withWriteLock { state in
            if let index = state.early.index(forKey: key) {
                state.early.values[index].stamp.generation = max(state.early.values[index].stamp.generation, generation)
            }
        }
    }

    /// Queues the kept answer for task `id` on `head` when it belongs to `tenant` (any tenant's
    /// when nil: the control plane's inspections), has not expired at `nowMs` and no task was
    /// removed since it was last seen alive (`generation` is the store's now); then, still under
    /// the lock, gives `answered` the body sent (the journal copies it: no reference to it
    /// outlives the call). Returns what happened.
    func answerEarly(
        id: InlineKey, tenant: InlineKey?, nowMs: Int64, generation: Int, on head: BorrowedRequestHead,
        answered: (UnsafeRawBufferPointer) -> Void
    ) -> EarlyAnswer {
        state.withReadLock { state in
            // Queued under the lock: an eviction cannot free the object in between.
            guard let entry = state.early[id],
                tenant.map({ entry.stamp.tenant?.matchesInConstantTime($0) ?? false }) ?? true,
                nowMs < entry.stamp.expiresAtMs, entry.stamp.generation == generation
            else { return .declined }
            return entry.prepared._withUnsafeGuaranteedRef { prepared in
                let answer = head.queue(prepared)
                if case .bytes(let body) = prepared.body {
                    body.withUnsafeBytes(answered)
                } else {
                    answered(UnsafeRawBufferPointer(start: nil, count: 0))
                }
                return answer
            }
        }
    }

    func removeAll() {
        state.withWriteLock { $0 = State() }
    }
}
