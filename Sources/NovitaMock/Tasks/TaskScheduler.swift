/// The simulated GPU pool as a value-type state machine (DESIGN.md): `workers` shared slots fed
/// from one FIFO queue, and dedicated capacity for enterprise tasks. It never reads a clock:
/// every call says what time it is, and it answers with the actions that time brought
/// (`started`, `finished`) for its owner to perform. So it is exact under a virtual clock and
/// testable without one.
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

    struct Run: Sendable, Equatable {
        let startedAt: Int64
        let finishAt: Int64
    }

    let workers: Int
    private var queue = FIFOQueue<Job>()
    private var running: [Int: Run] = [:]
    private var dedicatedRunning: [Int: Run] = [:]
    private var dedicatedWaiting: [Job] = []
    /// The time the scheduler was last advanced to; events never happen before it.
    private(set) var now: Int64
    /// Projected start times of queued jobs, rebuilt lazily after any change.
    private var projection: [Int: Int64]? = nil

    init(workers: Int, now: Int64) {
        precondition(workers > 0, "the pool needs at least one worker")
        self.workers = workers
        self.now = now
    }

    var queuedCount: Int { queue.count + dedicatedWaiting.count }
    var runningCount: Int { running.count + dedicatedRunning.count }

    /// Adds a job and runs time forward to `time`.
    mutating func submit(_ job: Job, at time: Int64) -> [Action] {
        projection = nil
        if job.dedicated {
            dedicatedWaiting.append(job)
        } else {
            queue.append(job)
        }
        return advance(to: time)
    }

    /// Runs every start and finish due by `time`, in time order (finishes first at a tie, so a
    /// freed slot is taken at the very moment it frees).
    mutating func advance(to time: Int64) -> [Action] {
        var actions: [Action] = []
        var cursor = now
        while true {
            let nextFinish = nextFinishEvent()
            let nextStart = nextStartEvent(after: cursor)
            let finishTime = nextFinish?.at ?? .max
            let startTime = nextStart?.at ?? .max
            let eventTime = min(finishTime, startTime)
            guard eventTime <= time else { break }
            cursor = max(cursor, eventTime)
            projection = nil
            if let finish = nextFinish, finishTime <= startTime {
                if running.removeValue(forKey: finish.serial) == nil {
                    dedicatedRunning.removeValue(forKey: finish.serial)
                }
                actions.append(.finished(serial: finish.serial, at: finish.at))
            } else if let start = nextStart {
                let job = start.job
                let run = Run(startedAt: start.at, finishAt: start.at + job.durationMs)
                if job.dedicated {
                    dedicatedWaiting.removeAll { $0.serial == job.serial }
                    dedicatedRunning[job.serial] = run
                } else {
                    queue.remove { $0.serial == job.serial }
                    running[job.serial] = run
                }
                actions.append(.started(serial: job.serial, at: start.at))
            }
        }
        now = max(now, time)
        return actions
    }

    /// Ends a job now, whatever its phase (a forced outcome). Its slot frees at once.
    mutating func finishNow(serial: Int, at time: Int64) -> [Action] {
        var actions = advance(to: time)
        projection = nil
        if running.removeValue(forKey: serial) != nil || dedicatedRunning.removeValue(forKey: serial) != nil
            || queue.remove(where: { $0.serial == serial }) || dedicatedWaiting.contains(where: { $0.serial == serial })
        {
            dedicatedWaiting.removeAll { $0.serial == serial }
            actions.append(.finished(serial: serial, at: max(time, now)))
            actions += advance(to: time)
        }
        return actions
    }

    /// Forgets a job without a `finished` action (its tenant was reset).
    mutating func cancel(serial: Int) {
        projection = nil
        running.removeValue(forKey: serial)
        dedicatedRunning.removeValue(forKey: serial)
        queue.remove { $0.serial == serial }
        dedicatedWaiting.removeAll { $0.serial == serial }
    }

    /// The next moment something will happen, if anything is pending.
    func nextEventTime() -> Int64? {
        let times = [nextFinishEvent()?.at, nextStartEvent(after: now)?.at].compactMap { $0 }
        return times.min()
    }

    func run(of serial: Int) -> Run? {
        running[serial] ?? dedicatedRunning[serial]
    }

    /// When a queued job is expected to start, given the jobs ahead of it and the slots' finish
    /// times (used for the QUEUED `eta`).
    mutating func projectedStart(of serial: Int) -> Int64? {
        if let waiting = dedicatedWaiting.first(where: { $0.serial == serial }) {
            return max(waiting.eligibleAt, now)
        }
        if projection == nil { projection = buildProjection() }
        return projection?[serial]
    }

    /// Positions in line: 0 for the head of the shared queue.
    func queuePosition(of serial: Int) -> Int? {
        queue.firstIndex { $0.serial == serial }
    }

    // MARK: internals

    private func nextFinishEvent() -> (serial: Int, at: Int64)? {
        var best: (serial: Int, at: Int64)?
        for (serial, run) in running where best == nil || (run.finishAt, serial) < (best!.at, best!.serial) {
            best = (serial, run.finishAt)
        }
        for (serial, run) in dedicatedRunning where best == nil || (run.finishAt, serial) < (best!.at, best!.serial) {
            best = (serial, run.finishAt)
        }
        return best
    }

    /// The next job to start and when: dedicated jobs as soon as eligible; shared jobs when a
    /// slot is free, the first eligible in FIFO order.
    private func nextStartEvent(after cursor: Int64) -> (job: Job, at: Int64)? {
        var best: (job: Job, at: Int64)?
        for job in dedicatedWaiting {
            let at = max(job.eligibleAt, cursor)
            if best == nil || at < best!.at { best = (job, at) }
        }
        if running.count < workers, !queue.isEmpty {
            // The head is nearly always the earliest eligible; scan only while it is not.
            var earliest: (job: Job, at: Int64)?
            for job in queue {
                let at = max(job.eligibleAt, cursor)
                if earliest == nil || at < earliest!.at { earliest = (job, at) }
                if at == cursor { break }
            }
            if let earliest, best == nil || earliest.at < best!.at { best = earliest }
        }
        return best
    }

    private func buildProjection() -> [Int: Int64] {
        // Slot free times: running jobs' finishes, and `now` for each idle slot.
        var slots = running.values.map(\.finishAt)
        slots += Array(repeating: now, count: max(0, workers - running.count))
        var heap = MinHeap(slots)
        var result: [Int: Int64] = [:]
        result.reserveCapacity(queue.count)
        for job in queue {
            let free = heap.popMin() ?? now
            let start = max(free, job.eligibleAt, now)
            result[job.serial] = start
            heap.insert(start + job.durationMs)
        }
        return result
    }
}

/// A FIFO with amortised O(1) append and pop, and removal anywhere (rare: forced outcomes).
struct FIFOQueue<Element: Sendable>: Sendable, Sequence {
    private var storage: [Element] = []
    private var head = 0

    var count: Int { storage.count - head }
    var isEmpty: Bool { count == 0 }

    mutating func append(_ element: Element) {
        storage.append(element)
    }

    /// Drops every element `keep` refuses, in one pass, keeping the order.
    mutating func retain(where keep: (Element) -> Bool) {
        storage = storage[head...].filter(keep)
        head = 0
    }

    /// The oldest element, left in place.
    var first: Element? { head < storage.count ? storage[head] : nil }

    /// Removes and returns the oldest element.
    mutating func popFirst() -> Element? {
        guard head < storage.count else { return nil }
        let element = storage[head]
        head += 1
        if head > 1024 && head * 2 > storage.count {
            storage.removeFirst(head)
            head = 0
        }
        return element
    }

    /// Removes the first element matching; returns whether one was removed.
    @discardableResult
    mutating func remove(where predicate: (Element) -> Bool) -> Bool {
        guard let index = storage[head...].firstIndex(where: predicate) else { return false }
        if index == head {
            _ = popFirst()
        } else {
            storage.remove(at: index)
        }
        return true
    }

    func firstIndex(where predicate: (Element) -> Bool) -> Int? {
        storage[head...].firstIndex(where: predicate).map { $0 - head }
    }

    func makeIterator() -> ArraySlice<Element>.Iterator {
        storage[head...].makeIterator()
    }
}

/// A binary min-heap of instants.
struct MinHeap: Sendable {
    private var items: [Int64] = []

    init(_ values: [Int64]) {
        for value in values { insert(value) }
    }

    mutating func insert(_ value: Int64) {
        items.append(value)
        var child = items.count - 1
        while child > 0 {
            let parent = (child - 1) / 2
            if items[parent] <= items[child] { break }
            items.swapAt(parent, child)
            child = parent
        }
    }

    mutating func popMin() -> Int64? {
        guard let first = items.first else { return nil }
        let last = items.removeLast()
        if !items.isEmpty {
            items[0] = last
            var parent = 0
            while true {
                let left = 2 * parent + 1
                let right = left + 1
                var smallest = parent
                if left < items.count && items[left] < items[smallest] { smallest = left }
                if right < items.count && items[right] < items[smallest] { smallest = right }
                if smallest == parent { break }
                items.swapAt(parent, smallest)
                parent = smallest
            }
        }
        return first
    }
}
