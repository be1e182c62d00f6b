import MicroHTTP

/// Refuses what MicroHTTP marked while reading: a body over `--max-body-mb` (413), or one the
/// shared upload budget cannot hold (429).
struct BodyLimitStep: PipelineStep {
    let maxBodyBytes: Int
    let maxBufferedBodyBytes: Int

    func respond(to call: IncomingCall, next: @escaping @Sendable (IncomingCall) -> HTTPReply) -> HTTPReply {
        if call.request.bodyTooLarge { return .now(APIError.bodyTooLarge(limitBytes: maxBodyBytes).response) }
        if call.request.bodyOverBudget {
            return .now(APIError.uploadsOverBudget(budgetBytes: maxBufferedBodyBytes).response)
        }
        return next(call)
    }
}
