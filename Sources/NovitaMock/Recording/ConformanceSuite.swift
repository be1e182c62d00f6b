/// The requests `novita-mock conformance` sends to the upstream and to the emulation
/// (docs/record-replay.md): built from the endpoint definitions, so a new definition file is
/// checked without a line of code. Per endpoint: its documented example, and for each field
/// rule the edges just inside (expected to be accepted) and just outside (expected to be refused).
public struct ConformanceSuite: Sendable {
    /// One request of the suite.
    public struct Case: Sendable {
        public var name: String
        /// `METHOD path`, as the summary groups cases.
        public var endpoint: String
        public var method: String
        public var path: String
        /// The JSON body, or nil (GET).
        var body: JSONValue?
        /// True for the example and the edges inside the rules.
        public var expectsSuccess: Bool
        /// What the upstream charges when it accepts it (the definition's `price`).
        public var costUSD: Double

        public var bodyBytes: [UInt8] { body.map(JSONWriter.serialize) ?? [] }
    }

    public var cases: [Case]

    /// What running the whole suite may cost at the upstream.
    public var costUSD: Double { cases.reduce(0) { $0 + $1.costUSD } }

    init(cases: [Case]) {
        self.cases = cases
    }

    /// The suite of the built-in definitions, with those of `endpointsDirectory` laid over them.
    public static func build(endpointsDirectory: String? = nil) throws -> ConformanceSuite {
        let catalog = try endpointsDirectory.map { try EndpointCatalog.loading(directory: $0) } ?? .builtIn
        return ConformanceSuite(cases: catalog.definitions.flatMap(cases(for:)))
    }

    static func cases(for definition: EndpointDefinition) -> [Case] {
        let endpoint = definition.key
        func make(_ name: String, _ body: JSONValue?, success: Bool) -> Case {
            Case(
                name: "\(endpoint) \(name)", endpoint: endpoint, method: definition.method, path: definition.path,
                body: body, expectsSuccess: success, costUSD: success ? cost(of: definition, body: body) : 0)
        }
        if definition.method == "GET" {
            // A GET with no required query parameter can be asked as it is (the catalog); one that
            // needs a task id has nothing to ask about yet.
            guard !definition.query.contains(where: \.isRequired) else { return [] }
            return [make("without parameters", nil, success: true)]
        }
        guard let example = definition.example.map(OpenAPIDocument.runnableExample), case .object = example else {
            return []
        }
        var cases = [make("example", example, success: true)]
        for (path, rule) in editableFields(definition.schema, in: example, prefix: []) {
            for edge in edges(of: rule) {
                let body = example.setting(path, to: edge.value)
                // An edge the example already stands on is asked once, not paid for twice.
                guard !cases.contains(where: { $0.body == body }) else { continue }
                let field = path.joined(separator: ".")
                cases.append(make("\(field) \(edge.label)", body, success: edge.inside))
            }
        }
        return cases
    }

    /// The fields whose edges are tried: those of the body (for `wrapped`, of `request`), with
    /// their path; `extra` (webhooks, storage) is the mock's business more than the model's.
    static func editableFields(_ schema: ObjectSchema, in example: JSONValue, prefix: [String])
        -> [([String], FieldRule)]
    {
        var fields: [([String], FieldRule)] = []
        for rule in schema.fields where rule.name != "extra" {
            if case .object(let inner) = rule.kind, prefix.isEmpty, example.objectValue?[rule.name]?.objectValue != nil
            {
                fields += editableFields(inner, in: example.objectValue?[rule.name] ?? .null, prefix: [rule.name])
            } else {
                fields.append((prefix + [rule.name], rule))
            }
        }
        return fields
    }

    struct Edge {
        var label: String
        /// nil: the field left out.
        var value: JSONValue?
        var inside: Bool
    }

    static func edges(of rule: FieldRule) -> [Edge] {
        var edges: [Edge] = []
        if rule.isRequired { edges.append(Edge(label: "missing", value: nil, inside: false)) }
        switch rule.kind {
        case .integer(let min, let max):
            edges.append(Edge(label: "= \(min) (min)", value: .number(JSONNumber(min)), inside: true))
            edges.append(Edge(label: "= \(max) (max)", value: .number(JSONNumber(max)), inside: true))
            if min > Int64.min / 2 {
                edges.append(
                    Edge(label: "= \(min - 1) (below min)", value: .number(JSONNumber(min - 1)), inside: false))
            }
            if max < Int64.max / 2 {
                edges.append(
                    Edge(label: "= \(max + 1) (above max)", value: .number(JSONNumber(max + 1)), inside: false))
            }
        case .integerEnum(let values):
            if let last = values.max() {
                edges.append(
                    Edge(label: "= \(last + 1) (not a value)", value: .number(JSONNumber(last + 1)), inside: false))
            }
        case .number(let min, let max, let minExclusive):
            let step = max.isFinite && min.isFinite && max > min ? (max - min) / 100 : 1
            if !minExclusive {
                edges.append(Edge(label: "= \(min) (min)", value: .number(JSONNumber(min)), inside: true))
            }
            if max.isFinite && max < 1e15 {
                edges.append(Edge(label: "= \(max) (max)", value: .number(JSONNumber(max)), inside: true))
                edges.append(
                    Edge(label: "= \(max + step) (above max)", value: .number(JSONNumber(max + step)), inside: false))
            }
            if min.isFinite && min > -1e15 {
                let below = minExclusive ? min : min - step
                edges.append(Edge(label: "= \(below) (below min)", value: .number(JSONNumber(below)), inside: false))
            }
        case .string(let minLength, let maxLength):
            if minLength > 0 {
                edges.append(Edge(label: "of \(minLength) characters (min)", value: letters(minLength), inside: true))
                edges.append(
                    Edge(
                        label: "of \(minLength - 1) characters (too short)", value: letters(minLength - 1),
                        inside: false)
                )
            }
            if let maxLength, maxLength < 100_000 {
                edges.append(Edge(label: "of \(maxLength) characters (max)", value: letters(maxLength), inside: true))
                edges.append(
                    Edge(
                        label: "of \(maxLength + 1) characters (too long)", value: letters(maxLength + 1), inside: false
                    ))
            }
        case .enumeration(let values):
            if let first = values.first { edges.append(Edge(label: "= \(first)", value: .string(first), inside: true)) }
            edges.append(Edge(label: "not one of the values", value: "not-a-documented-value", inside: false))
        case .boolean:
            edges.append(Edge(label: "a string, not a boolean", value: "true", inside: false))
        case .image:
            edges.append(Edge(label: "not base64 of an image", value: "bm90IGFuIGltYWdl", inside: false))
        default:
            break
        }
        return edges
    }

    static func letters(_ count: Int) -> JSONValue {
        .string(String(repeating: "a", count: max(0, count)))
    }

    /// The definition's price for one call with this body: per image × `image_num` (1 when absent),
    /// any other unit once.
    static func cost(of definition: EndpointDefinition, body: JSONValue?) -> Double {
        guard let price = definition.price else { return 0 }
        guard price.per == "image" else { return price.usd }
        let object = body?.objectValue
        let count = (object?["request"]?.objectValue?["image_num"] ?? object?["image_num"])?.integerValue ?? 1
        return price.usd * Double(max(1, count))
    }

    /// The suite as `--dry-run --json` prints it and `--suite FILE` reads it.
    public var json: String {
        let items: [JSONValue] = cases.map { item in
            var object: JSONObject = [
                "name": .string(item.name), "method": .string(item.method), "path": .string(item.path),
                "expects_success": .bool(item.expectsSuccess), "cost_usd": .number(JSONNumber(item.costUSD)),
            ]
            if let body = item.body { object["body"] = body }
            return .object(object)
        }
        let value: JSONValue = ["cases": .array(items), "cost_usd": .number(JSONNumber(costUSD))]
        return String(decoding: JSONWriter.pretty(value), as: UTF8.self)
    }

    /// Reads a suite file (the shape `json` writes; `expects_success` and `cost_usd` may be left out).
    public static func load(_ bytes: [UInt8], file: String) throws -> ConformanceSuite {
        func fail(_ what: String) -> CassetteError { CassetteError(description: "\(file): \(what)") }
        guard let items = try JSONParser.parse(bytes).objectValue?["cases"]?.arrayValue else {
            throw fail("a suite is an object with a \"cases\" array")
        }
        return ConformanceSuite(
            cases: try items.enumerated().map { index, item in
                guard let object = item.objectValue, let method = object["method"]?.stringValue,
                    let path = object["path"]?.stringValue
                else { throw fail("$.cases[\(index)] needs \"method\" and \"path\" strings") }
                let endpoint = "\(method) \(path)"
                return Case(
                    name: object["name"]?.stringValue ?? "\(endpoint) #\(index)", endpoint: endpoint, method: method,
                    path: path, body: object["body"], expectsSuccess: object["expects_success"]?.boolValue ?? true,
                    costUSD: object["cost_usd"]?.doubleValue ?? 0)
            })
    }

    /// The text `--dry-run` prints: one line a case, then the cost.
    public var listing: String {
        var lines = cases.map { "\($0.expectsSuccess ? "valid  " : "invalid") \($0.name)" }
        lines.append("\(cases.count) cases; at most \(Self.dollars(costUSD)) at the upstream")
        return lines.joined(separator: "\n")
    }

    static func dollars(_ value: Double) -> String {
        let cents = (value * 10_000).rounded() / 10_000
        return "$\(cents)"
    }
}

extension JSONValue {
    /// The value with the field at `path` (object keys) set, or removed when `value` is nil.
    func setting(_ path: [String], to value: JSONValue?) -> JSONValue {
        guard let first = path.first, var object = objectValue else { return self }
        if path.count == 1 {
            object[first] = value
        } else {
            object[first] = (object[first] ?? .object(JSONObject())).setting(Array(path.dropFirst()), to: value)
        }
        return .object(object)
    }
}
