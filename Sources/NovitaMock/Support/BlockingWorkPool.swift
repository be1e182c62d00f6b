import DequeModule
import Dispatch
import Synchronization

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// A few dedicated threads for work that blocks on the network (webhook deliveries, storage
/// uploads). Blocking calls must not run on libdispatch's shared pool: a receiver that hangs
/// would hold pool threads until the whole process starves. Here it holds at most `threads`,
/// and each kind of work has its own pool, so hanging receivers never delay uploads.
final class BlockingWorkPool: Sendable {
    /// Jobs in a struct, not bare closures: a closure passed through `Mutex.withLock`'s generic
    /// `inout` is reabstracted, and one written back grows a chain of thunks.
    private struct Job: Sendable {
        let run: @Sendable () -> Void
    }

    private let jobs = Mutex(Deque<Job>())
    private let available = DispatchSemaphore(value: 0)
    let threads: Int

    /// The process's pools: services share them, so a process with many services (a test suite)
    /// still has a fixed number of these threads.
    static let webhooks = BlockingWorkPool(threads: 16)
    static let uploads = BlockingWorkPool(threads: 16)

    init(threads: Int) {
        self.threads = threads
        for _ in 0..<threads { Self.spawn(self) }
    }

    /// Queues `job`; it runs on one of the pool's threads, in submission order.
    func submit(_ job: @escaping @Sendable () -> Void) {
        jobs.withLock { $0.append(Job(run: job)) }
        available.signal()
    }

    var queuedCount: Int { jobs.withLock { $0.count } }

    private func runLoop() -> Never {
        while true {
            available.wait()
            let job = jobs.withLock { $0.popFirst() }
            job?.run()
        }
    }

    /// Threads live as long as the process; the pool is retained by them.
    private static func spawn(_ pool: BlockingWorkPool) {
        let context = Unmanaged.passRetained(pool).toOpaque()
        var thread: pthread_t = 0
        // pthread_attr_init initialises the memory; no Swift zero-initialiser is needed.
        let attributes = UnsafeMutablePointer<pthread_attr_t>.allocate(capacity: 1)
        defer { attributes.deallocate() }
        pthread_attr_init(attributes)
        pthread_attr_setdetachstate(attributes, Int32(PTHREAD_CREATE_DETACHED))
        pthread_attr_setstacksize(attributes, 512 * 1024)
        let result = pthread_create(
            &thread, attributes,
            { context in
                let pool = Unmanaged<BlockingWorkPool>.fromOpaque(context!).takeUnretainedValue()
                pool.runLoop()
            }, context)
        pthread_attr_destroy(attributes)
        precondition(result == 0, "cannot start a worker thread (pthread_create: \(result))")
    }
}
