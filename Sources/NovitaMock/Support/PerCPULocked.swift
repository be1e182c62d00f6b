import Glibc
import MicroHTTP

/// One value per CPU, each behind its own mutex, for state every request writes
/// (`RequestJournal`): threads running at the same time are on different CPUs, so they take
/// different locks and write different cache lines (a thread moved right after asking merely
/// shares a value for a moment, under its lock). Reads that need every value take every lock.
///
/// Not `Mutex`: its closures want a `sending` state, and the journal writes borrowed,
/// non-`Sendable` bytes into it. The mutexes are adaptive (they spin a little before sleeping):
/// two threads meet on one only when one has just moved, and a sleep costs more than the wait.
final class PerCPULocked<Value>: @unchecked Sendable {  // each value is touched only under its lock
    /// How many values (`CurrentCPU.shareCount` unless a test asks for more or fewer).
    let count: Int
    private let cells: UnsafeMutableRawPointer
    /// A cell holds a mutex, then a value; cells are 128 bytes apart at least, so that two never
    /// share a pair of cache lines (adjacent lines are fetched together).
    private static var valueOffset: Int {
        let alignment = MemoryLayout<Value>.alignment
        return (MemoryLayout<pthread_mutex_t>.stride + alignment - 1) / alignment * alignment
    }
    private static var stride: Int { (valueOffset + MemoryLayout<Value>.stride + 127) / 128 * 128 }

    /// - Parameter make: the value of cell `index`.
    init(count: Int = CurrentCPU.shareCount, _ make: (_ index: Int) -> Value) {
        self.count = max(count, 1)
        cells = .allocate(byteCount: self.count * Self.stride, alignment: 128)
        var attributes = pthread_mutexattr_t()
        pthread_mutexattr_init(&attributes)
        pthread_mutexattr_settype(&attributes, Int32(PTHREAD_MUTEX_ADAPTIVE_NP))
        for index in 0..<self.count {
            pthread_mutex_init(mutex(index), &attributes)
            value(index).initialize(to: make(index))
        }
        pthread_mutexattr_destroy(&attributes)
    }

    deinit {
        for index in 0..<count {
            value(index).deinitialize(count: 1)
            pthread_mutex_destroy(mutex(index))
        }
        cells.deallocate()
    }

    private func mutex(_ index: Int) -> UnsafeMutablePointer<pthread_mutex_t> {
        (cells + index * Self.stride).assumingMemoryBound(to: pthread_mutex_t.self)
    }

    private func value(_ index: Int) -> UnsafeMutablePointer<Value> {
        (cells + index * Self.stride + Self.valueOffset).assumingMemoryBound(to: Value.self)
    }

    /// The index of the calling CPU's value.
    var currentIndex: Int { count == CurrentCPU.shareCount ? CurrentCPU.share : CurrentCPU.index % count }

    /// Value `index` (modulo `count`; the calling CPU's is `currentIndex`), under its lock.
    func withValue<Result>(at index: Int, _ body: (inout Value) throws -> Result) rethrows -> Result {
        let index = index % count
        pthread_mutex_lock(mutex(index))
        defer { pthread_mutex_unlock(mutex(index)) }
        return try body(&value(index).pointee)
    }

    /// Every value at once, under every lock (taken in order, so two of these never wait for
    /// each other, nor for `withValue`, which takes one).
    func withEvery<Result>(_ body: (_ values: [UnsafeMutablePointer<Value>]) throws -> Result) rethrows -> Result {
        for index in 0..<count { pthread_mutex_lock(mutex(index)) }
        defer { for index in 0..<count { pthread_mutex_unlock(mutex(index)) } }
        return try body((0..<count).map(value))
    }
}
