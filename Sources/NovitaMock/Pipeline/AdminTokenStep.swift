import MicroHTTP

/// With `--admin-token`, every control-plane call but `health` and `ready` needs it (401 else).
struct AdminTokenStep: PipelineStep {
    let token: [UInt8]?

    init(token: String?) {
        self.token = token.flatMap { $0.isEmpty ? nil : Array($0.utf8) }
    }

    func respond(to call: IncomingCall, next: @escaping @Sendable (IncomingCall) -> HTTPReply) -> HTTPReply {
        guard let token, call.isControlPlane, call.request.path != "/__mock/health",
            call.request.path != "/__mock/ready"
        else { return next(call) }
        let given = call.apiKey.map { Array($0.utf8) } ?? []
        guard ImageURLSigner.constantTimeEqual(given, token) else { return .now(APIError.unauthorized.response) }
        return next(call)
    }
}
