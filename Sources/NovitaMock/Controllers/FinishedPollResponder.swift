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
    /// The same, for the metrics and the journal (a literal: no copy is made).
    static let route = "/v3/async/task-result"

    // Unmanaged, used through `_withUnsafeGuaranteedRef`: the service that made this responder
    // holds every one of them for longer than its server runs, and a counted reference would be
    // counted on every poll, by every poll thread, on the same few cache lines (even an
    // `unowned(unsafe)` one is retained around each call).
    private let results: Unmanaged<FinishedResultCache>
    private let store: Unmanaged<TaskStore>
    private let clock: Unmanaged<MockClock>
    private let faults: Unmanaged<FaultInjector>
    private let recorder: RequestRecorder

    init(
        results: FinishedResultCache, store: TaskStore, clock: MockClock, faults: FaultInjector,
        recorder: RequestRecorder
    ) {
        self.results = .passUnretained(results)
        self.store = .passUnretained(store)
        self.clock = .passUnretained(clock)
        self.faults = .passUnretained(faults)
        self.recorder = recorder
    }

    /// Every request is asked: anything else is declined by these two comparisons.
    func mayAnswer(_ head: BorrowedRequestHead) -> Bool {
        head.pathIs(Self.path) && head.methodIs("GET")
    }

    func respond(to head: BorrowedRequestHead) -> EarlyAnswer {
        guard !faults._withUnsafeGuaranteedRef({ $0.hasRules }) else { return .declined }
        let started = MonotonicClock.nanoseconds()
        // Room on the stack; a request with more fields than clients send is the pipeline's.
        return withUnsafeTemporaryAllocation(of: BorrowedField.self, capacity: Self.headerRoom) { headerRoom in
            let headerCount = head.listHeaders(into: headerRoom)
            guard headerCount <= headerRoom.count else { return .declined }
            return withUnsafeTemporaryAllocation(of: BorrowedField.self, capacity: Self.queryRoom) { queryRoom in
                let queryCount = head.listQueryParameters(into: queryRoom)
                guard queryCount <= queryRoom.count else { return .declined }
                return answer(
                    head, headers: UnsafeBufferPointer(rebasing: headerRoom[..<headerCount]),
                    query: UnsafeBufferPointer(rebasing: queryRoom[..<queryCount]), started: started)
            }
        }
    }

    private static let headerRoom = 32
    private static let queryRoom = 4

    private func answer(
        _ head: BorrowedRequestHead, headers: UnsafeBufferPointer<BorrowedField>,
        query: UnsafeBufferPointer<BorrowedField>, started: UInt64
    ) -> EarlyAnswer {
        var wanted = PollHeaders()
        for field in headers { wanted.see(name: field.name, value: field.value) }
        guard !wanted.announcesBody, wanted.hostServesAPI, let authorization = wanted.authorization,
            let keyRange = Authenticator.keyRange(in: authorization),
            let tenant = InlineKey(UnsafeRawBufferPointer(rebasing: authorization[keyRange])),
            let id = Self.taskID(in: query)
        else { return .declined }
        let nowMs = clock._withUnsafeGuaranteedRef { $0.nowMs() }
        let generation = store._withUnsafeGuaranteedRef { $0.removalGeneration }
        return results._withUnsafeGuaranteedRef {
            $0.answerEarly(id: id, tenant: tenant, nowMs: nowMs, generation: generation, on: head) { body in
                recorder.recordEarly(
                    query: query, headers: headers, method: "GET", path: Self.route, status: 200,
                    apiKey: UnsafeRawBufferPointer(rebasing: authorization[keyRange]), testID: wanted.testID,
                    responseBody: body,
                    timeMs: nowMs, startedNanoseconds: started)
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

/// The header fields a finished poll's answer depends on, found as `HTTPHeaders` finds them: the
/// first field named exactly so, else the first in any case.
private struct PollHeaders {
    /// One wanted field: what was seen of it so far.
    struct Field {
        let name: StaticString
        var exact: UnsafeRawBufferPointer?
        var anyCase: UnsafeRawBufferPointer?

        init(_ name: StaticString) { self.name = name }

        var value: UnsafeRawBufferPointer? { exact ?? anyCase }

        mutating func see(name seen: UnsafeRawBufferPointer, value: UnsafeRawBufferPointer) {
            guard seen.count == name.utf8CodeUnitCount, exact == nil else { return }
            if seen.isExactly(name) {
                exact = value
            } else if anyCase == nil, PollHeaders.sameInAnyCase(seen, name) {
                anyCase = value
            }
        }
    }

    private var authorizationField = Field("Authorization")
    private var hostField = Field("Host")
    private var testIDField = Field("X-Test-Id")
    /// `Content-Length` or `Transfer-Encoding`: a GET with a body is the pipeline's.
    private(set) var announcesBody = false

    var authorization: UnsafeRawBufferPointer? { authorizationField.value }
    var testID: UnsafeRawBufferPointer? { testIDField.value }

    mutating func see(name: UnsafeRawBufferPointer, value: UnsafeRawBufferPointer) {
        if Self.sameInAnyCase(name, "Content-Length") || Self.sameInAnyCase(name, "Transfer-Encoding") {
            announcesBody = true
        }
        authorizationField.see(name: name, value: value)
        hostField.see(name: name, value: value)
        testIDField.see(name: name, value: value)
    }

    /// Whether the `Host` names a host that serves the `/v3` API (`HostPersona`): a string is
    /// made only for names that may be Novita's.
    var hostServesAPI: Bool {
        guard let host = hostField.value, let first = host.first(where: { $0 != 0x20 && $0 != 0x09 }),
            HostPersona.mayBeNovitaName(initial: first)
        else { return true }
        return HostPersona(hostHeader: String(decoding: host, as: UTF8.self)).serves(path: "/v3/")
    }

    static func sameInAnyCase(_ name: UnsafeRawBufferPointer, _ wanted: StaticString) -> Bool {
        guard name.count == wanted.utf8CodeUnitCount else { return false }
        let wantedBytes = UnsafeRawBufferPointer(start: wanted.utf8Start, count: wanted.utf8CodeUnitCount)
        for index in 0..<name.count where Self.lower(name[index]) != Self.lower(wantedBytes[index]) {
            return false
        }
        return true
    }

    private static func lower(_ byte: UInt8) -> UInt8 {
        (0x41...0x5A).contains(byte) ? byte | 0x20 : byte
    }
}

extension UnsafeRawBufferPointer {
    /// Whether these bytes are exactly `text`'s.
    fileprivate func isExactly(_ text: StaticString) -> Bool {
        count == text.utf8CodeUnitCount && (count == 0 || memcmp(baseAddress!, text.utf8Start, count) == 0)
    }
}
