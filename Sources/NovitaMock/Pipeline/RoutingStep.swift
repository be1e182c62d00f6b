import MicroHTTP

/// Finds the handler: 404 `API_NOT_FOUND` for an unknown path, 405 with `Allow` for a known path
/// and another method.
struct RoutingStep: PipelineStep {
    let router: Router

    func inspect(_ call: inout IncomingCall) -> PipelineDecision {
        switch router.resolve(method: call.request.method, path: call.request.path) {
        case .success(let match):
            call.handler = match.handler
            call.routeLabel = match.label
            return .proceed
        case .failure(let error):
            return .answer(.now(error.response))
        }
    }
}
