import Dispatch
import Synchronization

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

extension BlockingWorkPool {
    /// Rendering split across cores: the next video frame drawn while the encoder works on the
    /// current one, the lower half of a still image drawn while the caller draws the upper half.
    /// One thread per core. Its jobs never wait for anything, so the CPU-pool jobs that wait for
    /// them cannot deadlock; a job here must never wait for another job here.
    static let renderHelpers = BlockingWorkPool(threads: max(1, sysconf(Int32(_SC_NPROCESSORS_ONLN))))

    /// Runs `body` over `0..<count` (rows, or bytes): with `helpers` and at least `minimum` items,
    /// the second half on that pool while the caller runs the first, else all on the caller.
    /// Below ~128 rows of an image the hand-off costs more than the half it saves. Never pass the
    /// pool the caller runs on (its threads could all end up waiting for their own halves).
    static func inHalves(
        _ count: Int, on helpers: BlockingWorkPool?, minimum: Int = 128,
        _ body: @escaping @Sendable (Range<Int>) -> Void
    ) {
        guard let helpers, count >= minimum else { return body(0..<count) }
        let split = count / 2
        let second = Pending(on: helpers) { body(split..<count) }
        body(0..<split)
        second.take()
    }
}

/// One value computed on a pool while the caller does something else; `take()` waits for it.
final class Pending<Value: Sendable>: Sendable {
    private let slot = Mutex<Value?>(nil)
    private let ready = DispatchSemaphore(value: 0)

    init(on pool: BlockingWorkPool, _ make: @escaping @Sendable () -> Value) {
        pool.submit { [self] in
            let value = make()
            slot.withLock { $0 = value }
            ready.signal()
        }
    }

    /// The value, once computed. Call once.
    func take() -> Value {
        ready.wait()
        return slot.withLock { $0.take()! }
    }
}

/// An image buffer drawn in bands of rows by more than one thread.
// @unchecked: each thread writes only its own rows, and the owner waits for every band before
// the buffer is read or freed.
struct RowBands: @unchecked Sendable {
    let pixels: UnsafeMutableBufferPointer<UInt8>
    let width: Int
    let height: Int

    /// The first byte of row `y`.
    func row(_ y: Int) -> UnsafeMutablePointer<UInt8> {
        pixels.baseAddress! + y * width * 3
    }

}
