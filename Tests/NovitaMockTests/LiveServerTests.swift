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

    @Test func defaultTimingShowsProgressAndFinishesInAboutOneAndAHalfSeconds() async throws {
        let live = try LiveServer()
        let submittedAt = ContinuousClock.now
        let id = try #require(try await live.submit(LiveFixtures.body()).json?["task_id"] as? String)
        var statuses: [String] = []
        var body: [String: Any] = [:]
        var firstPollLag: Duration?
        for _ in 0..<40 {
            body = try #require(try await live.result(id).json)
            if firstPollLag == nil { firstPollLag = ContinuousClock.now - submittedAt }
            let status = try #require((body["task"] as? [String: Any])?["status"] as? String)
            statuses.append(status)
            if status == "TASK_STATUS_SUCCEED" { break }
            try await Task.sleep(for: .milliseconds(500))
        }
        #expect(statuses.last == "TASK_STATUS_SUCCEED")
        // The timing itself, read on the mock's own clock (exact, whatever the machine's load):
        // 100 ms QUEUED, then 1400 ms PROCESSING.
        let debug = try #require((body["extra"] as? [String: Any])?["debug_info"] as? [String: String])
        let submitted = try #require(Int64(debug["submit_time_ms"] ?? ""))
        let executed = try #require(Int64(debug["execute_time_ms"] ?? ""))
        let completed = try #require(Int64(debug["complete_time_ms"] ?? ""))
        #expect(executed - submitted == 100)
        #expect(completed - executed == 1400)
        // A poll that came within the first second must have seen the task unfinished (on a
        // machine so loaded that even the first poll came later, this says nothing).
        if let lag = firstPollLag, lag < .seconds(1) {
            #expect(statuses.first == "TASK_STATUS_QUEUED" || statuses.first == "TASK_STATUS_PROCESSING")
        }
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
