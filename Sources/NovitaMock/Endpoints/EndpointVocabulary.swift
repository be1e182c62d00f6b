/// The shared part of the definitions (`fixtures/endpoint-vocabulary.json`): enums too long to
/// repeat (samplers, ControlNets) and fields many endpoints share (`extra`, `loras`, `prompt` …),
/// which a definition names with `{"use": "<name>"}`.
struct EndpointVocabulary: Sendable {
    var enums: [String: [String]]
    var fields: [String: JSONValue]

    static let fileName = "endpoint-vocabulary.json"

    init(enums: [String: [String]] = [:], fields: [String: JSONValue] = [:]) {
        self.enums = enums
        self.fields = fields
    }

    init(json: [UInt8], file: String = fileName) throws(EndpointDefinitionError) {
        let value: JSONValue
        do {
            value = try JSONParser.parse(json)
        } catch {
            throw EndpointDefinitionError(file: file, path: "$", problem: "not valid JSON: \(error.description)")
        }
        var reader = try DefinitionReader(file: file, path: "$", value: value)
        var enums: [String: [String]] = [:]
        if let object = try reader.child("enums") {
            for (name, list) in object.object.entries {
                let values = list.arrayValue?.compactMap(\.stringValue) ?? []
                guard !values.isEmpty, values.count == list.arrayValue?.count else {
                    throw object.error(name, "expected a non-empty array of strings")
                }
                enums[name] = values
            }
        }
        var fields: [String: JSONValue] = [:]
        if let object = try reader.child("fields") {
            for (name, field) in object.object.entries { fields[name] = field }
        }
        try reader.finish()
        self.init(enums: enums, fields: fields)
        // Every shared field must itself be a valid rule: a mistake is reported where it stands.
        let parser = FieldRuleParser(vocabulary: self)
        for (name, field) in fields.sorted(by: { $0.key < $1.key }) {
            _ = try parser.field(field, file: file, path: "$.fields.\(name)")
        }
    }

    /// `{"use": "loras", …}` becomes the shared field with the other keys laid over it.
    func resolvingUse(_ value: JSONValue, file: String, path: String) throws(EndpointDefinitionError) -> JSONValue {
        guard let object = value.objectValue, let use = object["use"] else { return value }
        guard let name = use.stringValue, let shared = fields[name]?.objectValue else {
            throw EndpointDefinitionError(
                file: file, path: "\(path).use",
                problem:
                    "no shared field named \(RequestValidator.describe(use)) (known: \(fields.keys.sorted().joined(separator: ", ")))"
            )
        }
        var merged = shared
        for (key, overriding) in object.entries where key != "use" { merged[key] = overriding }
        return .object(merged)
    }
}
