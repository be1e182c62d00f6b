import MicroHTTP

/// Refuses what MicroHTTP marked while reading: a body over `--max-body-mb` (413), or one the
/// shared upload budget cannot hold (429).
struct BodyLimitStep: PipelineStep {
    let maxBodyBytes: Int
    let maxBufferedBodyBytes: Int

    func inspect(_ call: inout IncomingCall) -> PipelineDecision {
        if call.request.bodyTooLarge { return .answer(.now(APIError.bodyTooLarge(limitBytes: maxBodyBytes).response)) }
        if call.request.bodyOverBudget {
            return .answer(.now(APIError.uploadsOverBudget(budgetBytes: maxBufferedBodyBytes).response))
        }
        return .proceed
    }
}
