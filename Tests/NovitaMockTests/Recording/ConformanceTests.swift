import Foundation
import MicroHTTP
import Testing

@testable import NovitaMock

@Suite("Conformance: the emulation against an upstream, case by case")
struct ConformanceTests {
    /// The endpoints the run tests send: one or more of each mode and body shape (async wrapped
    /// and flat, the sync editors, sync text, the inline third-party shapes, video, the account
    /// and the catalog). Sending every definition's cases (over 100 endpoints, thousands of
    /// renders and clips on both sides) took minutes; which cases exist is checked against every
    /// definition in `theSuiteComesFromTheDefinitions`.
    static let runPaths: Set<String> = [
        "/v3/async/txt2img", "/v3/async/img2img", "/v3/async/upscale", "/v3/cleanup", "/v3/img2prompt",
        "/v3/remove-background", "/v3/async/txt2video", "/v3/async/image-eraser", "/v3/async/flux-1-kontext-dev",
        "/v3/seedream-4.0", "/v3beta/flux-1-schnell", "/v3/async/kling-v1.6-t2v", "/v3/user", "/v3/model",
    ]

    static func suite() throws -> ConformanceSuite {
        var suite = try ConformanceSuite.build()
        suite.cases.removeAll { !runPaths.contains($0.path) }
        return suite
    }

    @Test func theSuiteComesFromTheDefinitions() throws {
        let suite = try ConformanceSuite.build()
        let names = Set(suite.cases.map(\.name))
        // The example, the edges of a rule inside and outside, and a required field left out.
        #expect(names.contains("POST /v3/async/txt2img example"))
        #expect(names.contains("POST /v3/async/txt2img request.width = 2048 (max)"))
        #expect(names.contains("POST /v3/async/txt2img request.width = 2049 (above max)"))
        #expect(names.contains("POST /v3/async/txt2img request.prompt missing"))
        // Every definition but the GETs that need a task to ask about (task-result, a training's state).
        let askable = EndpointCatalog.builtIn.definitions.filter {
            $0.method != "GET" || !$0.query.contains(where: \.isRequired)
        }
        #expect(Set(suite.cases.map(\.endpoint)) == Set(askable.map(\.key)))
        #expect(try Set(Self.suite().cases.map(\.path)) == Self.runPaths)
        // Only accepted requests cost: txt2img is priced per image.
        let example = try #require(suite.cases.first { $0.name == "POST /v3/async/txt2img example" })
        #expect(example.costUSD > 0)
        #expect(suite.cases.filter { !$0.expectsSuccess }.allSatisfy { $0.costUSD == 0 })
        // A suite file reads back as the same cases.
        let again = try ConformanceSuite.load(Array(suite.json.utf8), file: "suite.json")
        #expect(again.cases.map(\.name) == suite.cases.map(\.name))
        #expect(again.cases.map(\.bodyBytes) == suite.cases.map(\.bodyBytes))
    }

    @Test func anIdenticalUpstreamShowsNoDifference() throws {
        let upstream = try LiveServer { $0.speed = 0 }
        let check = ConformanceCheck(
            upstream: ConformanceCheck.httpSender(base: upstream.base, apiKey: "conformance-key"),
            mock: try ConformanceCheck.inProcessSender(apiKey: "conformance-key"))
        let report = check.run(try Self.suite())
        #expect(report.differenceCount == 0, "\(report.text)")
        #expect(
            report.outcomes.contains { $0.upstream.status == 200 }
                && report.outcomes.contains { $0.upstream.status == 400 })
    }

    @Test func aStubsPlantedDifferencesAreReportedAndNothingElse() throws {
        let suite = try Self.suite()
        func pick(_ path: String, success: Bool) throws -> ConformanceSuite.Case {
            try #require(suite.cases.first { $0.path == path && $0.expectsSuccess == success })
        }
        // Each case gets one planted change; the stub answers everything else as the mock does.
        let planted: [(ConformanceSuite.Case, kind: String, path: String)] = [
            (try pick("/v3/async/txt2img", success: false), "status", ""),
            (try pick("/v3/async/img2img", success: false), "reason", ""),
            (try pick("/v3/cleanup", success: false), "message", ""),
            (try pick("/v3/img2prompt", success: true), "type", "$.prompt"),
            (try pick("/v3/async/txt2img", success: true), "shape", "$.trace_id"),
        ]
        let inner = ServiceHarness { $0.speed = 0 }.service
        let changes = planted.map { (path: $0.0.path, body: $0.0.bodyBytes, kind: $0.kind) }
        var serverConfiguration = HTTPServerConfiguration()
        serverConfiguration.host = "127.0.0.1"
        serverConfiguration.port = 0
        let stub = try HTTPServer(configuration: serverConfiguration) { request in
            let reply = inner.handle(request)
            guard let change = changes.first(where: { $0.path == request.path && $0.body == request.body }) else {
                return reply
            }
            return reply.mapResponse { response in
                var changed = response
                guard case .bytes(let bytes) = response.body, var object = (try? JSONParser.parse(bytes))?.objectValue
                else { return response }
                switch change.kind {
                case "status": changed.status = 422
                case "reason": object["reason"] = "BAD_REQUEST"
                case "message": object["message"] = "request is invalid"
                case "type": object["prompt"] = 42
                default: object["trace_id"] = "0f3c"
                }
                changed.body = .bytes(JSONWriter.serialize(.object(object)))
                return changed
            }
        }
        defer { stub.shutdown(graceSeconds: 1) }
        let check = ConformanceCheck(
            upstream: ConformanceCheck.httpSender(base: "http://127.0.0.1:\(stub.port)", apiKey: "conformance-key"),
            mock: try ConformanceCheck.inProcessSender(apiKey: "conformance-key"))
        let report = check.run(suite)
        let differing = report.outcomes.filter { !$0.differences.isEmpty }
        #expect(differing.map(\.testCase.name).sorted() == planted.map(\.0.name).sorted(), "\(report.text)")
        for (item, kind, path) in planted {
            let outcome = try #require(report.outcomes.first { $0.testCase.name == item.name })
            #expect(outcome.differences.map(\.kind) == [kind], "\(item.name)")
            #expect(outcome.differences.first?.path == path)
        }
        #expect(report.differenceCount == planted.count)
        let summary = report.summary.filter { $0.differing > 0 }
        #expect(Set(summary.map(\.endpoint)) == Set(planted.map(\.0.endpoint)))
        #expect(report.text.contains("type at $.prompt: upstream string | mock number") == false)
        #expect(report.text.contains("type at $.prompt: upstream number | mock string"))
    }
}

@Suite("The conformance command: exit status and cost bound")
struct ConformanceCommandTests {
    static func run(_ arguments: [String]) throws -> (status: Int32, output: String) {
        let process = Process()
        process.executableURL = MockProcess.binary
        process.arguments = ["conformance"] + arguments
        let output = Pipe()
        process.standardOutput = output
        process.standardError = output
        try process.run()
        let text = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        return (process.terminationStatus, text)
    }

    @Test func exitsZeroWhenAllAgreesOneWhenAnythingDiffersAndRefusesOverTheCostBound() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("suite-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        var suite = try ConformanceSuite.build()
        suite.cases = suite.cases.filter { $0.path == "/v3/async/txt2img" }.prefix(4).map { $0 }
        let file = directory.appendingPathComponent("suite.json").path
        try Data(suite.json.utf8).write(to: URL(fileURLWithPath: file))

        let dry = try Self.run(["--dry-run", "--suite", file])
        #expect(dry.status == 0 && dry.output.contains("4 cases; at most $"))

        let same = try LiveServer { $0.speed = 0 }
        let report = directory.appendingPathComponent("report.json").path
        let agreed = try Self.run(["--upstream", same.base, "--api-key", "k", "--suite", file, "--json", report])
        #expect(agreed.status == 0, "\(agreed.output)")
        let written = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: report)))
        #expect((written as? [String: Any])?["differences"] as? Int == 0)

        // An upstream that knows other keys refuses every case: 403 against 200 and 400.
        let refusing = try LiveServer { $0.apiKeys = ["another-key"] }
        let differed = try Self.run(["--upstream", refusing.base, "--api-key", "k", "--suite", file])
        #expect(differed.status == 1 && differed.output.contains("status: upstream 403"), "\(differed.output)")

        let tooDear = try Self.run(["--upstream", same.base, "--api-key", "k", "--suite", file, "--max-cost", "0"])
        #expect(tooDear.status != 0 && tooDear.output.contains("--max-cost"))
    }
}
