import MicroHTTP

/// The unified video API (docs/contract.md §14): `POST /v3/video/create` names a model with
/// `model` and carries that model's own fields beside it; `callback_url` is its webhook. The
/// definition's `models` maps each `model` value to the path of the definition that serves it, so
/// the request is validated, timed, limited and answered exactly as a call of that endpoint.
extension MockService {
    func submitUnified(_ definition: EndpointDefinition, _ request: HTTPRequest) -> HTTPReply {
        do throws(APIError) {
            // Authentication answers before any body problem, as on every other endpoint.
            _ = try authenticator.tenant(of: request)
            try RequestValidator.requireJSON(request)
            guard let parsed = try? JSONParser.parse(request.body), case .object(var body) = parsed else {
                throw APIError.violations([
                    Violation(path: "body", expected: "a JSON object", actual: "something else")
                ])
            }
            let known = definition.models.keys.sorted()
            guard let model = body["model"]?.stringValue, let path = definition.models[model],
                let target = endpoints.definitions.first(where: { $0.method == "POST" && $0.path == path })
            else {
                throw APIError.violations([
                    Violation(
                        path: "model", expected: "one of " + known.joined(separator: ", "),
                        actual: body["model"].map(RequestValidator.describe) ?? "nothing")
                ])
            }
            body["model"] = nil
            if let callback = body["callback_url"] {
                body["callback_url"] = nil
                guard let url = callback.stringValue, url.hasPrefix("http://") || url.hasPrefix("https://") else {
                    throw APIError.violations([
                        Violation(
                            path: "callback_url", expected: "an absolute http or https URL",
                            actual: RequestValidator.describe(callback))
                    ])
                }
                var extra = body["extra"]?.objectValue ?? JSONObject()
                extra["webhook"] = .object(["url": .string(url)])
                body["extra"] = .object(extra)
            }
            var forwarded = request
            forwarded.body = JSONWriter.serialize(.object(body))
            return serve(target, forwarded)
        } catch {
            return .now(error.response)
        }
    }
}
