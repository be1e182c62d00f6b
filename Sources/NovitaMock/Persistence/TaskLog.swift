import FoundationEssentials
import Synchronization

/// `--state-dir`'s task log: one JSON line per event (`submit`, `finish`, `remove`), appended,
/// and fsync'ed before a submit is answered — so a `kill -9` loses no task that was answered
/// with a task id. Concurrent submits share one fsync (group commit). At start the log is
/// replayed and rewritten with only the live tasks, and so it is while running whenever dead
/// lines outnumber live ones (`compact`), so a long run keeps it bounded.
final class TaskLog: Sendable {
    private struct Pending {
        var buffer: [UInt8] = []
        /// Tickets handed out and made durable: a submit waits until `durable ≥ its ticket`.
        var appended = 0
        var durable = 0
        /// Lines the last compaction wrote, and lines appended since.
        var compactedLines = 0
        var linesSinceCompaction = 0
        /// Below this many lines beyond twice the live tasks, compaction is not worth a rewrite.
        var compactionSlackLines = 512
    }

    let path: String
    private let file: Mutex<FileIO.AppendFile>
    private let pending = Mutex(Pending())
    /// Held while writing and syncing, so one thread syncs for all who are waiting.
    private let flushing = Mutex(())

    /// How many random values the process that wrote the log had drawn (0 when it does not say),
    /// so a seeded sequence continues where it stood instead of replaying ids handed out.
    let randomDrawsAtOpen: UInt64

    private init(path: String, file: FileIO.AppendFile, randomDrawsAtOpen: UInt64) {
        self.path = path
        self.file = Mutex(file)
        self.randomDrawsAtOpen = randomDrawsAtOpen
    }

    /// Opens the log in `directory`, returning it and the records it held (the last state of each
    /// task not removed), after rewriting it compactly.
    static func open(directory: String) throws(FileIO.Failure) -> (TaskLog, [TaskRecord]) {
        let path = directory + "/tasks.log"
        var records: [String: TaskRecord] = [:]
        var order: [String] = []
        var draws: UInt64 = 0
        if FileIO.exists(path) {
            let bytes = try FileIO.read(path)
            let decoder = JSONDecoder()
            var serial = 0
            for line in bytes.split(separator: 0x0A) {
                // A torn final line (a crash mid-write) is skipped: it was never acknowledged.
                guard let event = try? decoder.decode(Line.self, from: Data(line)) else { continue }
                if let drawn = event.draws { draws = max(draws, drawn) }
                switch event.event {
                case Line.submit, Line.finish:
                    serial += 1
                    guard let record = event.task?.record(serial: serial) else { continue }
                    if records[record.id] == nil { order.append(record.id) }
                    records[record.id] = record
                case Line.remove:
                    if let id = event.id { records[id] = nil }
                default:
                    continue
                }
            }
        }
        let live = order.compactMap { records[$0] }
        let compact = compactLines(live, randomDraws: draws)
        try FileIO.writeAtomically(compact, to: path)
        let log = TaskLog(path: path, file: try FileIO.AppendFile(path: path), randomDrawsAtOpen: draws)
        log.pending.withLock { $0.compactedLines = live.count + 1 }
        return (log, live)
    }

    /// One line of the log: `submit` and `finish` carry the task as it then stood, `remove` its
    /// id, `sequence` (first line of a compacted log) where the random sequence stood; a submit
    /// also says that.
    private struct Line: Codable {
        static let submit = "submit"
        static let finish = "finish"
        static let remove = "remove"
        static let sequence = "sequence"

        var event: String
        var task: PersistedTask? = nil
        var id: String? = nil
        var draws: UInt64? = nil

        enum CodingKeys: String, CodingKey {
            case task, id, draws
            case event = "e"
        }

        /// The line's bytes, newline included.
        var bytes: [UInt8] {
            // Sorted keys: the same task always makes the same line, which diffs and tests like.
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
            // Encoding these plain values cannot fail; an empty line would be skipped on replay.
            var bytes = (try? [UInt8](encoder.encode(self))) ?? []
            bytes.append(0x0A)
            return bytes
        }
    }

    /// The whole log for `records`: where the random sequence stands, then one line per task.
    private static func compactLines(_ records: [TaskRecord], randomDraws: UInt64) -> [UInt8] {
        var bytes = Line(event: Line.sequence, draws: randomDraws).bytes
        for record in records { bytes += Line(event: Line.submit, task: PersistedTask(record)).bytes }
        return bytes
    }

    /// Buffers a submit and returns its ticket: `flush(until:)` with it returns once it is on
    /// disk. `randomDraws` records where a seeded sequence stands after drawing its id.
    func append(submitOf record: TaskRecord, randomDraws: UInt64) -> Int {
        let line = Line(event: Line.submit, task: PersistedTask(record), draws: randomDraws).bytes
        return pending.withLock { pending in
            pending.buffer += line
            pending.linesSinceCompaction += 1
            pending.appended += 1
            return pending.appended
        }
    }

    /// Appends a finish or removal; durable with the next sync (losing it in a crash only makes
    /// the task run again after restart).
    func append(finishOf record: TaskRecord) {
        let line = Line(event: Line.finish, task: PersistedTask(record)).bytes
        pending.withLock {
            $0.buffer += line
            $0.linesSinceCompaction += 1
        }
    }

    func append(removalOf id: String) {
        let line = Line(event: Line.remove, id: id).bytes
        pending.withLock {
            $0.buffer += line
            $0.linesSinceCompaction += 1
        }
    }

    /// Whether dead lines (finished, removed, superseded) outnumber the live tasks' by enough to
    /// be worth a rewrite.
    func needsCompaction(liveTasks: Int) -> Bool {
        pending.withLock { $0.compactedLines + $0.linesSinceCompaction > 2 * liveTasks + $0.compactionSlackLines }
    }

    /// Lines beyond twice the live tasks that are tolerated before a rewrite (512; tests lower it
    /// to see compaction within a short run).
    var compactionSlackLines: Int {
        get { pending.withLock { $0.compactionSlackLines } }
        set { pending.withLock { $0.compactionSlackLines = newValue } }
    }

    /// Rewrites the log with only the live tasks, crash-safely (new file, fsync, rename).
    ///
    /// `capture` must call its argument once, with the live tasks and the random position, while
    /// holding the lock under which events are appended: everything appended before that moment
    /// is in those records, everything after stays buffered and goes to the new file. Appends go
    /// on meanwhile; flushes wait until the new file is in place.
    func compact(
        _ capture: ((_ records: [TaskRecord], _ randomDraws: UInt64) -> Void) -> Void
    ) throws(FileIO.Failure) {
        let result: Result<Void, FileIO.Failure> = flushing.withLock { _ in
            var taken: (records: [TaskRecord], draws: UInt64, bytes: Int, lines: Int, ticket: Int)?
            capture { records, draws in
                let (bytes, lines, ticket) = pending.withLock {
                    ($0.buffer.count, $0.linesSinceCompaction, $0.appended)
                }
                taken = (records, draws, bytes, lines, ticket)
            }
            guard let taken else { return .success(()) }
            let records = taken.records.sorted { $0.serial < $1.serial }
            do throws(FileIO.Failure) {
                try FileIO.writeAtomically(Self.compactLines(records, randomDraws: taken.draws), to: path)
                let reopened = try FileIO.AppendFile(path: path)
                file.withLock { $0 = reopened }
            } catch {
                return .failure(error)  // the old file and the buffer are as they were
            }
            pending.withLock { pending in
                pending.buffer.removeFirst(taken.bytes)
                pending.linesSinceCompaction -= taken.lines
                pending.compactedLines = records.count + 1
                pending.durable = max(pending.durable, taken.ticket)
            }
            return .success(())
        }
        try result.get()
    }

    /// Writes what is buffered; with `until`, also fsyncs unless another thread already did.
    func flush(until ticket: Int? = nil) throws(FileIO.Failure) {
        let result: Result<Void, FileIO.Failure> = flushing.withLock { _ in
            let (bytes, upTo, done) = pending.withLock { pending -> ([UInt8], Int, Bool) in
                if let ticket, pending.durable >= ticket { return ([], 0, true) }
                defer { pending.buffer = [] }
                return (pending.buffer, pending.appended, false)
            }
            if done { return .success(()) }
            do throws(FileIO.Failure) {
                try file.withLock { file throws(FileIO.Failure) in
                    if !bytes.isEmpty { try file.append(bytes) }
                    if ticket != nil { try file.sync() }
                }
            } catch {
                return .failure(error)
            }
            if ticket != nil { pending.withLock { $0.durable = max($0.durable, upTo) } }
            return .success(())
        }
        try result.get()
    }
}
