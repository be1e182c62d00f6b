import MicroHTTP
import Testing

@testable import NovitaMock

/// A poll of a finished task answers the response kept for it (one libmicrohttpd object for every
/// poll), and still checks the tenant and expiry and still appears in the journal and metrics.
@Suite("Polls of a finished task answer the kept response")
struct FinishedPollTests {
    static func finishedTask(_ harness: ServiceHarness, advancingMs: Int = 600_000) throws -> String {
        let id = try harness.submitOK(Fixtures.body())
        harness.advance(advancingMs)
        try #require(harness.status(id) == "TASK_STATUS_SUCCEED")
        return id
    }

    @Test func pollsShareOneResponseObjectAndTheSameBytes() throws {
        let harness = ServiceHarness { $0.speed = 0 }
        let id = try Self.finishedTask(harness)
        let first = harness.result(id)
        let second = harness.result(id)
        #expect(first.status == 200)
        #expect(first.header("Content-Type") == "application/json")
        let prepared = try #require(first.response.prepared)
        #expect(second.response.prepared === prepared)
        #expect(first.bodyBytes == second.bodyBytes)
        #expect(first.object?["task"]?.objectValue?["task_id"]?.stringValue == id)
    }

    @Test func anotherTenantStillGets404() throws {
        let harness = ServiceHarness { $0.speed = 0 }
        let id = try Self.finishedTask(harness)
        _ = harness.result(id)
        var other = harness
        other.key = "someone-else"
        #expect(other.result(id).status == 404)
    }

    @Test func anExpiredTaskIs404EvenWithItsAnswerKept() throws {
        let harness = ServiceHarness {
            $0.speed = 0
            $0.taskTTLSeconds = 60
        }
        let id = try Self.finishedTask(harness, advancingMs: 1_000)
        #expect(harness.result(id).status == 200)
        harness.advance(3_600_000)
        #expect(harness.result(id).status == 404)
    }

    @Test func pollsAreJournaledWithTheKeyRedacted() throws {
        let harness = ServiceHarness { $0.speed = 0 }
        let id = try Self.finishedTask(harness)
        for _ in 0..<3 { _ = harness.request("GET", "/v3/async/task-result", query: [("task_id", id)]) }
        let journal = harness.request("GET", "/__mock/requests", query: [("path", "/v3/async/task-result")])
        let entries = try #require(journal.object?["requests"]?.arrayValue)
        #expect(entries.count >= 3)
        let last = try #require(entries.last?.objectValue)
        #expect(last["status"]?.integerValue == 200)
        #expect(last["query"]?.objectValue?["task_id"]?.stringValue == id)
        let authorization = try #require(last["headers"]?.objectValue?["Authorization"]?.stringValue)
        #expect(authorization.hasPrefix("Bearer "))
        #expect(!authorization.contains(harness.key))
        #expect(last["body"] == .null)
        #expect(last["response"]?.objectValue?["task"] != nil)
    }

    @Test func theSubmitSummaryIsShownParsed() throws {
        let harness = ServiceHarness { $0.speed = 0 }
        _ = try harness.submitOK(Fixtures.body())
        let journal = harness.request("GET", "/__mock/requests", query: [("path", "/v3/async/img2img")])
        let entry = try #require(journal.object?["requests"]?.arrayValue?.last?.objectValue)
        // The validator's summary, an object (not its JSON text), with the image elided.
        let body = try #require(entry["body"]?.objectValue)
        let request = try #require(body["request"]?.objectValue)
        #expect(request["model_name"]?.stringValue == "sd_xl_base_1.0.safetensors")
        #expect(request["image_base64"]?.stringValue?.hasSuffix("bytes elided>") == true)
        #expect(entry["outcome"]?.objectValue?["task_id"]?.stringValue != nil)
    }

    @Test func inspectingAFinishedTaskKeepsItsAnswerUntilReset() throws {
        let harness = ServiceHarness { $0.speed = 0 }
        let id = try Self.finishedTask(harness)
        let first = harness.request("GET", "/__mock/tasks/\(id)")
        let second = harness.request("GET", "/__mock/tasks/\(id)")
        #expect(first.status == 200)
        #expect(first.bodyBytes == second.bodyBytes)
        #expect(second.response.prepared != nil)
        #expect(second.object?["status"]?.stringValue == "TASK_STATUS_SUCCEED")
        _ = harness.request("POST", "/__mock/reset")
        #expect(harness.request("GET", "/__mock/tasks/\(id)").status == 404)
        #expect(harness.result(id).status == 404)
    }
}
