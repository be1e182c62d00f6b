import MicroHTTP

/// Answers 404 for a path that the host the client named does not serve (the assets and storage
/// hosts have no `/v3` API), as Novita's separate hosts would (docs/transparent.md).
struct HostPersonaStep: PipelineStep {
    func inspect(_ call: inout IncomingCall) -> PipelineDecision {
        // Every persona serves every path outside `/v3/`: the Host header matters only there.
        guard call.request.path.utf8.starts(with: "/v3/".utf8) else { return .proceed }
        let persona = HostPersona(hostHeader: call.request.headers["Host"])
        guard persona.serves(path: call.request.path) else {
            return .answer(.now(APIError.apiNotFound(call.request.method, call.request.path).response))
        }
        return .proceed
    }
}
