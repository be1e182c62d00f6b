import Foundation
import Testing

@testable import NovitaMock

/// The rule table drives the validator and the published document; these tests hold the three
/// together.
@Suite("openapi.yaml agrees with the rule table and the validator")
struct OpenAPITests {
    static let repositoryRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent()

    @Test func committedDocumentIsTheGeneratedOne() throws {
        let committed = try String(
            contentsOf: Self.repositoryRoot.appendingPathComponent("openapi.yaml"), encoding: .utf8)
        #expect(
            committed == OpenAPIDocument.yaml(),
            "openapi.yaml is stale: regenerate it with `swift run novita-mock openapi > openapi.yaml`")
    }

    /// The `request` rules of the img2img definition, as the validator runs them.
    static var img2imgRequest: ObjectSchema {
        guard let definition = EndpointCatalog.builtIn.definition(method: "POST", path: "/v3/async/img2img"),
            case .object(let request)? = definition.schema.rule(named: "request")?.kind
        else { return ObjectSchema([]) }
        return request
    }

    static func vocabulary(_ name: String) -> [String] { EndpointCatalog.builtInVocabulary.enums[name] ?? [] }

    /// Boundary values derived from the table itself, per leaf field of `request`.
    static var derivedCases: [(field: String, value: JSONValue, passes: Bool)] {
        var cases: [(String, JSONValue, Bool)] = []
        for rule in Self.img2imgRequest.fields {
            switch rule.kind {
            case .integer(let min, let max):
                cases += [
                    (rule.name, .number(JSONNumber(min - 1)), false), (rule.name, .number(JSONNumber(min)), true),
                    (rule.name, .number(JSONNumber(max)), true), (rule.name, .number(JSONNumber(max + 1)), false),
                ]
            case .number(let min, let max, _):
                cases += [
                    (rule.name, .number(JSONNumber(min - 0.001)), false), (rule.name, .number(JSONNumber(min)), true),
                    (rule.name, .number(JSONNumber(max)), true), (rule.name, .number(JSONNumber(max + 0.001)), false),
                ]
            case .string(let minLength, let maxLength):
                if minLength > 0 {
                    cases.append((rule.name, .string(String(repeating: "x", count: minLength - 1)), false))
                }
                cases.append((rule.name, .string(String(repeating: "x", count: max(minLength, 1))), true))
                if let maxLength {
                    cases.append((rule.name, .string(String(repeating: "x", count: maxLength)), true))
                    cases.append((rule.name, .string(String(repeating: "x", count: maxLength + 1)), false))
                }
            case .enumeration(let values):
                cases += values.map { (rule.name, JSONValue.string($0), true) }
                cases.append((rule.name, .string(values[0] + "?"), false))
            default:
                continue
            }
        }
        return cases
    }

    @Test func validatorEnforcesEveryTableBoundary() {
        let harness = ServiceHarness()
        for (field, value, passes) in Self.derivedCases {
            let reply = harness.submit(Fixtures.body([field: value]))
            #expect(
                (reply.status == 200) == passes,
                "request.\(field) = \(JSONWriter.string(value).prefix(60)): \(reply.message ?? "accepted")")
            if !passes { #expect(reply.metadata["path"] == "request.\(field)") }
        }
    }

    @Test func documentCarriesTheTableRanges() throws {
        let text = OpenAPIDocument.yaml()
        for rule in Self.img2imgRequest.fields {
            #expect(text.contains("        \(rule.name):") || text.contains(" \(rule.name):"), "\(rule.name) missing")
        }
        for sampler in Self.vocabulary("samplers") { #expect(text.contains("\"\(sampler)\"")) }
        for controlNet in Self.vocabulary("controlnets") { #expect(text.contains("\"\(controlNet)\"")) }
        for preprocessor in Self.vocabulary("preprocessors") { #expect(text.contains("\"\(preprocessor)\"")) }
    }
}
