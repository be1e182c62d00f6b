import Synchronization

/// What libmicrohttpd's callbacks reach through their `cls` pointer: the handler, the limits and
/// the requests in flight (so shutdown can wait for them and wake any still suspended).
final class ServerContext: Sendable {
    let handler: @Sendable (HTTPRequest) -> HTTPReply
    /// Asked first about every request (see `EarlyResponder`).
    let earlyResponder: (any EarlyResponder)?
    let maxBodyBytes: Int
    let maxBufferedBodyBytes: Int
    /// Body bytes held right now by requests not yet completed (see `reserveBodyBytes`).
    let bufferedBodyBytes = Atomic<Int>(0)
    /// Set once shutdown begins, so responses tell clients not to reuse their connection.
    let isDraining = Atomic<Bool>(false)
    /// Requests that reached the access handler and are not complete yet.
    private let inFlightTotal = Atomic<Int>(0)
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
        inFlightTotal.add(1, ordering: .relaxed)
    }

    func requestCompleted() {
        inFlightTotal.subtract(1, ordering: .relaxed)
    }

    /// Called by a request before it first suspends its connection.
    func registerSuspendable(_ request: RequestContext) {
        _ = suspendable.withLock { $0.updateValue(request, forKey: ObjectIdentifier(request)) }
    }

    func unregisterSuspendable(_ request: RequestContext) {
        _ = suspendable.withLock { $0.removeValue(forKey: ObjectIdentifier(request)) }
    }

    var inFlightCount: Int { inFlightTotal.load(ordering: .relaxed) }

    /// The requests in flight that may be suspended.
    var suspendableRequests: [RequestContext] { suspendable.withLock { Array($0.values) } }
}
