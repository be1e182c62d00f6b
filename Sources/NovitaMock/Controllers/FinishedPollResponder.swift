import Glibc
import MicroHTTP

/// Answers a poll of a finished task from the request head (docs/architecture.md "Request path"):
/// what clients do most costs a key lookup, a tenant check and a response object made once —
/// the request is not copied into strings, the pipeline does not run.
///
/// Only where the answer is the pipeline's answer to the letter: `GET /v3/async/task-result` with
/// only `task_id` in the query, no body, a key, a host that serves the API, no fault rule, no
/// rate limit and no cassette, for a task whose answer `TaskResultController` already kept with
/// its tenant and expiry and which no removal may have touched since (`TaskStore.removalGeneration`).
/// Everything else — unfinished tasks, errors, another key — is declined and goes the usual way.
/// What it answers is counted and journaled as the pipeline would (`RequestRecorder.recordEarly`).
final class FinishedPollResponder: EarlyResponder {
    static let path: StaticString = "/v3/async/task-result"
    /// The same, as the metrics label it (`Metrics.EarlyRoute`).
    static let route = "/v3/async/task-result"

    /// Unmanaged, as `EarlyAnswerContext` holds the rest.
    private let results: Unmanaged<FinishedResultCache>
    private let context: EarlyAnswerContext

    init(results: FinishedResultCache, context: EarlyAnswerContext) {
        self.results = .passUnretained(results)
        self.context = context
    }

    /// Every request is asked: anything else is declined by these two comparisons.
    func mayAnswer(_ head: BorrowedRequestHead) -> Bool {
        head.pathIs(Self.path) && head.methodIs("GET")
    }

    func respond(to head: BorrowedRequestHead) -> EarlyAnswer {
        guard !context.faultRulesInForce else { return .declined }
        let started = MonotonicClock.nanoseconds()
        return head.withFields(headerRoom: Self.headerRoom, queryRoom: Self.queryRoom) { headers, query in
            answer(head, headers: headers, query: query, started: started)
        }
    }

    private static let headerRoom = 32
    private static let queryRoom = 4

    private func answer(
        _ head: BorrowedRequestHead, headers: UnsafeBufferPointer<BorrowedField>,
        query: UnsafeBufferPointer<BorrowedField>, started: UInt64
    ) -> EarlyAnswer {
        var wanted = EarlyRequestHeaders()
        for field in headers { wanted.see(name: field.name, value: field.value) }
        guard !wanted.announcesBody, wanted.hostServesAPI, let authorization = wanted.authorization,
            let keyRange = Authenticator.keyRange(in: authorization),
            let tenant = InlineKey(UnsafeRawBufferPointer(rebasing: authorization[keyRange])),
            let id = Self.taskID(in: query)
        else { return .declined }
        let (nowMs, generation) = (context.nowMs, context.removalGeneration)
        return results._withUnsafeGuaranteedRef {
            $0.answerEarly(id: id, tenant: tenant, nowMs: nowMs, generation: generation, on: head) { body in
                context.recorder.recordEarly(
                    query: query, headers: headers, route: .taskResult,
                    path: UnsafeRawBufferPointer(start: Self.path.utf8Start, count: Self.path.utf8CodeUnitCount),
                    apiKey: UnsafeRawBufferPointer(rebasing: authorization[keyRange]),
                    testID: wanted.testID, responseBody: body, timeMs: nowMs, startedNanoseconds: started)
            }
        }
    }

    /// The `task_id` when it is the only parameter name in the query (another one draws a warning
    /// or, in strict mode, a 400: the pipeline's to give) and the first one is not empty.
    private static func taskID(in query: UnsafeBufferPointer<BorrowedField>) -> InlineKey? {
        guard let first = query.first, first.value.count > 0,
            query.allSatisfy({ $0.name.isExactly("task_id") })
        else { return nil }
        return InlineKey(first.value)
    }
}
