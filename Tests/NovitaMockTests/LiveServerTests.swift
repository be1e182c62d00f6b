import Foundation
import ImageCodecs
import Testing

@testable import NovitaMock

@Suite("Live server: the whole loop over real HTTP")
struct LiveServerTests {
    @Test func submitPollDownloadDecodes() async throws {
        let live = try LiveServer { $0.speed = 20 }
        let submitted = try await live.submit(LiveFixtures.body(["width": 384, "height": 256, "image_num": 2]))
        #expect(submitted.status == 200)
        #expect(submitted.header("Content-Type") == "application/json")
        let id = try #require(submitted.json?["task_id"] as? String)
        let body = try await live.waitFinished(id)
        let task = try #require(body["task"] as? [String: Any])
        #expect(task["status"] as? String == "TASK_STATUS_SUCCEED")
        let images = try #require(body["images"] as? [[String: Any]])
        #expect(images.count == 2)
        for image in images {
            let url = try #require(image["image_url"] as? String)
            #expect(url.hasPrefix(live.base + "/faas-output-image/prod/\(id)/"))
            let download = try await live.send("GET", url, key: nil)
            #expect(download.status == 200)
            #expect(download.header("Content-Type") == "image/png")
            #expect(download.header("Content-Length") == String(download.body.count))
            let decoded = try ImageDecoder.decode(Array(download.body), maxPixels: 1 << 24)
            #expect(decoded.width == 384 && decoded.height == 256)
        }
    }

    @Test func defaultTimingShowsProgressAndFinishesInOneAndAHalfSeconds() async throws {
        // The default timing on a frozen clock, stepped by hand: every poll sees exactly the state
        // of that mock instant, whatever the machine's load.
        let live = try LiveServer { $0.clockMode = .virtual }
        let id = try #require(try await live.submit(LiveFixtures.body()).json?["task_id"] as? String)
        func poll() async throws -> (status: String?, progress: Int?, eta: Int?, body: [String: Any]) {
            let body = try #require(try await live.result(id).json)
            let task = body["task"] as? [String: Any]
            return (task?["status"] as? String, task?["progress_percent"] as? Int, task?["eta"] as? Int, body)
        }
        func advance(_ milliseconds: Int) async throws {
            #expect(try await live.control("POST", "/__mock/clock", ["advance_ms": milliseconds]).status == 200)
        }
        // 100 ms QUEUED: the whole 1.5 s still ahead.
        var state = try await poll()
        #expect(state.status == "TASK_STATUS_QUEUED" && state.progress == 0 && state.eta == 2)
        try await advance(99)
        #expect(try await poll().status == "TASK_STATUS_QUEUED")
        // Then 1400 ms PROCESSING, progress rising with the mock's time and eta falling.
        try await advance(1)
        state = try await poll()
        #expect(state.status == "TASK_STATUS_PROCESSING" && state.progress == 1 && state.eta == 2)
        try await advance(700)
        state = try await poll()
        #expect(state.status == "TASK_STATUS_PROCESSING" && state.progress == 50 && state.eta == 1)
        try await advance(699)
        state = try await poll()
        #expect(state.status == "TASK_STATUS_PROCESSING" && state.progress == 99 && state.eta == 1)
        try await advance(1)
        state = try await poll()
        #expect(state.status == "TASK_STATUS_SUCCEED" && state.progress == 0 && state.eta == 0)
        let debug = try #require((state.body["extra"] as? [String: Any])?["debug_info"] as? [String: String])
        let submitted = try #require(Int64(debug["submit_time_ms"] ?? ""))
        let executed = try #require(Int64(debug["execute_time_ms"] ?? ""))
        let completed = try #require(Int64(debug["complete_time_ms"] ?? ""))
        #expect(executed - submitted == 100)
        #expect(completed - executed == 1400)
    }

    @Test func errorsComeInTheEnvelopeOverHTTP() async throws {
        let live = try LiveServer(maxBodyBytes: 64 * 1024)
        let badJSON = try await live.send("POST", "/v3/async/img2img", body: Data("{oops".utf8))
        #expect(badJSON.status == 400 && badJSON.reason == "INVALID_REQUEST_BODY")
        let wrongType = try await live.send(
            "POST", "/v3/async/img2img", body: Data("{}".utf8), contentType: "text/plain")
        #expect(wrongType.status == 400 && wrongType.message?.contains("Content-Type") == true)
        let noKey = try await live.send("POST", "/v3/async/img2img", body: Data("{}".utf8), key: nil)
        #expect(noKey.status == 400 && noKey.reason == "MISSING_API_KEY")
        let tooBig = try await live.send("POST", "/v3/async/img2img", body: Data(count: 200 * 1024))
        #expect(tooBig.status == 413 && tooBig.reason == "REQUEST_ENTITY_TOO_LARGE")
        let unknown = try await live.send("GET", "/v3/async/unknown")
        #expect(unknown.status == 404 && unknown.reason == "API_NOT_FOUND")
        let method = try await live.send("PUT", "/v3/async/task-result", body: Data("{}".utf8))
        #expect(method.status == 405 && method.header("Allow") == "GET")
        for reply in [badJSON, wrongType, noKey, tooBig, unknown, method] {
            #expect(reply.header("Content-Type") == "application/json")
            #expect((reply.json?["code"] as? Int) == reply.status)
        }
    }

    @Test func anotherTenantsTaskIsNotFound() async throws {
        let live = try LiveServer()
        let id = try #require(try await live.submit(LiveFixtures.body()).json?["task_id"] as? String)
        #expect(try await live.result(id).status == 200)
        let foreign = try await live.result(id, key: "intruder")
        #expect(foreign.status == 404 && foreign.reason == "TASK_NOT_FOUND")
    }

    @Test func twoServersWithTheSameSeedReplayIDsAndBytes() async throws {
        func run() async throws -> [String] {
            let live = try LiveServer {
                $0.seed = 7
                $0.speed = 0
            }
            var out: [String] = []
            for prompt in ["a red fox", "a blue whale"] {
                let id = try #require(
                    try await live.submit(LiveFixtures.body(["seed": -1, "prompt": prompt])).json?["task_id"] as? String
                )
                let body = try await live.waitFinished(id)
                let url = try #require((body["images"] as? [[String: Any]])?.first?["image_url"] as? String)
                let bytes = try await live.send("GET", url, key: nil).body
                out += [id, (body["extra"] as? [String: Any])?["seed"] as? String ?? "", bytes.base64EncodedString()]
            }
            return out
        }
        let first = try await run()
        let second = try await run()
        #expect(first == second)
    }
}

@Suite("Request fixtures against the live server")
struct LiveFixtureTests {
    static let live = try! LiveServer { $0.clockMode = .virtual }

    @Test(arguments: RequestFixture.all)
    func fixture(_ fixture: RequestFixture) async throws {
        let reply = try await Self.live.send(
            "POST", fixture.endpoint, body: Data(JSONWriter.serialize(fixture.body)),
            headers: Dictionary(uniqueKeysWithValues: fixture.headers))
        fixture.check(
            status: reply.status, path: reply.metadata["path"], message: reply.message,
            keys: reply.json.map { Array($0.keys) } ?? [])
        #expect(reply.header("Content-Type") == "application/json")
    }
}
