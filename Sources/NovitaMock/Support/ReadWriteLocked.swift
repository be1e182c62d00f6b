import Glibc

/// A value behind a readers-writer lock: readers run side by side (every poll thread reading at
/// once never waits), a writer waits for them and they for it. For state read on every request
/// and written rarely; `Mutex` otherwise.
final class ReadWriteLocked<Value>: @unchecked Sendable {  // every access holds `lock`
    private let storage: UnsafeMutablePointer<Value>
    private let lock: UnsafeMutablePointer<pthread_rwlock_t>

    init(_ value: Value) {
        storage = .allocate(capacity: 1)
        storage.initialize(to: value)
        lock = .allocate(capacity: 1)
        pthread_rwlock_init(lock, nil)
    }

    deinit {
        pthread_rwlock_destroy(lock)
        lock.deallocate()
        storage.deinitialize(count: 1)
        storage.deallocate()
    }

    /// Runs `body` with the value, alongside other readers. `body` must not change it (it gets
    /// it `inout` only so that nothing is copied).
    func withReadLock<Result>(_ body: (inout Value) throws -> Result) rethrows -> Result {
        pthread_rwlock_rdlock(lock)
        defer { pthread_rwlock_unlock(lock) }
        return try body(&storage.pointee)
    }

    /// Runs `body` with the value alone.
    func withWriteLock<Result>(_ body: (inout Value) throws -> Result) rethrows -> Result {
        pthread_rwlock_wrlock(lock)
        defer { pthread_rwlock_unlock(lock) }
        return try body(&storage.pointee)
    }
}
