import HeapModule

/// The simulated GPU pool as a value-type state machine (docs/architecture.md): `workers` shared
/// slots fed from one FIFO queue, and dedicated capacity for enterprise tasks. It never reads a
/// clock: every call says what time it is, and it answers with the actions that time brought
/// (`started`, `finished`) for its owner to perform. So it is exact under a virtual clock and
/// testable without one.
///
/// Every event costs O(log n): finishes, waiting dedicated jobs and not-yet-eligible shared jobs
/// sit in heaps ordered by time; eligible shared jobs in a heap ordered by arrival. Jobs removed
/// early (forced, cancelled) leave stale heap entries that are dropped when they surface.
struct TaskScheduler: Sendable {
    /// A task as the scheduler sees it. `serial` is the owner's handle for it.
    struct Job: Sendable, Equatable {
        let serial: Int
        /// The earliest moment the job may take a slot (submit time + least queue time).
        let eligibleAt: Int64
        /// Time in PROCESSING.
        let durationMs: Int64
        /// Enterprise plan: dedicated resources, never waits for a shared slot.
        let dedicated: Bool
    }

    enum Action: Sendable, Equatable {
        case started(serial: Int, at: Int64)
        case finished(serial: Int, at: Int64)
    }

    private struct Run: Sendable {
        let finishAt: Int64
        let dedicated: Bool
    }

    /// A heap entry: ordered by `time`, then `order` (arrival, or the serial for finishes).
    private struct Entry: Comparable, Sendable {
        let time: Int64
        let order: Int
        let serial: Int

        static func < (lhs: Entry, rhs: Entry) -> Bool {
            (lhs.time, lhs.order) < (rhs.time, rhs.order)
        }
    }

    /// Which heap a waiting job is taken from.
    private enum Line {
        case dedicated, eligible, pending
    }

    private struct Waiting: Sendable {
        let job: Job
        let arrival: Int
    }

    let workers: Int
    /// The time the scheduler was last advanced to; events never happen before it.
    private(set) var now: Int64
    /// Heap operations and entries looked at, so tests can check the cost grows as n log n.
    private(set) var workDone = 0

    private var waiting: [Int: Waiting] = [:]
    private var running: [Int: Run] = [:]
    private var sharedRunning = 0
    private var arrivals = 0
    /// Running jobs by (finish time, serial).
    private var finishes = Heap<Entry>()
    /// Waiting dedicated jobs by (eligibility, arrival).
    private var dedicatedWaiting = Heap<Entry>()
    /// Shared jobs not yet eligible by (eligibility, arrival).
    private var sharedPending = Heap<Entry>()
    /// Shared jobs already eligible, by arrival alone (FIFO).
    private var sharedEligible = Heap<Entry>()
    /// Projected start times of queued shared jobs, rebuilt lazily after any change.
    private var projection: [Int: Int64]? = nil

    init(workers: Int, now: Int64) {
        precondition(workers > 0, "the pool needs at least one worker")
        self.workers = workers
        self.now = now
    }

    var queuedCount: Int { waiting.count }
    var runningCount: Int { running.count }

    /// Adds a job and runs time forward to `time`.
    mutating func submit(_ job: Job, at time: Int64) -> [Action] {
        projection = nil
        arrivals += 1
        waiting[job.serial] = Waiting(job: job, arrival: arrivals)
        let entry = Entry(time: job.eligibleAt, order: arrivals, serial: job.serial)
        workDone += 1
        if job.dedicated {
            dedicatedWaiting.insert(entry)
        } else {
            sharedPending.insert(entry)
        }
        return advance(to: time)
    }

    /// Runs every start and finish due by `time`, in time order (finishes first at a tie, so a
    /// freed slot is taken at the very moment it frees).
    mutating func advance(to time: Int64) -> [Action] {
        var actions: [Action] = []
        var cursor = now
        while true {
            promoteEligible(upTo: cursor)
            let finish = finishes.min
            let start = nextStart(after: cursor)
            let finishTime = finish?.time ?? .max
            let startTime = start?.at ?? .max
            let eventTime = min(finishTime, startTime)
            guard eventTime <= time else { break }
            cursor = max(cursor, eventTime)
            projection = nil
            workDone += 1
            if let finish, finishTime <= startTime {
                _ = finishes.popMin()
                if let run = running.removeValue(forKey: finish.serial), !run.dedicated { sharedRunning -= 1 }
                actions.append(.finished(serial: finish.serial, at: finish.time))
            } else if let start {
                switch start.line {
                case .dedicated: _ = dedicatedWaiting.popMin()
                case .eligible: _ = sharedEligible.popMin()
                case .pending: _ = sharedPending.popMin()
                }
                guard let job = waiting.removeValue(forKey: start.serial)?.job else { continue }
                running[job.serial] = Run(finishAt: start.at + job.durationMs, dedicated: job.dedicated)
                if !job.dedicated { sharedRunning += 1 }
                finishes.insert(Entry(time: start.at + job.durationMs, order: job.serial, serial: job.serial))
                actions.append(.started(serial: job.serial, at: start.at))
            }
            dropStaleEntries()
        }
        now = max(now, time)
        return actions
    }

    /// Ends a job now, whatever its phase (a forced outcome). Its slot frees at once.
    mutating func finishNow(serial: Int, at time: Int64) -> [Action] {
        var actions = advance(to: time)
        if forget(serial) {
            actions.append(.finished(serial: serial, at: max(time, now)))
            actions += advance(to: time)
        }
        return actions
    }

    /// Forgets a job without a `finished` action (its tenant was reset).
    mutating func cancel(serial: Int) {
        _ = forget(serial)
    }

    /// The next moment something will happen, if anything is pending.
    func nextEventTime() -> Int64? {
        var times: [Int64] = []
        if let finish = finishes.min { times.append(finish.time) }
        if let dedicated = dedicatedWaiting.min { times.append(max(dedicated.time, now)) }
        if sharedRunning < workers {
            if sharedEligible.min != nil {
                times.append(now)
            } else if let pending = sharedPending.min {
                times.append(max(pending.time, now))
            }
        }
        return times.min()
    }

    /// When a queued job is expected to start, given the jobs ahead of it and the slots' finish
    /// times (used for the QUEUED `eta`, and by reads that need the state at a later moment).
    /// Exact as long as nothing new arrives: it replays the rules of `advance` without acting.
    mutating func projectedStart(of serial: Int) -> Int64? {
        guard let entry = waiting[serial] else { return nil }
        if entry.job.dedicated { return max(entry.job.eligibleAt, now) }
        if projection == nil { projection = buildProjection() }
        return projection?[serial]
    }

    /// Positions in line: 0 for the head of the shared queue.
    func queuePosition(of serial: Int) -> Int? {
        guard let mine = waiting[serial], !mine.job.dedicated else { return nil }
        return waiting.values.count { !$0.job.dedicated && $0.arrival < mine.arrival }
    }

    // MARK: internals

    /// Removes a job wherever it is; returns whether it was known.
    private mutating func forget(_ serial: Int) -> Bool {
        projection = nil
        if let run = running.removeValue(forKey: serial) {
            if !run.dedicated { sharedRunning -= 1 }
        } else if waiting.removeValue(forKey: serial) == nil {
            return false
        }
        dropStaleEntries()
        return true
    }

    /// Moves shared jobs whose eligibility has come into the FIFO of eligible jobs.
    private mutating func promoteEligible(upTo cursor: Int64) {
        while let next = sharedPending.min, next.time <= cursor {
            _ = sharedPending.popMin()
            workDone += 1
            guard let entry = waiting[next.serial] else { continue }
            sharedEligible.insert(Entry(time: 0, order: entry.arrival, serial: next.serial))
        }
    }

    /// The next job to start and when: dedicated jobs as soon as eligible; shared jobs when a
    /// slot is free, the first eligible in FIFO order (or else the earliest to become eligible).
    private func nextStart(after cursor: Int64) -> (serial: Int, at: Int64, line: Line)? {
        var best: (serial: Int, at: Int64, line: Line)?
        if let dedicated = dedicatedWaiting.min {
            best = (dedicated.serial, max(dedicated.time, cursor), .dedicated)
        }
        guard sharedRunning < workers else { return best }
        var shared: (serial: Int, at: Int64, line: Line)?
        if let eligible = sharedEligible.min {
            shared = (eligible.serial, cursor, .eligible)
        } else if let pending = sharedPending.min {
            shared = (pending.serial, max(pending.time, cursor), .pending)
        }
        if let shared, best == nil || shared.at < best!.at { best = shared }
        return best
    }

    /// Drops entries of jobs that left early from the tops of the heaps, so every `min` is live.
    private mutating func dropStaleEntries() {
        while let top = finishes.min, running[top.serial]?.finishAt != top.time {
            _ = finishes.popMin()
            workDone += 1
        }
        for keyPath in [\Self.dedicatedWaiting, \Self.sharedPending, \Self.sharedEligible] {
            while let top = self[keyPath: keyPath].min, waiting[top.serial] == nil {
                _ = self[keyPath: keyPath].popMin()
                workDone += 1
            }
        }
    }

    /// Replays the shared queue on the slots' free times: O(q log q).
    private func buildProjection() -> [Int: Int64] {
        var slots = Heap(running.values.filter { !$0.dedicated }.map(\.finishAt))
        for _ in 0..<max(0, workers - sharedRunning) { slots.insert(now) }
        var pending = Heap<Entry>()
        var eligible = Heap<Entry>()
        for entry in waiting.values where !entry.job.dedicated {
            pending.insert(Entry(time: entry.job.eligibleAt, order: entry.arrival, serial: entry.job.serial))
        }
        var result: [Int: Int64] = [:]
        result.reserveCapacity(pending.count)
        while !pending.isEmpty || !eligible.isEmpty {
            let free = slots.popMin() ?? now
            while let next = pending.min, next.time <= free {
                _ = pending.popMin()
                eligible.insert(Entry(time: 0, order: next.order, serial: next.serial))
            }
            let chosen: Entry
            let start: Int64
            if let first = eligible.popMin() {
                chosen = first
                start = free
            } else {
                chosen = pending.popMin()!
                start = chosen.time
            }
            result[chosen.serial] = start
            slots.insert(start + (waiting[chosen.serial]?.job.durationMs ?? 0))
        }
        return result
    }
}
