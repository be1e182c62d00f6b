import Synchronization

/// `--state-dir`'s task log: one JSON line per event (`submit`, `finish`, `remove`), appended,
/// and fsync'ed before a submit is answered — so a `kill -9` loses no task that was answered
/// with a task id. Concurrent submits share one fsync (group commit). At start the log is
/// replayed and rewritten with only the live tasks.
final class TaskLog: Sendable {
    private struct Pending {
        var buffer: [UInt8] = []
        /// Tickets handed out and made durable: a submit waits until `durable ≥ its ticket`.
        var appended = 0
        var durable = 0
        var linesSinceCompaction = 0
    }

    let path: String
    private let file: Mutex<FileIO.AppendFile>
    private let pending = Mutex(Pending())
    /// Held while writing and syncing, so one thread syncs for all who are waiting.
    private let flushing = Mutex(())

    private init(path: String, file: FileIO.AppendFile) {
        self.path = path
        self.file = Mutex(file)
    }

    /// Opens the log in `directory`, returning it and the records it held (the last state of each
    /// task not removed), after rewriting it compactly.
    static func open(directory: String) throws(FileIO.Failure) -> (TaskLog, [TaskRecord]) {
        let path = directory + "/tasks.log"
        var records: [String: TaskRecord] = [:]
        var order: [String] = []
        if FileIO.exists(path) {
            let bytes = try FileIO.read(path)
            var serial = 0
            for line in bytes.split(separator: 0x0A) {
                // A torn final line (a crash mid-write) is skipped: it was never acknowledged.
                guard let event = (try? JSONParser.parse(Array(line)))?.objectValue else { continue }
                switch event["e"]?.stringValue {
                case "submit", "finish":
                    serial += 1
                    guard let json = event["task"], let record = TaskRecord(persisted: json, serial: serial) else {
                        continue
                    }
                    if records[record.id] == nil { order.append(record.id) }
                    records[record.id] = record
                case "remove":
                    if let id = event["id"]?.stringValue { records[id] = nil }
                default:
                    continue
                }
            }
        }
        let live = order.compactMap { records[$0] }
        var compact: [UInt8] = []
        for record in live { compact += line(kind: "submit", record) }
        try FileIO.writeAtomically(compact, to: path)
        let log = TaskLog(path: path, file: try FileIO.AppendFile(path: path))
        return (log, live)
    }

    private static func line(kind: String, _ record: TaskRecord) -> [UInt8] {
        JSONWriter.serialize(["e": .string(kind), "task": record.persistedJSON]) + [0x0A]
    }

    /// Appends a submit and returns once it is on disk.
    func appendDurably(submitOf record: TaskRecord) throws(FileIO.Failure) {
        let ticket = pending.withLock { pending in
            pending.buffer += Self.line(kind: "submit", record)
            pending.appended += 1
            return pending.appended
        }
        try flush(until: ticket)
    }

    /// Appends a finish or removal; durable with the next sync (losing it in a crash only makes
    /// the task run again after restart).
    func append(finishOf record: TaskRecord) {
        pending.withLock { $0.buffer += Self.line(kind: "finish", record) }
    }

    func append(removalOf id: String) {
        pending.withLock { $0.buffer += JSONWriter.serialize(["e": "remove", "id": .string(id)]) + [0x0A] }
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
