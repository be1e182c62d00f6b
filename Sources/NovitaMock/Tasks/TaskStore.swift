import DequeModule
import Dispatch
import Synchronization

/// The state of one task at one moment, as task-result reports it.
struct TaskSnapshot: Sendable {
    let record: TaskRecord
    let status: TaskStatus
    let progressPercent: Int
    let etaSeconds: Int
}

/// Limits and timing of the store.
struct TaskStoreSettings: Sendable {
    var workers = 4
    var timing = TimingModel()
    var taskTTLMs: Int64 = 3_600_000
    var maxTasksPerTenant = 100_000
}

/// Every task of every tenant, the simulated GPU pool and retention, behind one lock.
///
/// Task ids are globally unique, so image downloads (which carry no key) find their task here;
/// tenant isolation is enforced by the lookups that take a tenant.
///
/// Reads never move the simulation: they compute the state of the task they look at as of the
/// clock's now (`view`). Writes (submit, force, reset) and the lifecycle driver's `advanceToNow`
/// move it; tasks that finish on the way wait in an outbox until the driver takes them
/// (`deliverFinished`), so webhooks and uploads start only on the driver (docs/architecture.md).
final class TaskStore: Sendable {
    private struct TenantBook {
        var taskCount = 0
        /// Finished task ids, oldest first (ids already removed are skipped lazily).
        var finishedOrder = Deque<String>()
    }

    private struct State {
        var records: [String: TaskRecord] = [:]
        var serialToID: [Int: String] = [:]
        var tenants: [String: TenantBook] = [:]
        var scheduler: TaskScheduler
        var nextSerial = 1
        /// (finishedAt, id) in finishing order, for the TTL sweep.
        var expiryOrder = Deque<(Int64, String)>()
        /// Threads waiting for a task's custom-storage upload to settle (`waitForStorage`).
        var storageWaiters: [String: [DispatchSemaphore]] = [:]
        /// Tasks that finished (or await their upload) and whose side effects have not started.
        var outbox: [TaskRecord] = []
        /// Ids in submission order, for paged listings; ids of removed tasks are skipped, and
        /// dropped once they outnumber the stored ones.
        var submissionOrder: [String] = []
        /// The same object as `TaskStore.removals`, here for the removals the static helpers make.
        let removals: RemovalCounter
    }

    /// Counts tasks removed (expired, evicted, reset), bumped under the lock by the removal itself.
    final class RemovalCounter: Sendable {
        let count = Atomic<Int>(0)
    }

    let settings: TaskStoreSettings
    let clock: MockClock
    private let random: RandomSource
    private let inputs: InputImageStore
    private let state: Mutex<State>
    private let removals = RemovalCounter()
    /// The closure sits in a struct: a bare closure in a `Mutex` is reabstracted on every
    /// `withLock` and written back wrapped in two more thunks, so each notify would make the
    /// next one slower (a chain as long as the number of tasks ever finished).
    private struct FinishedHandler: Sendable {
        let call: @Sendable ([TaskRecord]) -> Void
    }
    private let finishedHandler: Mutex<FinishedHandler?> = Mutex(nil)
    private let strings = Interner<String>()
    private let summaries = Interner<[UInt8]>(capacity: 5_000)
    /// Wakes the lifecycle driver when the next event time may have moved earlier.
    let wakeups = WakeSignal()

    /// How many tasks were ever removed: read before checking a task, it tells a cache of
    /// finished answers whether the task may have gone since (the answer is unchanged when this
    /// is). One atomic read, no lock (`FinishedResultCache`).
    var removalGeneration: Int { removals.count.load(ordering: .acquiring) }

    private let readCounter = Atomic<Int>(0)
    /// How many stored tasks reads have looked at (tests check that one lookup reads one task).
    var recordsRead: Int { readCounter.load(ordering: .relaxed) }

    /// `--state-dir`'s log, when state is persisted.
    let log: TaskLog?

    init(
        settings: TaskStoreSettings, clock: MockClock, random: RandomSource, inputs: InputImageStore,
        log: TaskLog? = nil
    ) {
        self.settings = settings
        self.clock = clock
        self.random = random
        self.inputs = inputs
        self.log = log
        state = Mutex(
            State(scheduler: TaskScheduler(workers: settings.workers, now: clock.nowMs()), removals: removals))
    }

    /// Puts back tasks read from the state dir: finished ones as they were (same URLs, same
    /// bytes), unfinished ones queued again with their duration. Returns how many came back.
    func restore(_ records: [TaskRecord]) -> Int {
        let now = clock.nowMs()
        var restored = 0
        state.withLock { state in
            for var record in records {
                if let key = record.inputKey, !inputs.adopt(key) { record.inputKey = nil }
                if let finishedAt = record.finishedAt, record.status.isFinished {
                    guard finishedAt + settings.taskTTLMs > now else {
                        if let key = record.inputKey { inputs.release(key) }
                        log?.append(removalOf: record.id)
                        continue
                    }
                    let serial = state.nextSerial
                    state.nextSerial += 1
                    record = TaskRecord(copying: record, serial: serial)
                    state.records[record.id] = record
                    state.submissionOrder.append(record.id)
                    state.tenants[record.tenant, default: TenantBook()].taskCount += 1
                    state.tenants[record.tenant, default: TenantBook()].finishedOrder.append(record.id)
                    state.expiryOrder.append((finishedAt, record.id))
                } else {
                    let serial = state.nextSerial
                    state.nextSerial += 1
                    record = TaskRecord(copying: record, serial: serial)
                    record.status = .queued
                    record.startedAt = nil
                    record.awaitingStorage = false
                    state.records[record.id] = record
                    state.submissionOrder.append(record.id)
                    state.serialToID[serial] = record.id
                    state.tenants[record.tenant, default: TenantBook()].taskCount += 1
                    let job = TaskScheduler.Job(
                        serial: serial, eligibleAt: now, durationMs: record.durationMs,
                        dedicated: record.extra.enterprise)
                    Self.apply(state.scheduler.submit(job, at: now), to: &state, log: log)
                }
                restored += 1
            }
        }
        wakeups.signal()
        return restored
    }

    /// Called, outside the lock, with every task that has just finished.
    func onFinished(_ handler: @escaping @Sendable ([TaskRecord]) -> Void) {
        finishedHandler.withLock { $0 = FinishedHandler(call: handler) }
    }

    // MARK: submit

    /// Stores a new task and starts its clock.
    /// - Throws: 429 `RATE_LIMIT_EXCEEDED` when the tenant holds `maxTasksPerTenant` unfinished
    ///   tasks (an accepted task is never dropped before it ends).
    func submit(_ submission: TaskSubmission) throws(APIError) -> TaskRecord {
        var parameters = submission.parameters
        if submission.requestedSeed < 0 { parameters.seed = random.seed() }
        parameters.modelName = strings.intern(parameters.modelName)
        parameters.negativePrompt = strings.intern(parameters.negativePrompt)
        parameters.samplerName = strings.intern(parameters.samplerName)
        let tenant = strings.intern(submission.tenant)
        let baseURL = strings.intern(submission.imageBaseURL)
        let summary =
            submission.requestSummary.count <= 4096
            ? summaries.intern(submission.requestSummary) : submission.requestSummary
        let now = clock.nowMs()
        let inputKey: String?
        do {
            inputKey = try submission.inputImage.map { bytes throws(FileIO.Failure) in
                strings.intern(try inputs.put(bytes))
            }
        } catch {
            throw APIError(
                status: 503, reason: "SERVICE_UNAVAILABLE",
                message: "the state directory refused the input image: \(error.description)")
        }
        let timing = settings.timing
        let duration =
            submission.timing.processingMs ?? submission.modelledProcessingMs.map(timing.scaled)
            ?? timing.processingMs(
                steps: parameters.steps, imageNum: parameters.imageNum, width: parameters.width,
                height: parameters.height)
        let queueMs = submission.timing.queueMs ?? timing.queueMs
        // Test mode does no work; speed 0 finishes before the submit answers.
        let instant =
            timing.isInstant || submission.extra.webhook?.testModeStatus != nil || submission.finishedAtSubmit

        let result: Result<(TaskRecord, Int?), APIError> = state.withLock { state in
            var evicted: [String] = []
            // Mutated in place: a local copy of the book would share its finishedOrder storage, and
            // the append in settle() below would then copy the whole queue (O(tasks) per submit).
            if (state.tenants[tenant]?.taskCount ?? 0) >= settings.maxTasksPerTenant {
                guard
                    let victim = Self.oldestFinished(
                        &state.tenants[tenant, default: TenantBook()], records: state.records)
                else {
                    return .failure(
                        .rateLimited(
                            "tenant holds \(settings.maxTasksPerTenant) unfinished tasks (--max-tasks); retry when some finish",
                            retryAfterSeconds: 1))
                }
                evicted.append(victim)
            }
            for victim in evicted { Self.remove(victim, from: &state, inputs: inputs, log: log) }

            // `--seed` replays the id sequence, which after a restart with `--state-dir` starts
            // over among restored tasks: an id already stored is never handed out again.
            var id = random.uuid()
            while state.records[id] != nil { id = random.uuid() }
            let serial = state.nextSerial
            state.nextSerial += 1
            var record = TaskRecord(
                id: id, serial: serial, tenant: tenant, parameters: parameters, inputKey: inputKey,
                extra: submission.extra, outcome: submission.outcome, imageBaseURL: baseURL,
                requestSummary: summary, submittedAt: now, durationMs: instant ? 0 : duration,
                startedAt: nil, finishedAt: nil, status: .queued, failureReason: "")
            state.tenants[tenant, default: TenantBook()].taskCount += 1
            state.serialToID[serial] = id
            if state.submissionOrder.count > 2 * state.records.count + 1024 {
                state.submissionOrder.removeAll { state.records[$0] == nil }
            }
            state.submissionOrder.append(id)
            // Logged before anything else of this task, under the lock: the log's order is the
            // store's order, which lets compaction cut it at a consistent moment.
            let ticket = log?.append(submitOf: record, randomDraws: random.draws)
            if instant {
                record.startedAt = now
                state.records[id] = record
                Self.finish(serial: serial, at: now, state: &state, log: log)
            } else {
                state.records[id] = record
                let job = TaskScheduler.Job(
                    serial: serial, eligibleAt: now + max(0, queueMs), durationMs: duration,
                    dedicated: submission.extra.enterprise)
                let actions = state.scheduler.submit(job, at: now)
                Self.apply(actions, to: &state, log: log)
            }
            return .success((state.records[id] ?? record, ticket))
        }
        let (record, ticket) = try result.get()
        if let log, let ticket {
            do {
                try log.flush(until: ticket)
            } catch {
                state.withLock { state in
                    Self.remove(record.id, from: &state, inputs: inputs, log: nil)
                    state.outbox.removeAll { $0.id == record.id }  // refused: no webhook, no upload
                }
                throw APIError(
                    status: 503, reason: "SERVICE_UNAVAILABLE",
                    message: "the task could not be persisted: \(error.description)")
            }
        }
        wakeups.signal()
        return record
    }

    // MARK: reads

    /// The task as `tenant` may see it now; nil when unknown, foreign or expired.
    func snapshot(id: String, tenant: String) -> TaskSnapshot? {
        snapshot(id: id) { $0.tenant == tenant }
    }

    /// Whether task `id` is stored as finished, belongs to `tenant` and has not expired: what a
    /// poll of a finished task checks before its kept answer, without copying the record. False
    /// also when the task finished only as of now (the driver has not stored it yet): the caller
    /// then takes a snapshot.
    /// Without a tenant, whoever owns it (the control plane's inspection).
    func isFinished(id: String, tenant: String? = nil) -> Bool {
        let now = clock.nowMs()
        return state.withLock { state in
            readCounter.add(1, ordering: .relaxed)
            guard let index = state.records.index(forKey: id) else { return false }
            // Read in place (`inout` reaches the stored record): a plain read would copy the
            // record and retain everything it holds.
            return Self.isFinished(
                &state.records.values[index], tenant: tenant, now: now, ttl: settings.taskTTLMs)
        }
    }

    private static func isFinished(_ record: inout TaskRecord, tenant: String?, now: Int64, ttl: Int64) -> Bool {
        guard record.status.isFinished, tenant == nil || record.tenant == tenant, let finishedAt = record.finishedAt
        else { return false }
        return finishedAt + ttl > now
    }

    /// The task as it stands now, whoever owns it (the control plane's inspection).
    func snapshot(id: String) -> TaskSnapshot? {
        snapshot(id: id) { _ in true }
    }

    private func snapshot(id: String, visibleIf visible: (TaskRecord) -> Bool) -> TaskSnapshot? {
        let now = clock.nowMs()
        return state.withLock { state in
            readCounter.add(1, ordering: .relaxed)
            guard let stored = state.records[id], visible(stored),
                let record = Self.view(stored, at: now, ttl: settings.taskTTLMs, scheduler: &state.scheduler)
            else { return nil }
            return Self.describe(record, now: now, scheduler: &state.scheduler)
        }
    }

    /// The stored task regardless of tenant, as it stands now (image downloads are authorised by
    /// their signature).
    func record(id: String) -> TaskRecord? {
        let now = clock.nowMs()
        return state.withLock { state in
            readCounter.add(1, ordering: .relaxed)
            guard let record = state.records[id] else { return nil }
            return Self.view(record, at: now, ttl: settings.taskTTLMs, scheduler: &state.scheduler)
        }
    }

    /// Every task of `tenant` (or all), oldest first, as they stand now.
    func snapshots(tenant: String?) -> [TaskSnapshot] {
        let now = clock.nowMs()
        return state.withLock { state in
            readCounter.add(state.records.count, ordering: .relaxed)
            let records = state.records.values.filter { tenant == nil || $0.tenant == tenant }
                .sorted { $0.serial < $1.serial }
            return records.compactMap { stored in
                Self.view(stored, at: now, ttl: settings.taskTTLMs, scheduler: &state.scheduler).map {
                    Self.describe($0, now: now, scheduler: &state.scheduler)
                }
            }
        }
    }

    /// One page of the tasks of `tenant` (or all) in `status` (or any), oldest or newest first,
    /// and how many there are in all. Walks the submission order: without a status filter it
    /// stops at the page's end (a page of 50 out of 10,000 tasks looks at 50), with one it looks
    /// up each task once; it never sorts or describes more than the page.
    func page(
        tenant: String?, status: TaskStatus?, newestFirst: Bool, offset: Int, limit: Int
    ) -> (tasks: [TaskSnapshot], total: Int) {
        let now = clock.nowMs()
        return state.withLock { state in
            let order = state.submissionOrder
            var total = 0
            var looked = 0
            var page: [TaskSnapshot] = []
            var position = newestFirst ? order.count - 1 : 0
            while position >= 0 && position < order.count {
                let id = order[position]
                position += newestFirst ? -1 : 1
                guard let stored = state.records[id], tenant == nil || stored.tenant == tenant else { continue }
                looked += 1
                guard let record = Self.view(stored, at: now, ttl: settings.taskTTLMs, scheduler: &state.scheduler),
                    status == nil || record.status == status
                else { continue }
                if total >= offset && page.count < limit {
                    page.append(Self.describe(record, now: now, scheduler: &state.scheduler))
                }
                total += 1
                if status == nil && page.count == limit {
                    // The rest need not be looked at: every stored task counts.
                    total = tenant.map { state.tenants[$0]?.taskCount ?? 0 } ?? state.records.count
                    break
                }
            }
            readCounter.add(looked, ordering: .relaxed)
            return (page, total)
        }
    }

    /// Counts by status, the queue depth and the number stored (for metrics).
    func statistics() -> (byStatus: [TaskStatus: Int], queued: Int, running: Int, stored: Int) {
        state.withLock { state in
            var counts: [TaskStatus: Int] = [:]
            for record in state.records.values { counts[record.status, default: 0] += 1 }
            return (counts, state.scheduler.queuedCount, state.scheduler.runningCount, state.records.count)
        }
    }

    // MARK: time

    /// Runs the lifecycle up to the clock's now: starts, finishes, expiry. Side effects of the
    /// tasks that finished wait for `deliverFinished`.
    func advanceToNow() {
        let now = clock.nowMs()
        state.withLock { state in
            Self.advance(&state, to: now, ttl: settings.taskTTLMs, inputs: inputs, log: log)
        }
    }

    /// Hands every task that finished since the last call to the `onFinished` handler. Only the
    /// lifecycle driver calls this: it is where webhooks and uploads start.
    func deliverFinished() {
        let finished = state.withLock { state in
            defer { state.outbox = [] }
            return state.outbox
        }
        guard !finished.isEmpty, let handler = finishedHandler.withLock({ $0 }) else { return }
        handler.call(finished)
    }

    /// Rewrites the log with only the live tasks once dead lines outnumber live ones. Called by
    /// the lifecycle driver, off the request path; amortised O(1) per logged line.
    func compactLogIfNeeded() throws(FileIO.Failure) {
        guard let log else { return }
        let live = state.withLock { $0.records.count }
        guard log.needsCompaction(liveTasks: live) else { return }
        try log.compact { cut in
            state.withLock { state in cut(Array(state.records.values), random.draws) }  // sorted outside
        }
    }

    /// The next mock instant at which something changes by itself (a start, a finish, an expiry).
    func nextEventTime() -> Int64? {
        state.withLock { state in
            let expiry = state.expiryOrder.first.map { $0.0 + settings.taskTTLMs }
            return [state.scheduler.nextEventTime(), expiry].compactMap { $0 }.min()
        }
    }

    // MARK: control

    enum ForceError: Error, Equatable {
        case notFound
        case alreadyFinished(TaskStatus)
    }

    /// Ends a task now with `outcome` (the control plane's complete/fail).
    func force(id: String, tenant: String?, outcome: PlannedOutcome) throws(ForceError) -> TaskRecord {
        let now = clock.nowMs()
        let result: Result<TaskRecord, ForceError> = state.withLock { state in
            Self.advance(&state, to: now, ttl: settings.taskTTLMs, inputs: inputs, log: log)
            guard var record = state.records[id], tenant == nil || record.tenant == tenant else {
                return .failure(.notFound)
            }
            guard !record.status.isFinished, !record.awaitingStorage else {
                return .failure(.alreadyFinished(record.awaitingStorage ? .succeed : record.status))
            }
            record.outcome = outcome
            state.records[id] = record
            let actions = state.scheduler.finishNow(serial: record.serial, at: now)
            Self.apply(actions, to: &state, log: log)
            if state.records[id]?.finishedAt == nil {
                Self.finish(serial: record.serial, at: now, state: &state, log: log)
            }
            return .success(state.records[id]!)
        }
        let record = try result.get()
        wakeups.signal()
        return record
    }

    /// Drops every task of `tenant`, or of all tenants.
    func reset(tenant: String?) {
        let now = clock.nowMs()
        state.withLock { state in
            // Time first: what reads reported up to now must stay true when the doomed tasks'
            // slots free (they free now, not when the scheduler last moved).
            Self.advance(&state, to: now, ttl: settings.taskTTLMs, inputs: inputs, log: log)
            let doomed = state.records.values.filter { tenant == nil || $0.tenant == tenant }.map(\.id)
            for id in doomed { Self.remove(id, from: &state, inputs: inputs, log: log) }
            // Dropped tasks start nothing any more (and an unstarted service's outbox stays bounded).
            state.outbox.removeAll { state.records[$0.id] == nil }
        }
        wakeups.signal()
    }

    // MARK: internals (all called with the lock held)

    private static func advance(
        _ state: inout State, to now: Int64, ttl: Int64, inputs: InputImageStore, log: TaskLog?
    ) {
        let actions = state.scheduler.advance(to: now)
        apply(actions, to: &state, log: log)
        // Expire finished tasks whose time is up (finishing order is time order).
        while let (finishedAt, id) = state.expiryOrder.first, finishedAt + ttl <= now {
            _ = state.expiryOrder.popFirst()
            if let record = state.records[id], record.finishedAt == finishedAt {
                remove(id, from: &state, inputs: inputs, log: log)
            }
        }
    }

    private static func apply(_ actions: [TaskScheduler.Action], to state: inout State, log: TaskLog?) {
        for action in actions {
            switch action {
            case .started(let serial, let at):
                guard let id = state.serialToID[serial] else { continue }
                state.records[id]?.startedAt = at
                state.records[id]?.status = .processing
            case .finished(let serial, let at):
                finish(serial: serial, at: at, state: &state, log: log)
            }
        }
    }

    private static func finish(serial: Int, at time: Int64, state: inout State, log: TaskLog?) {
        guard let id = state.serialToID.removeValue(forKey: serial), var record = state.records[id] else { return }
        if record.startedAt == nil { record.startedAt = time }
        if record.outcome == .succeed && record.extra.storage != nil {
            // Held in PROCESSING until the owner's upload settles it (an instant task never
            // passed through `started`, so it is moved there now).
            record.awaitingStorage = true
            record.status = .processing
            state.records[id] = record
            state.outbox.append(record)
            return
        }
        settle(&record, at: time, state: &state)
        log?.append(finishOf: record)
        state.outbox.append(record)
    }

    private static func settle(_ record: inout TaskRecord, at time: Int64, state: inout State) {
        let id = record.id
        record.awaitingStorage = false
        record.finishedAt = time
        switch record.outcome {
        case .succeed:
            record.status = .succeed
        case .fail(let reason):
            record.status = .failed
            record.failureReason = reason
        }
        state.records[id] = record
        state.tenants[record.tenant]?.finishedOrder.append(id)
        state.expiryOrder.append((time, id))
    }

    /// Ends a task held for its custom-storage upload: SUCCEED, or FAILED with `failure`.
    func settleStorage(id: String, failure: String?) {
        let now = clock.nowMs()
        let (settled, waiters): (Bool, [DispatchSemaphore]) = state.withLock { state in
            let waiters = state.storageWaiters.removeValue(forKey: id) ?? []
            guard var record = state.records[id], record.awaitingStorage else { return (false, waiters) }
            if let failure { record.outcome = .fail(reason: failure) }
            Self.settle(&record, at: now, state: &state)
            log?.append(finishOf: record)
            state.outbox.append(record)
            return (true, waiters)
        }
        // The webhook of a settled task goes out from the driver too.
        if settled { wakeups.signal() }
        for waiter in waiters { waiter.signal() }
    }

    /// Entries of the bookkeeping queues, next to the tasks they track (for tests of their bounds).
    var bookkeepingSizes: (tasks: Int, expiryOrder: Int, finishedOrders: Int) {
        state.withLock { state in
            (
                state.records.count, state.expiryOrder.count,
                state.tenants.values.reduce(0) { $0 + $1.finishedOrder.count }
            )
        }
    }

    /// Blocks the calling background thread until task `id` is no longer waiting for its
    /// custom-storage upload, or `timeoutMs` passed. Lets an instant (`--speed 0`) submit answer
    /// only once its task has really finished.
    func waitForStorage(id: String, timeoutMs: Int) {
        let waiter = DispatchSemaphore(value: 0)
        let waiting = state.withLock { state -> Bool in
            guard state.records[id]?.awaitingStorage == true else { return false }
            state.storageWaiters[id, default: []].append(waiter)
            return true
        }
        guard waiting else { return }
        if waiter.wait(timeout: .now() + .milliseconds(timeoutMs)) == .timedOut {
            state.withLock { state in
                state.storageWaiters[id]?.removeAll { $0 === waiter }
                if state.storageWaiters[id]?.isEmpty == true { state.storageWaiters[id] = nil }
            }
        }
    }

    private static func oldestFinished(_ book: inout TenantBook, records: [String: TaskRecord]) -> String? {
        while let id = book.finishedOrder.popFirst() {
            if let record = records[id], record.status.isFinished { return id }
        }
        return nil
    }

    private static func remove(_ id: String, from state: inout State, inputs: InputImageStore, log: TaskLog?) {
        guard let record = state.records.removeValue(forKey: id) else { return }
        state.removals.count.add(1, ordering: .releasing)
        log?.append(removalOf: id)
        if state.serialToID.removeValue(forKey: record.serial) != nil {
            state.scheduler.cancel(serial: record.serial)
        }
        state.tenants[record.tenant]?.taskCount -= 1
        if state.tenants[record.tenant]?.taskCount == 0 { state.tenants[record.tenant] = nil }
        if let key = record.inputKey { inputs.release(key) }
        compactOrders(of: record.tenant, in: &state)
    }

    /// The finishing orders keep the ids of removed tasks until they reach the front (TTL
    /// sweep, eviction), which under steady load may be never: a 10-minute soak grew ~100 MiB
    /// that way. Once stale entries outnumber live ones, they are filtered out in one pass, so
    /// each order stays within twice its live size (amortised O(1) per removal).
    private static func compactOrders(of tenant: String, in state: inout State) {
        let slack = 1024
        if state.expiryOrder.count > 2 * state.records.count + slack {
            let records = state.records
            state.expiryOrder.removeAll { records[$0.1]?.finishedAt != $0.0 }
        }
        if let book = state.tenants[tenant], book.finishedOrder.count > 2 * book.taskCount + slack {
            let records = state.records
            state.tenants[tenant]?.finishedOrder.removeAll { records[$0]?.status.isFinished != true }
        }
    }

    /// The task as it stands at `now`, which may be past the last time the simulation moved:
    /// a start, finish or expiry that is due is applied to this copy alone, by the same rules
    /// (the scheduler's projection for a queued task), so a poll is exact without moving anything.
    /// Nil when the task has expired by `now`.
    private static func view(
        _ stored: TaskRecord, at now: Int64, ttl: Int64, scheduler: inout TaskScheduler
    ) -> TaskRecord? {
        var record = stored
        if record.status == .queued, !record.awaitingStorage,
            let start = scheduler.projectedStart(of: record.serial), start <= now
        {
            record.status = .processing
            record.startedAt = start
        }
        if record.status == .processing, !record.awaitingStorage, let start = record.startedAt,
            start + record.durationMs <= now
        {
            let end = start + record.durationMs
            if record.outcome == .succeed && record.extra.storage != nil {
                record.awaitingStorage = true
            } else {
                record.finishedAt = end
                switch record.outcome {
                case .succeed: record.status = .succeed
                case .fail(let reason):
                    record.status = .failed
                    record.failureReason = reason
                }
            }
        }
        if let finishedAt = record.finishedAt, record.status.isFinished, finishedAt + ttl <= now { return nil }
        return record
    }

    private static func describe(_ record: TaskRecord, now: Int64, scheduler: inout TaskScheduler) -> TaskSnapshot {
        switch record.status {
        case .succeed, .failed:
            return TaskSnapshot(record: record, status: record.status, progressPercent: 0, etaSeconds: 0)
        case .processing:
            let start = record.startedAt ?? now
            let end = start + record.durationMs
            let elapsed = max(0, now - start)
            let progress = record.durationMs > 0 ? Int(elapsed * 100 / record.durationMs) : 99
            return TaskSnapshot(
                record: record, status: .processing, progressPercent: min(99, max(1, progress)),
                etaSeconds: secondsUntil(end, from: now))
        case .queued:
            let start = scheduler.projectedStart(of: record.serial) ?? now
            return TaskSnapshot(
                record: record, status: .queued, progressPercent: 0,
                etaSeconds: secondsUntil(start + record.durationMs, from: now))
        }
    }

    private static func secondsUntil(_ target: Int64, from now: Int64) -> Int {
        Int(max(0, (target - now + 999) / 1000))
    }
}
