import Glibc

/// A value behind a plain mutex, for state that is written on every request and whose closures
/// `Mutex.withLock` cannot take (it wants a `sending` value: one that writes borrowed,
/// non-`Sendable` data into the state — `RequestJournal.append` — is refused). Every access is
/// exclusive; `ReadWriteLocked` for state read on every request and written rarely.
final class Locked<Value>: @unchecked Sendable {  // every access holds `lock`
    private let storage: UnsafeMutablePointer<Value>
    private let lock: UnsafeMutablePointer<pthread_mutex_t>

    init(_ value: Value) {
        storage = .allocate(capacity: 1)
        storage.initialize(to: value)
        lock = .allocate(capacity: 1)
        pthread_mutex_init(lock, nil)
    }

    deinit {
        pthread_mutex_destroy(lock)
        lock.deallocate()
        storage.deinitialize(count: 1)
        storage.deallocate()
    }

    func withLock<Result>(_ body: (inout Value) throws -> Result) rethrows -> Result {
        pthread_mutex_lock(lock)
        defer { pthread_mutex_unlock(lock) }
        return try body(&storage.pointee)
    }
}
