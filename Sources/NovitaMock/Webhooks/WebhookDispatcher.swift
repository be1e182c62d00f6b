import DequeModule
import Dispatch
import OutboundHTTP
import Synchronization

/// One delivery attempt, as `GET /__mock/webhooks` lists it.
struct WebhookAttempt: Sendable {
    let taskID: String
    let tenant: String
    let url: String
    let attempt: Int
    let atMs: Int64
    let latencyMs: Int
    let statusCode: Int?
    let error: String?
    /// `delivered`, `retry_scheduled`, `failed` (no retries left) or `abandoned` (shutdown: a
    /// retry that was waiting, or an attempt that failed once shutdown had begun).
    let outcome: String

    var json: JSONValue {
        .object([
            "task_id": .string(taskID),
            "api_key": .string(Logger.redact(tenant)),
            "url": .string(url),
            "attempt": .number(JSONNumber(attempt)),
            "time": .string(HTTPDate.iso8601(atMs)),
            "time_ms": .number(JSONNumber(atMs)),
            "latency_ms": .number(JSONNumber(latencyMs)),
            "status_code": statusCode.map { .number(JSONNumber($0)) } ?? .null,
            "error": error.map(JSONValue.string) ?? .null,
            "outcome": .string(outcome),
        ])
    }
}

/// Delivers `ASYNC_TASK_RESULT` events (docs/contract.md §8) off the request path: any 2xx within the
/// timeout is delivered; otherwise up to 5 retries after 1, 2, 4, 8 and 16 s of the mock's
/// clock, so a virtual clock drives retries too. A hanging receiver holds one thread of the
/// webhook pool for at most the timeout: uploads have a pool of their own, so it never delays
/// them, but enough hanging receivers at once make other webhooks wait for a thread.
final class WebhookDispatcher: Sendable {
    static let backoffSeconds: [Int64] = [1, 2, 4, 8, 16]
    static let maxLogEntries = 10_000

    private struct Delivery: Sendable {
        let taskID: String
        let tenant: String
        let url: String
        let body: [UInt8]
        var attempt: Int
        var dueAt: Int64
    }

    private struct State {
        var waiting: [Delivery] = []
        var inFlight = 0
        var log = Deque<WebhookAttempt>()
        var stopped = false
    }

    private let client: OutboundHTTPClient
    private let clock: MockClock
    private let timeoutMs: Int
    private let metrics: Metrics
    private let logger: Logger
    private let state = Mutex(State())
    private let idle = DispatchGroup()
    /// Called when a retry is scheduled, so the owner's timer loop can wake for it.
    let wakeups: WakeSignal

    init(
        client: OutboundHTTPClient, clock: MockClock, timeoutMs: Int, metrics: Metrics, logger: Logger,
        wakeups: WakeSignal
    ) {
        self.client = client
        self.clock = clock
        self.timeoutMs = timeoutMs
        self.metrics = metrics
        self.logger = logger
        self.wakeups = wakeups
    }

    /// Sends the event of a finished task now (first attempt).
    func enqueue(taskID: String, tenant: String, url: String, event: JSONValue) {
        let delivery = Delivery(
            taskID: taskID, tenant: tenant, url: url, body: JSONWriter.serialize(event), attempt: 1,
            dueAt: clock.nowMs())
        start(delivery)
    }

    /// Starts every retry that is due on the mock clock.
    func runDue() {
        let now = clock.nowMs()
        let due: [Delivery] = state.withLock { state in
            guard !state.stopped else { return [] }
            let ready = state.waiting.filter { $0.dueAt <= now }
            state.waiting.removeAll { $0.dueAt <= now }
            return ready
        }
        for delivery in due { start(delivery) }
    }

    func nextDueTime() -> Int64? {
        state.withLock { $0.waiting.map(\.dueAt).min() }
    }

    var pendingCount: Int { state.withLock { $0.waiting.count + $0.inFlight } }

    /// Whether shutdown has begun (no attempt starts, no retry is scheduled).
    var isStopped: Bool { state.withLock { $0.stopped } }

    func attempts(tenant: String?) -> [WebhookAttempt] {
        state.withLock { state in Array(state.log.filter { tenant == nil || $0.tenant == tenant }) }
    }

    func reset(tenant: String?) {
        state.withLock { state in
            state.waiting.removeAll { tenant == nil || $0.tenant == tenant }
            state.log.removeAll { tenant == nil || $0.tenant == tenant }
        }
    }

    /// Shutdown: waits up to `graceMs` for attempts in flight, and records every waiting retry as
    /// abandoned.
    func drain(graceMs: Int) {
        let abandoned: [Delivery] = state.withLock { state in
            state.stopped = true
            defer { state.waiting = [] }
            return state.waiting
        }
        for delivery in abandoned {
            append(
                WebhookAttempt(
                    taskID: delivery.taskID, tenant: delivery.tenant, url: delivery.url, attempt: delivery.attempt,
                    atMs: clock.nowMs(), latencyMs: 0, statusCode: nil, error: "server shutting down",
                    outcome: "abandoned"))
            metrics.recordWebhook(outcome: "abandoned")
        }
        _ = idle.wait(timeout: .now() + .milliseconds(max(0, graceMs)))
    }

    private func start(_ delivery: Delivery) {
        let accepted = state.withLock { state -> Bool in
            guard !state.stopped else { return false }
            state.inFlight += 1
            return true
        }
        guard accepted else { return }
        idle.enter()
        BlockingWorkPool.webhooks.submit { [self] in
            defer { idle.leave() }
            attempt(delivery)
        }
    }

    private func attempt(_ delivery: Delivery) {
        let startedAt = clock.nowMs()
        let started = ContinuousClock.now
        let request = OutboundRequest(
            method: "POST", url: delivery.url,
            headers: [
                (name: "Content-Type", value: "application/json"), (name: "User-Agent", value: "novita-mock-webhook"),
            ], body: delivery.body, timeoutMs: timeoutMs)
        let result = client.send(request)
        let latency = ContinuousClock.now - started
        let latencyMs = Int(latency.components.seconds * 1000 + latency.components.attoseconds / 1_000_000_000_000_000)
        var status: Int?
        var error: String?
        switch result {
        case .success(let response): status = response.status
        case .failure(let failure): error = Self.describe(failure)
        }
        let delivered = status.map { (200...299).contains($0) } ?? false
        let retryIndex = delivery.attempt - 1
        // Decided under the lock that shutdown sets: an attempt that fails once shutdown has
        // begun gets no retry, and is logged as abandoned rather than `retry_scheduled`.
        let outcome: String = state.withLock { state in
            let outcome: String
            if delivered {
                outcome = "delivered"
            } else if retryIndex >= Self.backoffSeconds.count {
                outcome = "failed"
            } else if state.stopped {
                outcome = "abandoned"
            } else {
                var next = delivery
                next.attempt += 1
                next.dueAt = clock.nowMs() + Self.backoffSeconds[retryIndex] * 1000
                state.waiting.append(next)
                outcome = "retry_scheduled"
            }
            Self.record(
                WebhookAttempt(
                    taskID: delivery.taskID, tenant: delivery.tenant, url: delivery.url, attempt: delivery.attempt,
                    atMs: startedAt, latencyMs: latencyMs, statusCode: status, error: error, outcome: outcome),
                in: &state)
            state.inFlight -= 1
            return outcome
        }
        metrics.recordWebhook(outcome: delivered ? "delivered" : "failed")
        if outcome == "retry_scheduled" { wakeups.signal() }
        if !delivered {
            logger.debug(
                "webhook attempt failed",
                [
                    ("task_id", delivery.taskID), ("attempt", String(delivery.attempt)),
                    ("error", error ?? "status \(status ?? 0)"),
                ])
        }
    }

    private func append(_ attempt: WebhookAttempt) {
        state.withLock { Self.record(attempt, in: &$0) }
    }

    private static func record(_ attempt: WebhookAttempt, in state: inout State) {
        state.log.append(attempt)
        if state.log.count > maxLogEntries { _ = state.log.popFirst() }
    }

    static func describe(_ error: OutboundError) -> String {
        switch error {
        case .invalidURL(let text): "invalid URL: \(text)"
        case .timedOut(let ms): "timed out after \(ms) ms"
        case .connectionFailed(let text): "connection failed: \(text)"
        case .failed(let text): text
        }
    }
}
