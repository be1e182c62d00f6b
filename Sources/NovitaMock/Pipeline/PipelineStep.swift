import MicroHTTP

/// One step of the request path. Steps receive only what they use; `MockService` lists them in
/// one visible order and runs them as a loop, so the common path (every step goes on) costs no
/// continuation closure per step.
protocol PipelineStep: Sendable {
    func inspect(_ call: inout IncomingCall) -> PipelineDecision
}

/// What a step decides about a call.
enum PipelineDecision: Sendable {
    /// Go on to the next step (the step may have filled in the call, as routing does).
    case proceed
    /// Answer with this; the steps after it and the handler do not run.
    case answer(HTTPReply)
    /// Answer with what this makes of the rest of the path (a delayed or slowed fault): the
    /// function is given the rest, to run when and how it chooses.
    case wrap(@Sendable (_ rest: @escaping @Sendable () -> HTTPReply) -> HTTPReply)
}
