import Synchronization

/// What libmicrohttpd's callbacks reach through their `cls` pointer: the handler, the limits and
/// the requests in flight (so shutdown can wait for them and wake any still suspended).
final class ServerContext: Sendable {
    let handler: @Sendable (HTTPRequest) -> HTTPReply
    let maxBodyBytes: Int
    let maxBufferedBodyBytes: Int
    /// Body bytes held right now by requests not yet completed (see `reserveBodyBytes`).
    let bufferedBodyBytes = Atomic<Int>(0)
    /// Set once shutdown begins, so responses tell clients not to reuse their connection.
    let isDraining = Atomic<Bool>(false)
    private let inFlight = Mutex<[ObjectIdentifier: RequestContext]>([:])

    init(handler: @escaping @Sendable (HTTPRequest) -> HTTPReply, maxBodyBytes: Int, maxBufferedBodyBytes: Int) {
        self.handler = handler
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

    func register(_ request: RequestContext) {
        _ = inFlight.withLock { $0.updateValue(request, forKey: ObjectIdentifier(request)) }
    }

    func unregister(_ request: RequestContext) {
        _ = inFlight.withLock { $0.removeValue(forKey: ObjectIdentifier(request)) }
    }

    var inFlightCount: Int { inFlight.withLock { $0.count } }

    var inFlightRequests: [RequestContext] { inFlight.withLock { Array($0.values) } }
}
