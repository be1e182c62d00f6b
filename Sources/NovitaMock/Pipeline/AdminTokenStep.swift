import MicroHTTP

/// With `--admin-token`, every control-plane call but `health`, `ready` and the dashboard's own
/// files (which hold no data; the page asks for the token and sends it) needs it (401 else).
struct AdminTokenStep: PipelineStep {
    /// The token's digest: comparing digests takes the same time whatever the guess's length.
    let token: SecretDigest?

    init(token: String?) {
        self.token = token.flatMap { $0.isEmpty ? nil : SecretDigest($0.utf8) }
    }

    func inspect(_ call: inout IncomingCall) -> PipelineDecision {
        guard let token, call.isControlPlane, call.request.path != "/__mock/health",
            call.request.path != "/__mock/ready", !MockService.isDashboardAsset(call.request.path)
        else { return .proceed }
        guard token.matches(call.apiKey.map { Array($0.utf8) } ?? []) else {
            return .answer(.now(APIError.unauthorized.response))
        }
        return .proceed
    }
}
