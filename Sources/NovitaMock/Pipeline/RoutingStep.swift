import MicroHTTP

/// Finds the handler: 404 `API_NOT_FOUND` for an unknown path, 405 with `Allow` for a known path
/// and another method.
struct RoutingStep: PipelineStep {
    let router: Router

    func respond(to call: IncomingCall, next: @escaping @Sendable (IncomingCall) -> HTTPReply) -> HTTPReply {
        switch router.resolve(method: call.request.method, path: call.request.path) {
        case .success(let handler):
            var routed = call
            routed.handler = handler
            return next(routed)
        case .failure(let error):
            return .now(error.response)
        }
    }
}
