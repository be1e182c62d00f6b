import Foundation
import MicroHTTP
import Testing

@testable import NovitaMock

/// Polls of a finished task answered from the request head (`FinishedPollResponder`): the same
/// bytes, journal entry and metrics as the pipeline's answer, on a connection that stays open;
/// and every request whose answer the pipeline would make differently is left to the pipeline.
@Suite("Finished polls answered from the request head")
struct EarlyPollTests {
    /// A finished task and its answer, which the pipeline gave (and kept, stamped).
    static func finished(_ live: LiveServer, key: String = "live-key") async throws -> (id: String, body: Data) {
        let submitted = try await live.submit(LiveFixtures.body(), key: key)
        let id = try #require(submitted.json?["task_id"] as? String)
        _ = try await live.waitFinished(id, key: key)
        let body = try await live.result(id, key: key).body
        return (id, body)
    }

    static func journal(_ live: LiveServer, query: String = "path=/v3/async/task-result") async throws -> [[String:
        Any]]
    {
        try #require(try await live.control("GET", "/__mock/requests?" + query).json?["requests"] as? [[String: Any]])
    }

    static func pollCount(_ live: LiveServer) async throws -> Int {
        let text = String(decoding: try await live.control("GET", "/__mock/metrics").body, as: UTF8.self)
        let series = #"novita_mock_http_requests_total{route="/v3/async/task-result",method="GET",status="200"} "#
        let line = text.split(separator: "\n").first { $0.hasPrefix(series) }
        return line.flatMap { Int($0.dropFirst(series.count)) } ?? 0
    }

    /// Every fact an early answer's journal entry shares with the pipeline's entry for the same
    /// request, compared as canonical JSON.
    static func expectSameJournalFacts(_ early: [String: Any], _ pipeline: [String: Any]) throws {
        func canonical(_ entry: [String: Any], _ field: String) throws -> String {
            let value = try JSONSerialization.data(withJSONObject: [entry[field] ?? NSNull()], options: .sortedKeys)
            return String(decoding: value, as: UTF8.self)
        }
        for field in [
            "method", "path", "query", "api_key", "test_id", "status", "headers", "body", "outcome", "response",
        ] {
            #expect(try canonical(early, field) == canonical(pipeline, field), "journal field \(field) differs")
        }
    }

    @Test func answersWithThePipelinesBytesJournalAndMetrics() async throws {
        let live = try LiveServer { $0.speed = 0 }
        #expect(live.service.earlyResponder != nil)
        let (id, body) = try await Self.finished(live)
        let pipelineEntry = try #require(try await Self.journal(live).last)
        let readsBefore = live.service.store.recordsRead
        let countBefore = try await Self.pollCount(live)
        for _ in 0..<3 {
            let reply = try await live.result(id)
            #expect(reply.status == 200)
            #expect(reply.body == body)
            #expect(reply.header("Content-Type") == "application/json")
        }
        // The store was not read: the head's answer, not the pipeline's.
        #expect(live.service.store.recordsRead == readsBefore)
        #expect(try await Self.pollCount(live) == countBefore + 3)
        let entries = try await Self.journal(live)
        let early = try #require(entries.last)
        try EarlyPollTests.expectSameJournalFacts(early, pipelineEntry)
        #expect((early["sequence"] as? Int).map { $0 > (pipelineEntry["sequence"] as? Int ?? .max) } == true)
    }

    @Test func theConnectionStaysOpenBetweenAnswers() async throws {
        let live = try LiveServer { $0.speed = 0 }
        let (id, _) = try await Self.finished(live)
        let connection = try RawConnection(port: live.server.port)
        for _ in 0..<3 {
            try connection.send(
                "GET /v3/async/task-result?task_id=\(id) HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                    + "Authorization: Bearer live-key\r\n\r\n")
            let response = try #require(try connection.readResponse(waitingMs: 5_000))
            #expect(response.hasPrefix("HTTP/1.1 200"))
            #expect(!response.lowercased().contains("connection: close"))
        }
    }

    @Test func whatThePipelineAnswersOtherwiseGoesThroughIt() async throws {
        let live = try LiveServer { $0.speed = 0 }
        let (id, body) = try await Self.finished(live)
        // Another tenant.
        #expect(try await live.result(id, key: "someone-else").status == 404)
        // A parameter the definition does not know: answered, with the warning.
        let warned = try await live.send("GET", "/v3/async/task-result?task_id=\(id)&extra=1")
        #expect(warned.status == 200)
        #expect(warned.header("X-Mock-Warnings")?.contains("extra") == true)
        // More header fields than the responder makes room for: the pipeline's answer, the same.
        var many: [String: String] = [:]
        for index in 0..<40 { many["X-Extra-\(index)"] = "\(index)" }
        let crowded = try await live.send("GET", "/v3/async/task-result?task_id=\(id)", headers: many)
        #expect(crowded.status == 200)
        #expect(crowded.body == body)
        // A host without the API.
        let assets = try await live.send(
            "GET", "/v3/async/task-result?task_id=\(id)", headers: ["Host": "assets.novitai.com"])
        #expect(assets.status == 404)
        // No key.
        #expect(try await live.send("GET", "/v3/async/task-result?task_id=\(id)", key: nil).status == 400)
        // A fault rule, while it is in force.
        let fault = try await live.control(
            "POST", "/__mock/faults", ["route": "/v3/async/task-result", "status": 503, "times": 1])
        #expect(fault.status == 200 || fault.status == 201)
        #expect(try await live.result(id).status == 503)
        #expect(try await live.result(id).body == body)
        // The test id is journaled.
        _ = try await live.send("GET", "/v3/async/task-result?task_id=\(id)", headers: ["X-Test-Id": "early-7"])
        let tagged = try await Self.journal(live, query: "test_id=early-7")
        #expect(tagged.count == 1)
        #expect(tagged.first?["test_id"] as? String == "early-7")
        // A reset removes the task.
        _ = try await live.control("POST", "/__mock/reset")
        #expect(try await live.result(id).status == 404)
    }

    /// A mock that keeps one task per tenant, for 60 s of a clock that stands still until moved:
    /// eviction and expiry do not depend on how busy the machine running the test is.
    static func evictingServer() throws -> LiveServer {
        try LiveServer {
            $0.speed = 0
            $0.clockMode = .virtual
            $0.maxTasksPerTenant = 1
            $0.taskTTLSeconds = 60
        }
    }

    @Test func aTaskRemovedOrExpiredIsNotAnsweredAgain() async throws {
        let live = try Self.evictingServer()
        let (first, _) = try await Self.finished(live)
        #expect(try await live.result(first).status == 200)
        // A second task of the tenant evicts the first (one task per tenant).
        let (second, _) = try await Self.finished(live)
        #expect(try await live.result(first).status == 404)
        #expect(try await live.result(second).status == 200)
        #expect(try await live.result(second).status == 200)
        let moved = try await live.control("POST", "/__mock/clock", ["advance_ms": 61_000])
        #expect(moved.status == 200)
        #expect(try await live.result(second).status == 404)
    }

    @Test func aRateLimitOrACassetteKeepsEveryPollInThePipeline() throws {
        let limited = try MockService(
            configuration: {
                var c = MockConfiguration(); c.rateLimit = "task-result=3/min"; return c
            }(),
            logger: Logger(level: .error, format: .text))
        #expect(limited.earlyResponder == nil)
    }
}
