import Synchronization

/// What libmicrohttpd's callbacks reach through their `cls` pointer: the handler, the limits and
/// the requests in flight (so shutdown can wait for them and wake any still suspended).
final class ServerContext: Sendable {
    let handler: @Sendable (HTTPRequest) -> HTTPReply
    let maxBodyBytes: Int
    /// Set once shutdown begins, so responses tell clients not to reuse their connection.
    let isDraining = Atomic<Bool>(false)
    private let inFlight = Mutex<[ObjectIdentifier: RequestContext]>([:])

    init(handler: @escaping @Sendable (HTTPRequest) -> HTTPReply, maxBodyBytes: Int) {
        self.handler = handler
        self.maxBodyBytes = maxBodyBytes
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
