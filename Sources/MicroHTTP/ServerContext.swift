import CMicroHTTPD
import Synchronization

/// What libmicrohttpd's callbacks reach through their `cls` pointer: the handler, the limits and
/// the requests in flight (so shutdown can wait for them and wake any still suspended).
final class ServerContext: Sendable {
    let handler: @Sendable (HTTPRequest) -> HTTPReply
    /// Asked first about every request (see `EarlyResponder`); called in place
    /// (`server.earlyResponder?.…`): a copy bound with `if let` is a counted reference, taken on
    /// every request by every poll thread on one cache line.
    let earlyResponder: (any EarlyResponder)?
    let maxBodyBytes: Int
    let maxBufferedBodyBytes: Int
    /// Body bytes held right now by requests not yet completed (see `reserveBodyBytes`).
    let bufferedBodyBytes = Atomic<Int>(0)
    /// Set once shutdown begins, so responses tell clients not to reuse their connection.
    let isDraining = Atomic<Bool>(false)
    /// Requests that reached the access handler and are not complete yet, counted per CPU (each
    /// share on its own cache line; a request may start on one CPU and complete on another, so a
    /// share alone means nothing, only the sum).
    private let inFlight = PerCPUCounter()
    /// Those of them that were ever suspended: the only ones shutdown must wake. A request that
    /// is answered at once (most) never takes this lock, which every poll thread shares.
    private let suspendable = Mutex<[ObjectIdentifier: RequestContext]>([:])

    init(
        handler: @escaping @Sendable (HTTPRequest) -> HTTPReply, earlyResponder: (any EarlyResponder)?,
        maxBodyBytes: Int, maxBufferedBodyBytes: Int
    ) {
        self.handler = handler
        self.earlyResponder = earlyResponder
        self.maxBodyBytes = maxBodyBytes
        self.maxBufferedBodyBytes = maxBufferedBodyBytes
    }

    /// Takes `count` bytes of the shared body budget; false (taking nothing) when they do not fit.
    func reserveBodyBytes(_ count: Int) -> Bool {
        let after = bufferedBodyBytes.add(count, ordering: .relaxed).newValue
        if after <= maxBufferedBodyBytes { return true }
        bufferedBodyBytes.subtract(count, ordering: .relaxed)
        return false
    }

    func releaseBodyBytes(_ count: Int) {
        if count > 0 { bufferedBodyBytes.subtract(count, ordering: .relaxed) }
    }

    /// Whether a body of `length` bytes would fit the budget left right now.
    func budgetFits(_ length: UInt64) -> Bool {
        length <= UInt64(max(0, maxBufferedBodyBytes - bufferedBodyBytes.load(ordering: .relaxed)))
    }

    func requestStarted() {
        inFlight.add(1)
    }

    func requestCompleted() {
        inFlight.add(-1)
    }

    /// Called by a request before it first suspends its connection.
    func registerSuspendable(_ request: RequestContext) {
        _ = suspendable.withLock { $0.updateValue(request, forKey: ObjectIdentifier(request)) }
    }

    func unregisterSuspendable(_ request: RequestContext) {
        _ = suspendable.withLock { $0.removeValue(forKey: ObjectIdentifier(request)) }
    }

    var inFlightCount: Int { inFlight.sum }

    /// The requests in flight that may be suspended.
    var suspendableRequests: [RequestContext] { suspendable.withLock { Array($0.values) } }
}

/// A count that threads on any CPU change at once without sharing a cache line: one share per CPU
/// (`CurrentCPU.share`), summed when read.
final class PerCPUCounter: @unchecked Sendable {  // `shares` is only touched atomically
    private static var shareCount: Int { CurrentCPU.shareCount }
    /// Ints per share: 128 bytes, a pair of cache lines (adjacent lines are fetched together).
    private static let stride = 16
    private let shares: UnsafeMutablePointer<Int>

    init() {
        shares = .allocate(capacity: Self.shareCount * Self.stride)
        shares.initialize(repeating: 0, count: Self.shareCount * Self.stride)
    }

    deinit {
        shares.deallocate()
    }

    func add(_ value: Int) {
        let share = shares + CurrentCPU.share * Self.stride
        cmhd_atomic_add(share, value)
    }

    /// The shares summed from two passes that read the same values (retried a few times while
    /// they change): one pass alone can miss a request's +1 on a share it has read and see its −1
    /// on one it reads later, and a drain must not take that for an empty server.
    var sum: Int {
        var previous = shareValues()
        for _ in 0..<8 {
            let next = shareValues()
            if next == previous { break }
            previous = next
        }
        return previous.reduce(0, +)
    }

    private func shareValues() -> [Int] {
        (0..<Self.shareCount).map { cmhd_atomic_load(shares + $0 * Self.stride) }
    }
}
