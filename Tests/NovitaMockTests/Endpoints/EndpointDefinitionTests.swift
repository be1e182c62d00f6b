import Foundation
import Testing

@testable import NovitaMock

@Suite("Endpoint definitions")
struct EndpointDefinitionTests {
    static let repositoryRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    static func fixture(_ relative: String) throws -> String {
        try String(contentsOf: repositoryRoot.appendingPathComponent(relative), encoding: .utf8)
    }

    @Test func theCompiledDefinitionsAreTheFixtureFiles() throws {
        let directory = Self.repositoryRoot.appendingPathComponent("fixtures/endpoints")
        let names = try FileManager.default.contentsOfDirectory(atPath: directory.path)
            .filter { $0.hasSuffix(".json") }.sorted()
        #expect(names == BuiltInEndpoints.files.map(\.name), "run scripts/generate-endpoints")
        for file in BuiltInEndpoints.files {
            let text = try Self.fixture("fixtures/endpoints/\(file.name)")
            #expect(
                text == file.json + "\n", "\(file.name) differs from the compiled copy: run scripts/generate-endpoints")
        }
        #expect(try Self.fixture("fixtures/endpoint-vocabulary.json") == BuiltInEndpoints.vocabulary + "\n")
    }

    @Test func everyBuiltInDefinitionLoads() {
        let catalog = EndpointCatalog.builtIn
        #expect(catalog.definitions.count == BuiltInEndpoints.files.count)
        for path in [
            "/v3/async/img2img", "/v3/async/txt2img", "/v3/async/upscale", "/v3/cleanup", "/v3/remove-background",
            "/v3/replace-background", "/v3/remove-text", "/v3/merge-face", "/v3/reimagine", "/v3/img2prompt",
            "/v3/outpainting",
        ] {
            #expect(catalog.definition(method: "POST", path: path) != nil, "\(path)")
        }
        #expect(catalog.definition(method: "GET", path: "/v3/async/task-result")?.mode == .taskResult)
        #expect(catalog.definition(method: "GET", path: "/v3/model")?.mode == .modelCatalog)
    }

    @Test func undocumentedTaskTypesFollowTheNamingRule() {
        #expect(EndpointDefinition.derivedTaskType(path: "/v3/async/flux-2-pro") == "FLUX_2_PRO")
        #expect(EndpointDefinition.derivedTaskType(path: "/v3/seedream-4.5") == "SEEDREAM_4_5")
    }

    // MARK: bad files name the file, the JSON path and the problem

    static func parse(_ json: String) -> EndpointDefinitionError? {
        do {
            _ = try EndpointCatalog.load(files: [("bad.json", Array(json.utf8))])
            return nil
        } catch {
            return error
        }
    }

    static let minimal =
        #""method": "POST", "path": "/v3/new", "operation_id": "newThing", "summary": "New", "source": "https://example.com""#

    @Test(arguments: [
        (#"{"method": "POST"}"#, "$.path", "missing"),
        (
            "{\(minimal), \"mode\": \"sync-image\", \"operation\": \"cleanup\", \"fields\": [{\"name\": \"a\", \"type\": \"integer\", \"min\": 1, \"max_lenght\": 2}]}",
            "$.fields[0].max_lenght", "unknown key"
        ),
        (
            "{\(minimal), \"mode\": \"sync-image\", \"operation\": \"cleanup\", \"fields\": [{\"name\": \"a\", \"type\": \"integr\"}]}",
            "$.fields[0].type", "unknown type \"integr\""
        ),
        ("{\(minimal), \"mode\": \"sync-image\", \"operation\": \"paint\"}", "$.operation", "runs one of cleanup"),
        ("{\(minimal), \"mode\": \"teleport\"}", "$.mode", "unknown mode"),
        (
            "{\(minimal), \"mode\": \"async\", \"operation\": \"txt2img\", \"body\": \"wrapped\", \"fields\": [{\"use\": \"nope\"}]}",
            "$.fields[0].use", "no shared field named \"nope\""
        ),
        (
            "{\(minimal), \"mode\": \"sync-image\", \"operation\": \"cleanup\", \"fields\": [{\"name\": \"a\", \"type\": \"enum\", \"values\": \"colours\"}]}",
            "$.fields[0].values", "no shared enum named \"colours\""
        ),
        (
            "{\(minimal), \"mode\": \"sync-image\", \"operation\": \"cleanup\", \"fields\": [{\"name\": \"a\", \"type\": \"image\"}], \"constraints\": [{\"kind\": \"same_size\", \"image\": \"a\", \"reference\": \"b\"}]}",
            "$.constraints[0].reference", "no field \"b\""
        ),
        (
            "{\(minimal), \"mode\": \"sync-image\", \"operation\": \"cleanup\", \"fields\": [{\"name\": \"a\", \"type\": \"integer\", \"min\": 5, \"max\": 1}]}",
            "$.fields[0].max", "below min"
        ),
        ("[1, 2]", "$", "expected an object"),
        ("{\"method\": ", "$", "not valid JSON"),
    ])
    func aBadFileSaysWhereAndWhat(json: String, path: String, problem: String) throws {
        let error = try #require(Self.parse(json))
        #expect(error.file == "bad.json")
        #expect(error.path == path, "\(error)")
        #expect(error.problem.contains(problem), "\(error)")
    }

    @Test func twoFilesWithOneMethodAndPathAreRefused() {
        let body =
            #"{"method": "GET", "path": "/v3/model", "operation_id": "x", "summary": "x", "mode": "model-catalog", "source": "s"}"#
        #expect(throws: EndpointDefinitionError.self) {
            try EndpointCatalog.load(files: [("a.json", Array(body.utf8)), ("b.json", Array(body.utf8))])
        }
    }

    // MARK: --endpoints

    /// A copy of a built-in definition at a new path, as a user adds an endpoint Novita shipped
    /// this morning: served, listed, and in the OpenAPI document.
    @Test func aCopiedDefinitionServesItsNewPath() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("endpoints-\(UUID())")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        var text = try Self.fixture("fixtures/endpoints/cleanup.json")
        text = text.replacingOccurrences(of: "\"/v3/cleanup\"", with: "\"/v3/cleanup-pro\"")
            .replacingOccurrences(of: "\"operation_id\": \"cleanup\"", with: "\"operation_id\": \"cleanupPro\"")
        try text.write(to: directory.appendingPathComponent("cleanup-pro.json"), atomically: true, encoding: .utf8)

        let harness = ServiceHarness { $0.endpointsDirectory = directory.path }
        let image = Fixtures.pngBase64
        let mask = Base64.encode(Fixtures.pngImage())
        let body = JSONWriter.serialize(["image_file": .string(image), "mask_file": .string(mask)])
        let reply = harness.request("POST", "/v3/cleanup-pro", body: body)
        #expect(reply.status == 200, "\(reply.message ?? "")")
        #expect(reply.object?["image_type"]?.stringValue == "png")
        #expect(harness.request("POST", "/v3/cleanup", body: body).status == 200)

        let listed = harness.request("GET", "/__mock/endpoints").object?["endpoints"]?.arrayValue ?? []
        let paths = listed.compactMap { $0.objectValue?["path"]?.stringValue }
        #expect(paths.contains("/v3/cleanup-pro") && paths.contains("/v3/cleanup"))
        #expect(
            listed.first { $0.objectValue?["path"] == "/v3/cleanup-pro" }?.objectValue?["file"] == "cleanup-pro.json")

        let yaml = String(decoding: harness.request("GET", "/__mock/openapi.yaml").bodyBytes, as: UTF8.self)
        #expect(yaml.contains("\"/v3/cleanup-pro\":") && yaml.contains("operationId: \"cleanupPro\""))
        #expect(!OpenAPIDocument.yaml().contains("cleanup-pro"))
    }

    @Test func aBadDefinitionStopsTheStart() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("endpoints-\(UUID())")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        try #"{"method": "POST", "path": "/v3/x"}"#.write(
            to: directory.appendingPathComponent("broken.json"), atomically: true, encoding: .utf8)
        var configuration = MockConfiguration()
        configuration.endpointsDirectory = directory.path
        #expect {
            _ = try MockService(configuration: configuration, logger: Logger(level: .error, format: .text))
        } throws: { error in
            "\(error)" == "broken.json: $.mode: missing (a non-empty string)"
        }
    }

    // MARK: query parameters

    @Test func anUnknownQueryParameterIsAWarningInCompatAndRefusedInStrict() {
        let harness = ServiceHarness()
        let compat = harness.request("GET", "/v3/model", query: [("filter[types]", "checkpoint")])
        #expect(compat.status == 200)
        #expect(compat.header("X-Mock-Warnings") == "query filter[types]: unknown parameter ignored")
        let known = harness.request("GET", "/v3/model", query: [("filter.types", "checkpoint")])
        #expect(known.status == 200 && known.header("X-Mock-Warnings") == nil)
        let strict = harness.request(
            "GET", "/v3/model", query: [("filter[types]", "checkpoint")], headers: [("X-Mock-Strict", "true")])
        #expect(strict.status == 400)
        #expect(strict.metadata["path"] == "query filter[types]")
        let unknownOnResult = harness.request(
            "GET", "/v3/async/task-result", query: [("task_id", "nope"), ("verbose", "1")],
            headers: [("X-Mock-Strict", "true")])
        #expect(unknownOnResult.status == 400 && unknownOnResult.metadata["path"] == "query verbose")
    }

    // MARK: generated views agree with the definitions

    @Test func theReadmeTableIsTheDefinitions() throws {
        let readme = try Self.fixture("README.md")
        let table = EndpointTable.markdown(EndpointCatalog.builtIn)
        #expect(
            readme.contains(EndpointTable.startMarker + "\n" + table + EndpointTable.endMarker),
            "README.md's endpoint table is stale; `novita-mock endpoints` prints it:\n\(table)")
    }

    @Test func openAPIHasEveryDefinition() {
        let yaml = OpenAPIDocument.yaml()
        for definition in EndpointCatalog.builtIn.definitions {
            #expect(yaml.contains("\"\(definition.path)\":"), "\(definition.path)")
            #expect(yaml.contains("operationId: \"\(definition.operationID)\""), "\(definition.operationID)")
        }
    }
}
