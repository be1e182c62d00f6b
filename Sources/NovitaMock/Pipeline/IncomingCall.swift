import MicroHTTP

/// One request on its way through the pipeline (docs/architecture.md "Request path"): what every
/// step needs, worked out once — the route, the API key, the test id, when it arrived.
struct IncomingCall: Sendable {
    let request: HTTPRequest
    let started: ContinuousClock.Instant
    /// The key of `Authorization` (with or without `Bearer `); the tenant once authenticated.
    let apiKey: String?
    /// `X-Test-Id`, which scopes faults and journal filters to one test.
    let testID: String?
    /// `/__mock/…`: the mock's own control plane (admin token, no faults or rate limits).
    let isControlPlane: Bool
    /// Set by the routing step.
    var handler: RouteHandler?

    init(_ request: HTTPRequest) {
        self.request = request
        started = ContinuousClock.now
        apiKey = Authenticator.key(from: request)
        testID = request.headers["X-Test-Id"]
        isControlPlane = request.path.hasPrefix("/__mock/")
    }
}
