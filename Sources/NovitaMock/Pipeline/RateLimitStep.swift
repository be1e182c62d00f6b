import MicroHTTP

/// `--rate-limit`: per tenant, on the mock's clock; API calls only.
struct RateLimitStep: PipelineStep {
    let limiter: RateLimiter
    let clock: MockClock

    func inspect(_ call: inout IncomingCall) -> PipelineDecision {
        // No limit configured (the default): not even the clock is read.
        guard !limiter.limits.isEmpty, !call.isControlPlane, let key = call.apiKey,
            let wait = limiter.admit(path: call.request.path, tenant: key, now: clock.nowMs())
        else { return .proceed }
        return .answer(
            .now(
                APIError.rateLimited(
                    "rate limit exceeded for \(call.request.path); retry in \(wait) s", retryAfterSeconds: wait
                ).response))
    }
}
