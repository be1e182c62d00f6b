import MicroHTTP
import Testing

@testable import NovitaMock

/// Encoding a clip takes seconds for a long 720p one: it runs in the CPU pool, never on the
/// thread that answers polls (docs/architecture.md).
@Suite struct VideoEncodingPlacementTests {
    @Test func theFirstDownloadIsHandedToThePoolAndPollsStillAnswerAtOnce() throws {
        let harness = ServiceHarness { $0.speed = 0 }
        let reply = harness.request(
            "POST", "/v3/async/txt2video", body: JSONWriter.serialize(VideoTaskTests.txt2video()))
        let id = try #require(reply.object?["task_id"]?.stringValue)
        let url = try #require(
            harness.result(id).object?["videos"]?.arrayValue?.first?.objectValue?["video_url"]?.stringValue)
        let (path, query) = Self.split(url)
        let download = HTTPRequest(
            method: "GET", path: path, query: query, headers: HTTPHeaders([("Host", "mock.test:8080")]), body: [])

        // Not cached yet: the answer is deferred to the pool, not computed by this call.
        let first = harness.service.handle(download)
        guard case .deferred = first else {
            Issue.record("the first download of a clip was not deferred to the CPU pool")
            return
        }
        // A poll meanwhile is answered by the calling thread itself.
        let poll = harness.service.handle(
            HTTPRequest(
                method: "GET", path: "/v3/async/task-result", query: [(name: "task_id", value: id)],
                headers: HTTPHeaders([("Host", "mock.test:8080"), ("Authorization", "Bearer test-key")]), body: []))
        guard case .now(let answer) = poll else {
            Issue.record("a poll was not answered at once")
            return
        }
        #expect(answer.status == 200)
        #expect(ServiceHarness.resolve(first).status == 200)
        // Once encoded, the clip is served from the cache without the pool.
        guard case .now(let cached) = harness.service.handle(download) else {
            Issue.record("a cached clip was not answered at once")
            return
        }
        #expect(cached.status == 200)
    }

    static func split(_ url: String) -> (String, [(name: String, value: String)]) {
        let afterHost = url.split(separator: "/", maxSplits: 3, omittingEmptySubsequences: false)
        let parts = ("/" + afterHost[3]).split(separator: "?", maxSplits: 1)
        let query = parts[1].split(separator: "&").map {
            let pair = $0.split(separator: "=", maxSplits: 1)
            return (name: String(pair[0]), value: String(pair[1]))
        }
        return (String(parts[0]), query)
    }
}
