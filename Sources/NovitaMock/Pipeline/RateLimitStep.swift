import MicroHTTP

/// `--rate-limit`: per tenant, on the mock's clock; API calls only.
struct RateLimitStep: PipelineStep {
    let limiter: RateLimiter
    let clock: MockClock

    func respond(to call: IncomingCall, next: @escaping @Sendable (IncomingCall) -> HTTPReply) -> HTTPReply {
        guard !call.isControlPlane, let key = call.apiKey,
            let wait = limiter.admit(path: call.request.path, tenant: key, now: clock.nowMs())
        else { return next(call) }
        return .now(
            APIError.rateLimited(
                "rate limit exceeded for \(call.request.path); retry in \(wait) s", retryAfterSeconds: wait
            ).response)
    }
}
