import Glibc
import MicroHTTP

/// Answers the control plane's `GET /__mock/tasks/{id}` of a finished task from the request head
/// (docs/architecture.md "Request path"), as `FinishedPollResponder` answers its poll: the
/// inspection `inspectTask` kept for the task is queued as it is, so a look at a task costs what
/// a poll of it costs.
///
/// Only where the answer is the pipeline's to the letter: `GET` of exactly `/__mock/tasks/{id}`
/// (no further segment), no body, no `Range` or `If-None-Match`, no admin token configured (the
/// pipeline checks it), for a task whose inspection the pipeline kept with its expiry and which
/// no removal may have touched since (`TaskStore.removalGeneration`). The query is not read: the
/// pipeline does not read it either. Fault rules, rate limits and cassettes never apply to the
/// control plane, and the journal does not keep it; the answer is counted in the metrics as the
/// pipeline would count it.
final class InspectionResponder: EarlyResponder {
    static let prefix: StaticString = "/__mock/tasks/"
    /// The metrics label of the route (`Router.Pattern.label` of the prefix).
    static let route = "/__mock/tasks/*"

    /// Unmanaged, as `EarlyAnswerContext` holds the rest.
    private let inspections: Unmanaged<FinishedResultCache>
    private let context: EarlyAnswerContext
    /// With an admin token every inspection goes the pipeline's way, where the token is checked.
    private let adminTokenRequired: Bool

    init(inspections: FinishedResultCache, context: EarlyAnswerContext, adminTokenRequired: Bool) {
        self.inspections = .passUnretained(inspections)
        self.context = context
        self.adminTokenRequired = adminTokenRequired
    }

    func mayAnswer(_ head: BorrowedRequestHead) -> Bool {
        head.pathHasPrefix(Self.prefix) && head.methodIs("GET")
    }

    func respond(to head: BorrowedRequestHead) -> EarlyAnswer {
        guard !adminTokenRequired else { return .declined }
        let started = MonotonicClock.nanoseconds()
        let path = head.path
        let idBytes = UnsafeRawBufferPointer(rebasing: path[Self.prefix.utf8CodeUnitCount...])
        guard !idBytes.isEmpty, !idBytes.contains(UInt8(ascii: "/")), let id = InlineKey(idBytes) else {
            return .declined
        }
        return head.withFields(headerRoom: Self.headerRoom, queryRoom: Self.queryRoom) { headers, _ in
            var wanted = EarlyRequestHeaders()
            for field in headers { wanted.see(name: field.name, value: field.value) }
            guard !wanted.announcesBody, !wanted.asksConditionally else { return .declined }
            let (nowMs, generation) = (context.nowMs, context.removalGeneration)
            return inspections._withUnsafeGuaranteedRef {
                $0.answerEarly(id: id, tenant: nil, nowMs: nowMs, generation: generation, on: head) { _ in
                    context.recorder.recordEarlyControlPlane(route: .inspection, startedNanoseconds: started)
                }
            }
        }
    }

    private static let headerRoom = 32
    /// Not read; room enough that a usual query is listed rather than declined.
    private static let queryRoom = 8
}
