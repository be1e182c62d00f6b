import Dispatch
import MicroHTTP

/// Fault rules (`/__mock/faults`, `--faults`): an injected status, a dropped connection, a delay
/// or a slow body for the API calls a rule matches.
struct FaultStep: PipelineStep {
    let faults: FaultInjector

    func inspect(_ call: inout IncomingCall) -> PipelineDecision {
        guard !call.isControlPlane,
            let effect = faults.effect(
                method: call.request.method, path: call.request.path, apiKey: call.apiKey, testID: call.testID)
        else { return .proceed }
        return .wrap { rest in Self.apply(effect, handler: rest) }
    }

    /// The reply a fault turns a request into.
    static func apply(_ effect: FaultEffect, handler: @escaping @Sendable () -> HTTPReply) -> HTTPReply {
        let base: HTTPReply
        if effect.dropConnection {
            base = .now(.drop)
        } else if let status = effect.status {
            var error: APIError
            switch status {
            case 429:
                error = .rateLimited(
                    "rate limit exceeded (injected by fault \(effect.ruleID))",
                    retryAfterSeconds: effect.retryAfterSeconds ?? 1)
            case 503:
                error = APIError(
                    status: 503, reason: "SERVICE_UNAVAILABLE",
                    message: "service unavailable (injected by fault \(effect.ruleID))")
                if let retry = effect.retryAfterSeconds { error.headers.set("Retry-After", String(retry)) }
            default:
                error = APIError(
                    status: 500, reason: "INTERNAL_ERROR",
                    message: "internal error (injected by fault \(effect.ruleID))")
            }
            error.metadata.append(("fault_id", effect.ruleID))
            base = .now(error.response)
        } else if effect.delayMs > 0 {
            // The handler runs after the delay, so a delayed submit creates its task late; its
            // reply (which may itself be deferred) goes back to the server as it is.
            base = .deferred { deliver in DispatchQueue.global().async { deliver(handler()) } }
        } else {
            base = handler()
        }
        let slowed = effect.slowBodyBytesPerSecond > 0 ? Self.slowing(base, to: effect.slowBodyBytesPerSecond) : base
        return effect.delayMs > 0 ? .after(milliseconds: effect.delayMs, slowed) : slowed
    }

    static func slowing(_ reply: HTTPReply, to rate: Int) -> HTTPReply {
        reply.mapResponse { response in
            var slowed = response
            slowed.bodyBytesPerSecond = rate
            return slowed
        }
    }
}
