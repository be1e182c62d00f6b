import Digests
import Synchronization

/// The input images tasks keep for (re-)rendering, stored once per distinct content (a test suite
/// sends the same fixture thousands of times) and reference-counted by the tasks holding them.
///
/// Memory is bounded: past `memoryBudget` bytes, the least recently used images spill to files in
/// `directory` and are read back on demand. With `--state-dir` every image is written there
/// before its task is acknowledged, so a restart can render it again.
final class InputImageStore: Sendable {
    private struct Entry {
        /// In memory, or nil when only on disk.
        var bytes: [UInt8]?
        let size: Int
        var onDisk: Bool
        var references: Int
        var lastUse: UInt64
    }

    private struct State {
        var entries: [String: Entry] = [:]
        var memoryBytes = 0
        var totalBytes = 0
        var tick: UInt64 = 0
        var directoryReady = false
    }

    let memoryBudget: Int
    /// Where spilled (or durable) images live.
    let directory: String
    /// Write every image to disk before `put` returns (`--state-dir`).
    let durable: Bool
    private let state = Mutex(State())

    init(memoryBudget: Int = 256 << 20, directory: String, durable: Bool = false) {
        self.memoryBudget = memoryBudget
        self.directory = directory
        self.durable = durable
    }

    private func path(_ key: String) -> String { "\(directory)/\(key)" }

    /// Stores `bytes` (or adds a reference to an identical copy) and returns its key.
    func put(_ bytes: [UInt8]) throws(FileIO.Failure) -> String {
        let key = Hex.string(SHA256.hash(bytes))
        let result: Result<Void, FileIO.Failure> = state.withLock { state in
            state.tick += 1
            if var entry = state.entries[key] {
                entry.references += 1
                entry.lastUse = state.tick
                state.entries[key] = entry
                return .success(())
            }
            var entry = Entry(bytes: bytes, size: bytes.count, onDisk: false, references: 1, lastUse: state.tick)
            if durable {
                do throws(FileIO.Failure) {
                    try ensureDirectory(&state)
                    if !FileIO.exists(path(key)) { try FileIO.writeAtomically(bytes, to: path(key)) }
                    entry.onDisk = true
                } catch {
                    return .failure(error)
                }
            }
            state.entries[key] = entry
            state.memoryBytes += bytes.count
            state.totalBytes += bytes.count
            spill(&state)
            return .success(())
        }
        try result.get()
        return key
    }

    /// Adds a reference to an image already on disk (a task restored from the state dir).
    func adopt(_ key: String) -> Bool {
        state.withLock { state in
            if state.entries[key] != nil {
                state.entries[key]!.references += 1
                return true
            }
            guard let bytes = try? FileIO.read(path(key)) else { return false }
            state.tick += 1
            state.entries[key] = Entry(bytes: nil, size: bytes.count, onDisk: true, references: 1, lastUse: state.tick)
            state.totalBytes += bytes.count
            return true
        }
    }

    func get(_ key: String) -> [UInt8]? {
        let (cached, onDisk): ([UInt8]?, Bool) = state.withLock { state in
            guard var entry = state.entries[key] else { return (nil, false) }
            state.tick += 1
            entry.lastUse = state.tick
            state.entries[key] = entry
            return (entry.bytes, entry.onDisk)
        }
        if let cached { return cached }
        return onDisk ? try? FileIO.read(path(key)) : nil
    }

    /// Drops one reference; the bytes (and the file) go with the last.
    func release(_ key: String) {
        state.withLock { state in
            guard var entry = state.entries[key] else { return }
            entry.references -= 1
            if entry.references > 0 {
                state.entries[key] = entry
                return
            }
            state.entries[key] = nil
            state.totalBytes -= entry.size
            if entry.bytes != nil { state.memoryBytes -= entry.size }
            if entry.onDisk { FileIO.remove(path(key)) }
        }
    }

    /// Bytes of every input held, in memory or on disk.
    var totalBytes: Int { state.withLock { $0.totalBytes } }
    /// Bytes held in memory.
    var memoryBytes: Int { state.withLock { $0.memoryBytes } }

    /// Removes spilled files of a non-durable store (at shutdown).
    func removeSpilledFiles() {
        guard !durable else { return }
        state.withLock { state in
            for (key, entry) in state.entries where entry.onDisk { FileIO.remove(path(key)) }
        }
    }

    private func ensureDirectory(_ state: inout State) throws(FileIO.Failure) {
        if !state.directoryReady {
            try FileIO.makeDirectory(directory)
            state.directoryReady = true
        }
    }

    /// Moves least recently used images out of memory until a quarter of the budget is free
    /// (so the sort happens once per many puts, not on each).
    private func spill(_ state: inout State) {
        guard state.memoryBytes > memoryBudget else { return }
        let target = memoryBudget / 4 * 3
        let candidates = state.entries.filter { $0.value.bytes != nil }.sorted { $0.value.lastUse < $1.value.lastUse }
        for (key, entry) in candidates {
            guard state.memoryBytes > target else { break }
            if !entry.onDisk {
                guard (try? ensureDirectory(&state)) != nil,
                    (try? FileIO.writeAtomically(entry.bytes!, to: path(key))) != nil
                else { return }  // the disk refused: keep it in memory rather than lose it
                state.entries[key]!.onDisk = true
            }
            state.entries[key]!.bytes = nil
            state.memoryBytes -= entry.size
        }
    }
}
