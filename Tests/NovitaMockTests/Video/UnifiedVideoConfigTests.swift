import Foundation
import Testing

@testable import NovitaMock

/// `GET /v3/admin/video-unify-api/config` (docs/contract.md §14), over real HTTP: one entry per
/// model of the unified API, each `json_schema` a JSON Schema string that parses, that the
/// model's documented example satisfies, and that refuses a body its endpoint refuses.
@Suite struct UnifiedVideoConfigTests {
    /// The keywords the page reads (required, enum, default, minLength, maxLength, minimum,
    /// maximum, maxItems, items) and the few more the schemas use, checked here independently of
    /// the code that wrote them; answers the first violation's path.
    static func violation(_ value: JSONValue, _ schema: JSONObject, path: String = "$") -> String? {
        if let type = schema["type"] {
            let types = type.arrayValue?.compactMap(\.stringValue) ?? [type.stringValue ?? ""]
            let matches = types.contains { name in
                switch (name, value) {
                case ("object", .object), ("array", .array), ("string", .string), ("boolean", .bool), ("null", .null),
                    ("number", .number):
                    true
                case ("integer", .number(let number)): number.double.rounded() == number.double
                default: false
                }
            }
            if !matches { return "\(path): not \(types)" }
        }
        if let options = schema["enum"]?.arrayValue, !options.contains(where: { $0 == value }) {
            return "\(path): not in enum"
        }
        if case .string(let text) = value {
            let count = text.unicodeScalars.count
            if let min = schema["minLength"]?.integerValue, count < min { return "\(path): shorter than \(min)" }
            if let max = schema["maxLength"]?.integerValue, count > max { return "\(path): longer than \(max)" }
            if let pattern = schema["pattern"]?.stringValue, text.range(of: pattern, options: .regularExpression) == nil
            {
                return "\(path): does not match \(pattern)"
            }
        }
        if case .number(let number) = value {
            if let min = schema["minimum"]?.doubleValue, number.double < min { return "\(path): below \(min)" }
            if let min = schema["exclusiveMinimum"]?.doubleValue, number.double <= min {
                return "\(path): not above \(min)"
            }
            if let max = schema["maximum"]?.doubleValue, number.double > max { return "\(path): above \(max)" }
        }
        if case .array(let items) = value {
            if let max = schema["maxItems"]?.integerValue, items.count > max {
                return "\(path): more than \(max) items"
            }
            if let min = schema["minItems"]?.integerValue, items.count < min {
                return "\(path): fewer than \(min) items"
            }
            if let itemSchema = schema["items"]?.objectValue {
                for (index, item) in items.enumerated() {
                    if let problem = violation(item, itemSchema, path: "\(path)[\(index)]") { return problem }
                }
            }
        }
        if case .object(let object) = value {
            for name in schema["required"]?.arrayValue?.compactMap(\.stringValue) ?? [] where object[name] == nil {
                return "\(path).\(name): required"
            }
            let properties = schema["properties"]?.objectValue ?? JSONObject()
            for (name, member) in object.entries {
                guard let memberSchema = properties[name]?.objectValue else { return "\(path).\(name): unknown" }
                if let problem = violation(member, memberSchema, path: "\(path).\(name)") { return problem }
            }
        }
        return nil
    }

    static func parse(_ text: String) throws -> JSONObject {
        try #require(try JSONParser.parse(Array(text.utf8)).objectValue)
    }

    @Test func everyModelsSchemaParsesAndItsDocumentedExampleValidates() async throws {
        let server = try LiveServer()
        let reply = try await server.send("GET", "/v3/admin/video-unify-api/config")
        #expect(reply.status == 200)
        let configs = try #require(reply.json?["configs"] as? [[String: Any]])
        let unified = try #require(EndpointCatalog.builtIn.definitions.first { $0.path == "/v3/video/create" })
        #expect(configs.compactMap { $0["model"] as? String } == unified.models.keys.sorted())
        for config in configs {
            let model = try #require(config["model"] as? String)
            let target = try #require(EndpointCatalog.builtIn.definitions.first { $0.path == unified.models[model] })
            #expect(config["description"] as? String == target.summary)
            let text = try #require(config["json_schema"] as? String)
            let schema = try Self.parse(text)
            #expect(schema["type"]?.stringValue == "object")
            var example = try #require(target.example?.objectValue)
            example["extra"] = nil
            #expect(
                Self.violation(.object(example), schema) == nil,
                "\(model): \(Self.violation(.object(example), schema) ?? "")")
            // And a body the endpoint refuses is refused here too: a required field left out.
            if let required = schema["required"]?.arrayValue?.first?.stringValue {
                var missing = example
                missing[required] = nil
                #expect(Self.violation(.object(missing), schema) != nil, "\(model) without \(required)")
            }
        }
        // The page reads these keywords; the schemas carry them where the rules have them.
        let all = configs.compactMap { $0["json_schema"] as? String }.joined()
        for keyword in [
            "required", "enum", "default", "minLength", "maxLength", "minimum", "maximum", "maxItems", "items",
        ] {
            #expect(all.contains("\"\(keyword)\""), "no \(keyword)")
        }
        // A key is needed, as for every /v3/ read.
        let anonymous = try await server.send("GET", "/v3/admin/video-unify-api/config", key: nil)
        #expect(anonymous.status == 400 || anonymous.status == 401, "\(anonymous.status)")
    }

    @Test func anEnumValueOutsideTheSchemaIsRefusedByIt() throws {
        let definition = try #require(
            EndpointCatalog.builtIn.definitions.first { $0.path == "/v3/async/kling-v2.1-t2v-master" })
        let text = JSONWriter.string(UnifiedVideoConfig.schema(definition))
        let schema = try Self.parse(text)
        #expect(Self.violation(["prompt": "a", "duration": "5"], schema) == nil)
        #expect(Self.violation(["prompt": "a", "duration": "7"], schema) == "$.duration: not in enum")
        #expect(Self.violation(["prompt": "", "duration": "5"], schema) == "$.prompt: shorter than 1")
    }
}
