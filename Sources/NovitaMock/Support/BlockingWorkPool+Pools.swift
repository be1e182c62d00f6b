#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

extension BlockingWorkPool {
    /// CPU-bound work that must leave the poll threads (validation decodes, sync editor
    /// operations, encodes): one thread per core, so such work never starves the poll threads of
    /// more than the machine has, and a queue bound past which callers answer 429.
    static let cpu = BlockingWorkPool(threads: max(1, sysconf(Int32(_SC_NPROCESSORS_ONLN))))

    /// Submits that must reach the disk (the `--state-dir` fsync) before they answer: blocking
    /// I/O kept apart from the CPU pool and from the network pools.
    static let stateWrites = BlockingWorkPool(threads: 4)

    /// Submits that fetch an input image by URL first (wan-i2v's `image_url`): network waits,
    /// kept apart from the CPU pool and from webhooks and uploads.
    static let fetches = BlockingWorkPool(threads: 4)

    /// Jobs that may wait for `fetches`; one more is refused (429 with `Retry-After`).
    static let fetchQueueLimit = 64

    /// Jobs that may wait for `cpu`; one more is refused (429 with `Retry-After`).
    static let cpuQueueLimit = 64

    /// Queues `job` unless `limit` jobs already wait. The check and the append are not one step,
    /// so a burst may overshoot by the number of poll threads; the bound is still a bound.
    func trySubmit(limit: Int, _ job: @escaping @Sendable () -> Void) -> Bool {
        guard queuedCount < limit else { return false }
        submit(job)
        return true
    }
}
