import MicroHTTP

/// Record or replay (docs/contract.md §16), after routing, faults and rate limits: a recorded
/// answer can still be delayed or replaced by an injected fault. The mock's own media and the
/// control plane are never forwarded nor replayed.
struct CassetteStep: PipelineStep {
    enum Mode: Sendable {
        case record(CassetteRecorder)
        case replay(CassetteReplayer, strict: Bool)
    }

    let mode: Mode
    let authenticator: Authenticator
    let imageBase: ImageBaseURL

    func inspect(_ call: inout IncomingCall) -> PipelineDecision {
        let path = call.request.path
        guard !call.isControlPlane, !path.hasPrefix(ImageURLSigner.pathPrefix),
            !path.hasPrefix(ImageURLSigner.videoPathPrefix), !path.hasPrefix(CassetteMedia.pathPrefix)
        else { return .proceed }
        switch mode {
        case .record(let recorder):
            // The upstream judges the key; a call without one is still refused here, as it
            // would be there, without a round trip.
            guard call.apiKey?.isEmpty == false else { return .answer(.now(APIError.missingAPIKey.response)) }
            return .answer(recorder.forward(call.request, base: imageBase.url(for: call.request)))
        case .replay(let replayer, let strict):
            let tenant: String
            do {
                tenant = try authenticator.tenant(of: call.request)
            } catch {
                return .answer(.now(error.response))
            }
            if let reply = replayer.answer(call.request, tenant: tenant, base: imageBase.url(for: call.request)) {
                return .answer(reply)
            }
            guard strict else { return .proceed }
            return .answer(
                .now(
                    APIError(
                        status: 404, reason: "NOT_RECORDED",
                        message:
                            "no exchange of the cassette \(replayer.directory) matches \(call.request.method) \(path) with this query and body (--replay-strict)"
                    ).response))
        }
    }
}
