import Foundation
import MicroHTTP
import Testing

@testable import NovitaMock

/// The control plane's look at a finished task answered from the request head
/// (`InspectionResponder`): the same bytes and metrics as the pipeline's answer; and every request
/// the pipeline would answer differently is left to it.
@Suite("Finished tasks' inspections answered from the request head")
struct EarlyInspectionTests {
    static func inspectionCount(_ live: LiveServer) async throws -> Int {
        let text = String(decoding: try await live.control("GET", "/__mock/metrics").body, as: UTF8.self)
        let series = #"novita_mock_http_requests_total{route="/__mock/tasks/*",method="GET",status="200"} "#
        let line = text.split(separator: "\n").first { $0.hasPrefix(series) }
        return line.flatMap { Int($0.dropFirst(series.count)) } ?? 0
    }

    @Test func answersWithThePipelinesBytesAndMetrics() async throws {
        let live = try LiveServer { $0.speed = 0 }
        let (id, _) = try await EarlyPollTests.finished(live)
        let first = try await live.control("GET", "/__mock/tasks/\(id)")
        #expect(first.status == 200)
        #expect(first.json?["status"] as? String == "TASK_STATUS_SUCCEED")
        let readsBefore = live.service.store.recordsRead
        let countBefore = try await Self.inspectionCount(live)
        let journalBefore = try await EarlyPollTests.journal(live, query: "limit=1000").count
        for query in ["", "?api_key=whatever"] {
            let reply = try await live.control("GET", "/__mock/tasks/\(id)\(query)")
            #expect(reply.status == 200)
            #expect(reply.body == first.body)
            #expect(reply.header("Content-Type") == "application/json")
        }
        // The store was not read: the head's answers, not the pipeline's; counted as the
        // pipeline counts them, and, like every control-plane call, not journaled.
        #expect(live.service.store.recordsRead == readsBefore)
        #expect(try await Self.inspectionCount(live) == countBefore + 2)
        #expect(try await EarlyPollTests.journal(live, query: "limit=1000").count == journalBefore)
    }

    @Test func whatThePipelineAnswersOtherwiseGoesThroughIt() async throws {
        let live = try LiveServer { $0.clockMode = .virtual }
        // Not finished yet (the virtual clock stands still): each look is the pipeline's, and sees the task move on.
        let submitted = try await live.submit(LiveFixtures.body())
        let id = try #require(submitted.json?["task_id"] as? String)
        let queued = try await live.control("GET", "/__mock/tasks/\(id)")
        #expect(queued.json?["status"] as? String != "TASK_STATUS_SUCCEED")
        let forced = try await live.control("POST", "/__mock/tasks/\(id)/fail", ["reason": "forced"])
        #expect(forced.json?["status"] as? String == "TASK_STATUS_FAILED")
        let failed = try await live.control("GET", "/__mock/tasks/\(id)")
        #expect(failed.body == forced.body)
        #expect(try await live.control("GET", "/__mock/tasks/\(id)").body == forced.body)
        // Other shapes of path under the task, and a GET with a body, are the pipeline's.
        #expect(try await live.control("GET", "/__mock/tasks/\(id)/").status == 404)
        #expect(try await live.control("GET", "/__mock/tasks/\(id)/output/0").status == 404)
        let withBody = try await live.send("GET", "/__mock/tasks/\(id)", body: Data("{}".utf8), key: nil)
        #expect(withBody.status == 200 && withBody.body == forced.body)
        // A reset removes it, and what the head had kept with it.
        _ = try await live.control("POST", "/__mock/reset")
        #expect(try await live.control("GET", "/__mock/tasks/\(id)").status == 404)
    }

    @Test func aTaskEvictedOrExpiredIsNotAnsweredAgain() async throws {
        let live = try EarlyPollTests.evictingServer()
        let (first, _) = try await EarlyPollTests.finished(live)
        #expect(try await live.control("GET", "/__mock/tasks/\(first)").status == 200)
        #expect(try await live.control("GET", "/__mock/tasks/\(first)").status == 200)
        // A second task of the tenant evicts the first (one task per tenant).
        let (second, _) = try await EarlyPollTests.finished(live)
        #expect(try await live.control("GET", "/__mock/tasks/\(first)").status == 404)
        #expect(try await live.control("GET", "/__mock/tasks/\(second)").status == 200)
        #expect(try await live.control("GET", "/__mock/tasks/\(second)").status == 200)
        #expect(try await live.control("POST", "/__mock/clock", ["advance_ms": 61_000]).status == 200)
        #expect(try await live.control("GET", "/__mock/tasks/\(second)").status == 404)
    }

    @Test func anAdminTokenIsCheckedOnEveryLook() async throws {
        let live = try LiveServer {
            $0.speed = 0
            $0.adminToken = "s3cret"
        }
        let (id, _) = try await EarlyPollTests.finished(live)
        for _ in 0..<2 {
            #expect(try await live.send("GET", "/__mock/tasks/\(id)", key: "s3cret").status == 200)
        }
        let refused = try await live.send("GET", "/__mock/tasks/\(id)", key: nil)
        #expect(refused.status == 401 && refused.reason == "UNAUTHORIZED")
        #expect(try await live.send("GET", "/__mock/tasks/\(id)", key: "wrong").status == 401)
    }
}
