import Foundation
import MicroHTTP
import Testing

@testable import NovitaMock

@Suite("Control plane through HTTP alone")
struct ControlPlaneLiveTests {
    @Test func resetInjectForceAdvanceAndReadTheJournal() async throws {
        let live = try LiveServer { $0.clockMode = .virtual }
        #expect(try await live.control("POST", "/__mock/reset").status == 200)

        // A one-shot 429 on the next submit, then 200.
        let rule = try await live.control(
            "POST", "/__mock/faults", ["route": "/v3/async/img2img", "status": 429, "retry_after_s": 2, "times": 1])
        #expect(rule.status == 201)
        let refused = try await live.submit(LiveFixtures.body(), headers: ["X-Test-Id": "t-1"])
        #expect(refused.status == 429 && refused.reason == "RATE_LIMIT_EXCEEDED")
        #expect(refused.header("Retry-After") == "2")
        let accepted = try await live.submit(LiveFixtures.body(), headers: ["X-Test-Id": "t-1"])
        #expect(accepted.status == 200)
        let id = try #require(accepted.json?["task_id"] as? String)

        // Force it to fail, then a second force is a conflict.
        let failed = try await live.control("POST", "/__mock/tasks/\(id)/fail", ["reason": "disk on fire"])
        #expect(failed.status == 200)
        #expect(failed.json?["status"] as? String == "TASK_STATUS_FAILED")
        let again = try await live.control("POST", "/__mock/tasks/\(id)/complete")
        #expect(again.status == 409 && again.reason == "TASK_ALREADY_FINISHED")
        let result = try #require(try await live.result(id).json?["task"] as? [String: Any])
        #expect(result["reason"] as? String == "disk on fire")

        // Advance the virtual clock: a normal task finishes.
        let other = try #require(try await live.submit(LiveFixtures.body()).json?["task_id"] as? String)
        #expect(try await live.control("POST", "/__mock/clock", ["advance_ms": 5000]).status == 200)
        let finished = try #require(try await live.result(other).json?["task"] as? [String: Any])
        #expect(finished["status"] as? String == "TASK_STATUS_SUCCEED")

        // The journal saw both submits of test t-1, keys redacted, images elided.
        let journal = try #require(try await live.send("GET", "/__mock/requests?test_id=t-1", key: nil).json)
        let entries = try #require(journal["requests"] as? [[String: Any]])
        #expect(entries.map { $0["status"] as? Int } == [429, 200])
        #expect(entries.allSatisfy { $0["api_key"] as? String == "live…" })
        let headers = try #require(entries.last?["headers"] as? [String: String])
        #expect(headers.first { $0.key.lowercased() == "authorization" }?.value == "Bearer live…")
        let request = try #require((entries.last?["body"] as? [String: Any])?["request"] as? [String: Any])
        #expect((request["image_base64"] as? String)?.hasSuffix("bytes elided>") == true)
        let byStatus = try #require(try await live.send("GET", "/__mock/requests?status=429", key: nil).json)
        #expect((byStatus["requests"] as? [Any])?.count == 1)

        // Reset drops tasks.
        #expect(try await live.control("POST", "/__mock/reset").status == 200)
        #expect(try await live.result(other).status == 404)
    }

    @Test func faultsScopedToATestIDNeverTouchAnother() async throws {
        let live = try LiveServer()
        _ = try await live.control("POST", "/__mock/faults", ["test_id": "t-a", "status": 503])
        #expect(try await live.submit(LiveFixtures.body(), headers: ["X-Test-Id": "t-b"]).status == 200)
        #expect(try await live.submit(LiveFixtures.body()).status == 200)
        let hit = try await live.submit(LiveFixtures.body(), headers: ["X-Test-Id": "t-a"])
        #expect(hit.status == 503 && hit.reason == "SERVICE_UNAVAILABLE")
        #expect(try await live.control("DELETE", "/__mock/faults").status == 200)
        #expect(try await live.submit(LiveFixtures.body(), headers: ["X-Test-Id": "t-a"]).status == 200)
    }

    @Test func probabilityWithASeedReplaysTheSameSequence() async throws {
        func sequence() async throws -> [Int] {
            let live = try LiveServer()
            _ = try await live.control(
                "POST", "/__mock/faults",
                ["route": "/v3/async/task-result", "status": 500, "probability": 0.5, "seed": 99])
            var statuses: [Int] = []
            for _ in 0..<30 { statuses.append(try await live.result("x").status) }
            return statuses
        }
        let first = try await sequence()
        #expect(first == (try await sequence()))
        #expect(first.contains(500) && first.contains(404))
    }

    @Test func faultRulesAreValidated() async throws {
        let live = try LiveServer()
        let noEffect = try await live.control("POST", "/__mock/faults", ["route": "/v3/async/img2img"])
        #expect(noEffect.status == 400)
        let badStatus = try await live.control("POST", "/__mock/faults", ["status": 418])
        #expect(badStatus.status == 400 && badStatus.metadata["path"] == "status")
        let unknownKey = try await live.control("POST", "/__mock/faults", ["status": 500, "colour": "red"])
        #expect(unknownKey.status == 400)
        #expect(try await live.control("DELETE", "/__mock/faults/nope").status == 404)
    }

    @Test func dropDelayAndSlowBody() async throws {
        let live = try LiveServer()
        _ = try await live.control(
            "POST", "/__mock/faults", ["id": "drop", "route": "/__nothing", "drop_connection": true])
        // Delay and slow body are real-time effects that MicroHTTP carries out (its own tests
        // check the waiting): here, that the rule hands the server exactly that reply.
        let poll = HTTPRequest(
            method: "GET", path: "/v3/async/task-result", query: [(name: "task_id", value: "x")],
            headers: ["Authorization": "Bearer live-key"])
        _ = try await live.control(
            "POST", "/__mock/faults", ["route": "/v3/async/task-result", "delay_ms": 300, "times": 1])
        guard case .after(let delayMs, let next) = live.service.handle(poll) else {
            Issue.record("a delay_ms rule must answer after a timer")
            return
        }
        #expect(delayMs == 300)
        #expect(ServiceHarness.resolve(next).status == 404)  // then the poll itself is answered
        _ = try await live.control(
            "POST", "/__mock/faults", ["route": "/v3/async/task-result", "slow_body_bytes_per_s": 2000, "times": 1])
        let slowed = ServiceHarness.resolve(live.service.handle(poll))
        #expect(slowed.status == 404)
        #expect(slowed.bodyBytesPerSecond == 2000)
        // Both rules were one-shot: over HTTP the next poll is answered plainly.
        let plain = try await live.result("x")
        #expect(plain.status == 404 && plain.reason == "TASK_NOT_FOUND")
        // No count: HTTP clients retry a GET once when a kept-alive connection drops.
        _ = try await live.control(
            "POST", "/__mock/faults", ["id": "drop-polls", "route": "/v3/async/task-result", "drop_connection": true])
        await #expect(throws: (any Error).self) { _ = try await live.result("x") }
        #expect(try await live.control("DELETE", "/__mock/faults/drop-polls").status == 200)
        #expect(try await live.result("x").status == 404)
    }

    @Test func adminTokenProtectsEverythingButHealthAndReady() async throws {
        let live = try LiveServer { $0.adminToken = "s3cret" }
        #expect(try await live.control("GET", "/__mock/health").status == 200)
        #expect(try await live.control("GET", "/__mock/ready").status == 200)
        let refused = try await live.control("GET", "/__mock/tasks")
        #expect(refused.status == 401 && refused.reason == "UNAUTHORIZED")
        #expect(try await live.send("GET", "/__mock/tasks", key: "s3cret").status == 200)
    }

    @Test func rateLimitAnswers429WithRetryAfterPerTenant() async throws {
        // The window slides on the mock's clock, which stands still until moved: on a loaded
        // machine four polls can take longer than the minute a wall clock would let pass.
        let live = try LiveServer {
            $0.rateLimit = "task-result=3/min"
            $0.clockMode = .virtual
        }
        for _ in 0..<3 { #expect(try await live.result("x").status == 404) }
        let limited = try await live.result("x")
        #expect(limited.status == 429 && limited.reason == "RATE_LIMIT_EXCEEDED")
        #expect(Int(limited.header("Retry-After") ?? "") == 60)
        #expect(try await live.result("x", key: "other-tenant").status == 404)
        _ = try await live.control("POST", "/__mock/clock", ["advance_ms": 60_000])
        #expect(try await live.result("x").status == 404)
    }

    @Test func journalStaysWithinItsBounds() async throws {
        let live = try LiveServer { $0.journalEntries = 50 }
        for _ in 0..<200 { _ = try await live.result("x") }
        let journal = try #require(try await live.send("GET", "/__mock/requests?limit=1000", key: nil).json)
        #expect((journal["requests"] as? [Any])?.count == 50)
        #expect(journal["dropped"] as? Int == 150)
    }

    @Test func metricsAreInPrometheusTextFormat() async throws {
        let live = try LiveServer()
        _ = try await live.result("x")
        let metrics = try await live.send("GET", "/__mock/metrics", key: nil)
        #expect(metrics.header("Content-Type")?.hasPrefix("text/plain; version=0.0.4") == true)
        let text = String(decoding: metrics.body, as: UTF8.self)
        #expect(text.contains("# TYPE novita_mock_http_requests_total counter"))
        #expect(
            text.contains(
                "novita_mock_http_requests_total{route=\"/v3/async/task-result\",method=\"GET\",status=\"404\"} 1"))
        #expect(text.contains("# TYPE novita_mock_http_request_duration_seconds histogram"))
        #expect(text.contains("novita_mock_queue_depth 0"))
    }

    /// Route labels stay bounded whichever step answered: the router's own label for a routed
    /// call (a prefix route as prefix and `*`), the path's label for one refused before or by
    /// routing; each method and status counted apart under one route.
    @Test func metricsLabelRoutesBoundedly() async throws {
        let live = try LiveServer()
        _ = try await live.result("x")
        _ = try await live.result("y")
        _ = try await live.send("POST", "/v3/async/task-result", key: "live-key")
        _ = try await live.send("GET", "/__mock/tasks/no-such-task", key: nil)
        _ = try await live.send("GET", "/v3/no-such-endpoint-\(UInt32.random(in: 0...UInt32.max))", key: "live-key")
        let text = String(decoding: try await live.send("GET", "/__mock/metrics", key: nil).body, as: UTF8.self)
        #expect(
            text.contains(
                "novita_mock_http_requests_total{route=\"/v3/async/task-result\",method=\"GET\",status=\"404\"} 2"))
        #expect(
            text.contains(
                "novita_mock_http_requests_total{route=\"/v3/async/task-result\",method=\"POST\",status=\"405\"} 1"))
        #expect(
            text.contains("novita_mock_http_requests_total{route=\"/__mock/tasks/*\",method=\"GET\",status=\"404\"} 1"))
        #expect(text.contains("novita_mock_http_requests_total{route=\"unmatched\",method=\"GET\",status=\"404\"} 1"))
        #expect(!text.contains("no-such"))
        #expect(text.contains("novita_mock_http_request_duration_seconds_count{route=\"/v3/async/task-result\"} 3"))
    }

    @Test func tasksAreListedAndInspectedWithTheirRequest() async throws {
        let live = try LiveServer { $0.clockMode = .virtual }
        let id = try #require(try await live.submit(LiveFixtures.body()).json?["task_id"] as? String)
        let list = try #require(try await live.send("GET", "/__mock/tasks?api_key=live-key", key: nil).json)
        #expect((list["tasks"] as? [[String: Any]])?.first?["task_id"] as? String == id)
        let one = try #require(try await live.send("GET", "/__mock/tasks/\(id)", key: nil).json)
        let request = try #require((one["request"] as? [String: Any])?["request"] as? [String: Any])
        #expect(request["prompt"] as? String == "a cute dog")
        #expect((request["image_base64"] as? String)?.contains("bytes elided") == true)
        let completed = try await live.control("POST", "/__mock/tasks/\(id)/complete")
        #expect(completed.json?["status"] as? String == "TASK_STATUS_SUCCEED")
        #expect(try await live.send("GET", "/__mock/tasks/unknown", key: nil).status == 404)
        // Paths of any other shape under the task are no API at all (the path is split on its bytes).
        for path in [
            "/__mock/tasks/", "/__mock/tasks/\(id)/", "/__mock/tasks/\(id)/output", "/__mock/tasks/\(id)/output/0/x",
            "/__mock/tasks/\(id)/complete/x", "/__mock/tasks//output/0x",
        ] {
            let answer = try await live.send("GET", path, key: nil)
            #expect(answer.status == 404, "\(path)")
            #expect((answer.json?["reason"] as? String) == "API_NOT_FOUND", "\(path)")
        }
        let forced = try await live.control("POST", "/__mock/tasks/\(id)/fail/x")
        #expect(forced.status == 404 && forced.json?["reason"] as? String == "API_NOT_FOUND")
    }
}
