import Crypto
import Synchronization

/// The input images tasks keep for (re-)rendering, stored once per distinct content (a test suite
/// sends the same fixture thousands of times) and reference-counted by the tasks holding them.
final class InputImageStore: Sendable {
    private struct Entry {
        var bytes: [UInt8]
        var references: Int
    }

    private struct State {
        var entries: [String: Entry] = [:]
        var totalBytes = 0
    }

    private let state = Mutex(State())

    /// Stores `bytes` (or adds a reference to an identical copy) and returns its key.
    func put(_ bytes: [UInt8]) -> String {
        let key = UUIDFormat.hexString(SHA256.hash(data: bytes))
        state.withLock { state in
            if state.entries[key] != nil {
                state.entries[key]!.references += 1
            } else {
                state.entries[key] = Entry(bytes: bytes, references: 1)
                state.totalBytes += bytes.count
            }
        }
        return key
    }

    func get(_ key: String) -> [UInt8]? {
        state.withLock { $0.entries[key]?.bytes }
    }

    /// Drops one reference; the bytes go with the last.
    func release(_ key: String) {
        state.withLock { state in
            guard var entry = state.entries[key] else { return }
            entry.references -= 1
            if entry.references <= 0 {
                state.entries[key] = nil
                state.totalBytes -= entry.bytes.count
            } else {
                state.entries[key] = entry
            }
        }
    }

    var totalBytes: Int { state.withLock { $0.totalBytes } }
}
