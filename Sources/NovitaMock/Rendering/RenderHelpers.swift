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
    /// the second half on that pool while the caller runs the first, then the caller waits for
    /// it; else all on the caller. Each item's result must depend on its own inputs only, so the
    /// bytes are the same split or not, on any number of cores. Below ~128 rows of an image the
    /// hand-off costs more than the half it saves. Never pass the pool the caller runs on (its
    /// threads could all end up waiting for their own halves). The one split-in-halves hand-off
    /// of rendering, video frames and the image operations (docs/architecture.md "Threads").
    static func inHalves(
        _ count: Int, on helpers: BlockingWorkPool?, minimum: Int = 128, _ body: (Range<Int>) -> Void
    ) {
        guard let helpers, count >= minimum else { return body(0..<count) }
        let split = count / 2
        withoutActuallyEscaping(body) { body in
            let second = HalfBody(body)
            let pending = Pending(on: helpers) { second.runOnce(split..<count) }
            body(0..<split)
            pending.take()
        }
    }
}

/// `inHalves`'s body, handed to the helper thread.
// @unchecked: the two halves write disjoint items; `runOnce` lets go of the body before the
// helper reports its half done, and `inHalves` waits for that report before it returns — so the
// body, and what it captured, is never used or held past its scope (`withoutActuallyEscaping`
// checks the last part).
private final class HalfBody: @unchecked Sendable {
    private var body: ((Range<Int>) -> Void)?

    init(_ body: @escaping (Range<Int>) -> Void) {
        self.body = body
    }

    func runOnce(_ items: Range<Int>) {
        let body = self.body.take()!
        body(items)
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
