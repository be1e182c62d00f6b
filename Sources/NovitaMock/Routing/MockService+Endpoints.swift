import ASCIIText
import Dispatch
import ImageCodecs
import MicroHTTP

/// The routes of the endpoint definitions, and what they share: the query-parameter rules and
/// the strict-mode switch.
extension MockService {
    /// One route per definition path; each method answers by the definition's mode.
    static func routes(for catalog: EndpointCatalog) -> [(Router.Pattern, [(String, RouteHandler)])] {
        var routes: [(Router.Pattern, [(String, RouteHandler)])] = []
        for definition in catalog.definitions {
            let handler: RouteHandler = { service, request in service.serve(definition, request) }
            if let index = routes.firstIndex(where: { if case .exact(definition.path) = $0.0 { true } else { false } })
            {
                routes[index].1.append((definition.method, handler))
            } else {
                routes.append((.exact(definition.path), [(definition.method, handler)]))
            }
        }
        return routes
    }

    /// Whether this request is validated to the letter of the docs (docs/contract.md §4.4).
    func isStrict(_ request: HTTPRequest) -> Bool {
        configuration.strict || request.headers["X-Mock-Strict"]?.trimmingSpaces.lowercased() == "true"
    }

    /// Answers a request for `definition`: query rules first (an unknown parameter is a warning in
    /// compat mode and a 400 in strict mode), then the controller of its mode.
    func serve(_ definition: EndpointDefinition, _ request: HTTPRequest) -> HTTPReply {
        // Polls come here: nothing is allocated unless a parameter is unknown.
        var unknown: [String] = []
        for parameter in request.query
        where !definition.queryNames.contains(parameter.name) && !unknown.contains(parameter.name) {
            unknown.append(parameter.name)
        }
        if !unknown.isEmpty, isStrict(request) {
            do {
                _ = try authenticator.tenant(of: request)
            } catch {
                return .now(error.response)
            }
            let expected =
                definition.query.isEmpty
                ? "no query parameters" : "one of " + definition.query.map(\.name).joined(separator: ", ")
            return .now(
                APIError.violations(
                    unknown.map { Violation(path: "query \($0)", expected: expected, actual: "an unknown parameter") }
                ).response)
        }
        let reply: HTTPReply
        switch definition.mode {
        case .async where !definition.models.isEmpty:
            reply = submitUnified(definition, request)
        case .async:
            reply = generation.submit(definition, request, mode: isStrict(request) ? .strict : .compat)
        case .taskResult:
            reply = taskResults.taskResult(request)
        case .modelCatalog:
            reply = catalogController.listModels(request)
        case .account:
            reply = account.userInfo(request)
        case .videoConfig:
            reply = UnifiedVideoConfig.reply(endpoints.definitions, authenticator: authenticator, request)
        case .training:
            reply = training.serve(definition, request, mode: isStrict(request) ? .strict : .compat)
        case .syncImage, .syncText:
            reply = editors.run(definition, request, mode: isStrict(request) ? .strict : .compat)
        case .syncTaskImages, .syncURLs, .syncImageURLs:
            reply = thirdParty.run(definition, request, mode: isStrict(request) ? .strict : .compat)
        }
        guard !unknown.isEmpty else { return reply }
        let warnings = unknown.map { "query \($0): unknown parameter ignored" }
        return reply.mapResponse { response in
            var warned = response
            let earlier = warned.headers[MockWarnings.header].map { [$0] } ?? []
            warned.headers.set(MockWarnings.header, MockWarnings.headerValue(earlier + warnings))
            return warned
        }
    }

    /// `GET /__mock/endpoints`: every definition as loaded (built-in and `--endpoints`), with its
    /// file, mode and rules — what the router and the validator run.
    func listEndpoints(_ request: HTTPRequest) -> HTTPReply {
        let items = endpoints.definitions.map { definition -> JSONValue in
            var object = definition.raw
            object["file"] = .string(definition.file)
            if object["task_type"] == nil, let type = definition.taskType { object["task_type"] = .string(type) }
            return .object(object)
        }
        return .now(.json(["endpoints": .array(items)]))
    }

    /// `GET /__mock/openapi.yaml`: the OpenAPI document of the endpoints this server serves.
    func openAPIDocument(_ request: HTTPRequest) -> HTTPReply {
        .now(
            HTTPResponse(
                status: 200, headers: ["Content-Type": "application/yaml"],
                body: Array(OpenAPIDocument.yaml(catalog: endpoints).utf8)))
    }
}
