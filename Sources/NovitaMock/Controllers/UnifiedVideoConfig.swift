import MicroHTTP

/// `GET /v3/admin/video-unify-api/config` (docs/contract.md §14): what Novita's unified-video page
/// reads to draw each model's form, `{configs: [{model, description, json_schema}]}`, one entry per
/// `model` value of the unified API's definition, `json_schema` the JSON Schema (as a string) of
/// the fields of the endpoint that serves it — made from the same rules the validator applies, as
/// `openapi.yaml` is (required, enum, default, minLength, maxLength, minimum, maximum, maxItems,
/// items). The body's `extra` is left out: the unified API's `callback_url` stands for it.
enum UnifiedVideoConfig {
    /// The reply body for a catalog.
    static func configs(_ definitions: [EndpointDefinition]) -> JSONValue {
        var configs: [JSONValue] = []
        for unified in definitions where unified.method == "POST" && !unified.models.isEmpty {
            for model in unified.models.keys.sorted() {
                guard let path = unified.models[model],
                    let target = definitions.first(where: { $0.method == "POST" && $0.path == path })
                else { continue }
                configs.append(
                    .object(
                        JSONObject([
                            ("model", .string(model)), ("description", .string(target.summary)),
                            ("json_schema", .string(JSONWriter.string(schema(target)))),
                        ])))
            }
        }
        return .object(JSONObject([("configs", .array(configs))]))
    }

    /// The JSON Schema of a definition's request fields (the object in `request` of a wrapped body).
    static func schema(_ definition: EndpointDefinition) -> JSONValue {
        let fields = SubmissionInputs.requestSchema(definition).fields.filter { $0.name != "extra" }
        var schema = json(OpenAPIDocument.schema(ObjectSchema(fields)))
        if case .object(var object) = schema {
            object["$schema"] = .string("https://json-schema.org/draft/2020-12/schema")
            object["title"] = .string(definition.summary)
            schema = .object(object)
        }
        return schema
    }

    /// The reply's schema in `openapi.yaml`.
    static var replySchema: YAMLNode {
        let entry = YAMLNode.map([
            ("type", .string("object")),
            ("required", .list(["model", "description", "json_schema"].map(YAMLNode.string))),
            (
                "properties",
                .map([
                    ("model", .map([("type", .string("string"))])),
                    ("description", .map([("type", .string("string"))])),
                    (
                        "json_schema",
                        .map([
                            ("type", .string("string")), ("contentMediaType", .string("application/schema+json")),
                        ])
                    ),
                ])
            ),
        ])
        return .map([
            ("type", .string("object")), ("required", .list([.string("configs")])),
            ("properties", .map([("configs", .map([("type", .string("array")), ("items", entry)]))])),
        ])
    }

    /// A YAML node of the OpenAPI generator as JSON.
    static func json(_ node: YAMLNode) -> JSONValue {
        switch node {
        case .map(let entries): .object(JSONObject(entries.map { ($0.0, json($0.1)) }))
        case .list(let items): .array(items.map(json))
        case .string(let text): .string(text)
        case .integer(let value): .number(JSONNumber(value))
        case .number(let value): .number(JSONNumber(value))
        case .bool(let value): .bool(value)
        }
    }

    /// The reply: authenticated like every `/v3/` read; no side effects. Writing some 80 KB of
    /// schemas is CPU work (tens of milliseconds in a debug build): the bounded CPU pool, never a
    /// poll thread, or 429 when its queue is full.
    static func reply(_ definitions: [EndpointDefinition], authenticator: Authenticator, _ request: HTTPRequest)
        -> HTTPReply
    {
        authenticator.authenticated(request) { _ in
            guard BlockingWorkPool.cpu.queuedCount < BlockingWorkPool.cpuQueueLimit else {
                return .now(APIError.workQueueFull().response)
            }
            return .deferred { deliver in
                BlockingWorkPool.cpu.submit { deliver(.now(HTTPResponse.json(configs(definitions)))) }
            }
        }
    }
}
