import MicroHTTP

/// One step of the request path: it answers, or passes the call on to `next`. Steps receive only
/// what they use; `MockService` lists them in one visible order.
protocol PipelineStep: Sendable {
    func respond(to call: IncomingCall, next: @escaping @Sendable (IncomingCall) -> HTTPReply) -> HTTPReply
}
