import Foundation
import ImageCodecs
import MicroHTTP
import Testing

@testable import NovitaMock

@Suite("Dashboard /__mock/ui")
struct DashboardTests {
    static let repositoryRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    @Test func theCompiledAssetsAreTheFilesInUI() throws {
        let directory = Self.repositoryRoot.appendingPathComponent("ui")
        let names = try FileManager.default.contentsOfDirectory(atPath: directory.path).sorted()
        #expect(names == DashboardAssets.files.map(\.name), "run scripts/generate-ui")
        for file in DashboardAssets.files {
            let text = try String(contentsOf: directory.appendingPathComponent(file.name), encoding: .utf8)
            #expect(text == file.text + "\n", "ui/\(file.name) differs from the compiled copy: run scripts/generate-ui")
        }
    }

    @Test func thePageAndItsFilesAreServedWithTypesAndAPolicyThatKeepsThemLocal() throws {
        let harness = ServiceHarness()
        let page = harness.request("GET", "/__mock/ui", authorized: false)
        #expect(page.status == 200)
        #expect(page.header("Content-Type") == "text/html; charset=utf-8")
        #expect(page.header("Content-Security-Policy")?.hasPrefix("default-src 'self'") == true)
        let html = String(decoding: page.bodyBytes, as: UTF8.self)
        #expect(html.contains("/__mock/ui/app.js") && html.contains("/__mock/ui/style.css"))
        // Nothing the page references lives on another host.
        #expect(!html.contains("http://") && !html.contains("https://"))
        #expect(harness.request("GET", "/__mock/ui/", authorized: false).bodyBytes == page.bodyBytes)
        let script = harness.request("GET", "/__mock/ui/app.js", authorized: false)
        #expect(script.status == 200 && script.header("Content-Type") == "text/javascript; charset=utf-8")
        #expect(harness.request("GET", "/__mock/ui/style.css").header("Content-Type") == "text/css; charset=utf-8")
        let missing = harness.request("GET", "/__mock/ui/nothing.js")
        #expect(missing.status == 404 && missing.reason == "API_NOT_FOUND")
    }

    @Test func theAdminTokenGuardsTheDataNotThePage() {
        let harness = ServiceHarness { $0.adminToken = "s3cret" }
        #expect(harness.request("GET", "/__mock/ui", authorized: false).status == 200)
        #expect(harness.request("GET", "/__mock/ui/app.js", authorized: false).status == 200)
        #expect(harness.request("GET", "/__mock/tasks", authorized: false).status == 401)
        var withToken = harness
        withToken.key = "s3cret"
        #expect(withToken.request("GET", "/__mock/tasks").status == 200)
    }

    @Test func tasksComeInPagesNewestFirstWithTheTotal() throws {
        let harness = ServiceHarness()
        var ids: [String] = []
        for _ in 0..<7 { ids.append(try harness.submitOK(Fixtures.body())) }
        func page(_ query: [(String, String)]) throws -> (ids: [String], total: Int?) {
            let reply = harness.request("GET", "/__mock/tasks", query: query)
            try #require(reply.status == 200, "\(reply.message ?? "")")
            let tasks = reply.object?["tasks"]?.arrayValue ?? []
            return (
                tasks.compactMap { $0.objectValue?["task_id"]?.stringValue },
                reply.object?["total"]?.integerValue.map { Int($0) }
            )
        }
        let first = try page([("order", "newest"), ("limit", "3")])
        #expect(first.ids == Array(ids.reversed().prefix(3)) && first.total == 7)
        let last = try page([("order", "newest"), ("limit", "3"), ("offset", "6")])
        #expect(last.ids == [ids[0]] && last.total == 7)
        #expect(try page([("offset", "2"), ("limit", "2")]).ids == Array(ids[2..<4]))
        harness.advance(60_000)
        _ = try harness.submitOK(Fixtures.body())
        let queued = try page([("status", "QUEUED"), ("order", "newest")])
        #expect(queued.ids.count == 1 && queued.total == 1)
        let refused = harness.request("GET", "/__mock/tasks", query: [("order", "sideways")])
        #expect(refused.status == 400 && refused.metadata["path"] == "query order")
        #expect(harness.request("GET", "/__mock/tasks", query: [("offset", "-1")]).metadata["path"] == "query offset")
    }

    @Test func aPageLooksAtItsOwnTasksOnlyHoweverManyAreStored() throws {
        let harness = ServiceHarness()
        let body = JSONWriter.serialize([
            "request": [
                "model_name": "sd_xl_base_1.0.safetensors", "prompt": "a cute dog", "width": 512, "height": 512,
                "image_num": 1, "steps": 20, "seed": -1, "guidance_scale": 7.5, "sampler_name": "Euler a",
            ]
        ])
        for _ in 0..<2_000 {
            #expect(harness.request("POST", "/v3/async/txt2img", body: body).status == 200)
        }
        let store = harness.service.store
        let before = store.recordsRead
        let started = ContinuousClock.now
        let reply = harness.request("GET", "/__mock/tasks", query: [("order", "newest"), ("limit", "50")])
        let elapsed = ContinuousClock.now - started
        #expect(reply.object?["total"]?.integerValue == 2_000)
        #expect(reply.object?["tasks"]?.arrayValue?.count == 50)
        #expect(store.recordsRead - before == 50, "a page of 50 reads 50 tasks, not the store")
        #expect(elapsed < .milliseconds(250), "one page took \(elapsed)")
        let deep = harness.request(
            "GET", "/__mock/tasks", query: [("order", "newest"), ("limit", "50"), ("offset", "1950")])
        #expect(deep.object?["tasks"]?.arrayValue?.count == 50)
    }

    @Test func aSucceededTaskServesItsOutputThroughTheControlPlaneUnjournaled() throws {
        let harness = ServiceHarness()
        let id = try harness.submitOK(Fixtures.body())
        let pending = harness.request("GET", "/__mock/tasks/\(id)/output/0")
        #expect(pending.status == 404 && pending.reason == "OUTPUT_NOT_FOUND")
        harness.advance(60_000)
        let task = harness.request("GET", "/__mock/tasks/\(id)")
        let outputs = task.object?["outputs"]?.arrayValue ?? []
        #expect(outputs.count == 1 && outputs.first?.objectValue?["kind"]?.stringValue == "image")
        #expect(task.object?["result"]?.objectValue?["images"]?.arrayValue?.count == 1)
        let before = harness.request("GET", "/__mock/requests").object?["count"]?.integerValue.map { Int($0) }
        // A fault on image downloads does not touch the dashboard's copy.
        _ = harness.request(
            "POST", "/__mock/faults",
            body: JSONWriter.serialize(["route": "/faas-output-image/*", "status": 503]))
        let image = harness.request("GET", "/__mock/tasks/\(id)/output/0", authorized: false)
        #expect(image.status == 200)
        let decoded = try ImageDecoder.decode(image.bodyBytes, maxPixels: 1 << 24)
        #expect(decoded.width > 0)
        let direct = harness.download(try #require(harness.imageURLs(id).first))
        #expect(direct.status == 503)
        #expect(harness.request("GET", "/__mock/tasks/\(id)/output/1").status == 404)
        #expect(harness.request("GET", "/__mock/tasks/\(id)/output/x").status == 404)
        let after = harness.request("GET", "/__mock/requests").object?["count"]?.integerValue.map { Int($0) } ?? 0
        #expect(after == (before ?? 0) + 2, "the dashboard's reads are not journaled; the two API calls are")
    }

    @Test func theJournalKeepsTheJSONAnswerWithItsViolations() throws {
        let harness = ServiceHarness()
        let refused = harness.submit(Fixtures.body(["steps": .number(JSONNumber(5000)), "prompt": nil]))
        #expect(refused.status == 400)
        let entries = harness.request("GET", "/__mock/requests").object?["requests"]?.arrayValue ?? []
        let response = try #require(entries.last?.objectValue?["response"]?.objectValue)
        #expect(response["reason"]?.stringValue == "INVALID_REQUEST_BODY")
        #expect(response["metadata"]?.objectValue?["violations"]?.stringValue?.contains("request.steps") == true)
    }
}
