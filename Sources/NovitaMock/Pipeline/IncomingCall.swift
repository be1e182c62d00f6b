import MicroHTTP

/// One request on its way through the pipeline (docs/architecture.md "Request path"): what every
/// step needs, worked out once — the route, the API key, the test id, when it arrived.
struct IncomingCall: Sendable {
    let request: HTTPRequest
    /// When it arrived, in nanoseconds of the monotonic clock (for its latency).
    let startedNanoseconds: UInt64
    /// The key of `Authorization` (with or without `Bearer `); the tenant once authenticated.
    let apiKey: String?
    /// `X-Test-Id`, which scopes faults and journal filters to one test.
    let testID: String?
    /// `/__mock/…`: the mock's own control plane (admin token, no faults or rate limits).
    let isControlPlane: Bool
    /// Set by the routing step.
    var handler: RouteHandler?
    /// The matched route's metrics label, set by the routing step with `handler`.
    var routeLabel: String?

    init(_ request: HTTPRequest) {
        self.request = request
        startedNanoseconds = MonotonicClock.nanoseconds()
        apiKey = Authenticator.key(from: request)
        testID = request.headers["X-Test-Id"]
        isControlPlane = request.path.hasPrefix("/__mock/")
    }
}
