import Foundation
import Testing

@testable import NovitaMock

/// Each request example `openapi.yaml` publishes is one the server accepts: `scripts/api-fuzz`
/// sends them first, and only an accepted example gets the success answer checked against its
/// schema (random strings in image fields only ever earn a 400).
@Suite("openapi.yaml's request examples")
struct OpenAPIExampleTests {
    static let definitionsWithExamples = EndpointCatalog.builtIn.definitions.filter { $0.example != nil }

    @Test func everyEndpointWithABodyHasAnExample() {
        let missing = EndpointCatalog.builtIn.definitions.filter { $0.body != .none && $0.example == nil }
        #expect(missing.isEmpty, "no example: \(missing.map(\.path))")
    }

    @Test(arguments: definitionsWithExamples.map(\.path))
    func theExampleIsAccepted(_ path: String) throws {
        let definition = try #require(Self.definitionsWithExamples.first { $0.path == path })
        let example = OpenAPIDocument.runnableExample(try #require(definition.example))
        let text = String(decoding: JSONWriter.serialize(example), as: UTF8.self)
        #expect(!text.contains(OpenAPIDocument.imagePlaceholder) && !text.contains(OpenAPIDocument.imageURLPlaceholder))
        let reply = ServiceHarness().request(definition.method, path, body: JSONWriter.serialize(example))
        #expect(reply.status == 200, "\(definition.method) \(path): \(reply.message ?? "")")
    }

    @Test func thePublishedDocumentCarriesTheRunnableExamples() throws {
        let yaml = OpenAPIDocument.yaml()
        #expect(yaml.contains("image_file: \"\(OpenAPIDocument.exampleImageBase64)\""))
        #expect(!yaml.contains(OpenAPIDocument.imagePlaceholder))
    }
}
