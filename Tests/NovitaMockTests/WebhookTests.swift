import Foundation
import MicroHTTP
import Synchronization
import Testing

@testable import NovitaMock

/// A real HTTP receiver on a free port that records every event it gets.
final class WebhookReceiver: Sendable {
    struct Event: Sendable {
        let raw: [UInt8]
        let contentType: String?
    }

    /// What the handler shares with the test.
    private final class Log: Sendable {
        let events = Mutex<[Event]>([])
        let failuresLeft: Mutex<Int>
        init(failFirst: Int) { failuresLeft = Mutex(failFirst) }
    }

    private let log: Log
    let server: HTTPServer
    var url: String { "http://127.0.0.1:\(server.port)/hook" }

    /// - Parameters: failFirst: answer 500 this many times first; hangMs: wait this long before answering.
    init(failFirst: Int = 0, hangMs: Int = 0) throws {
        let log = Log(failFirst: failFirst)
        self.log = log
        var configuration = HTTPServerConfiguration()
        configuration.host = "127.0.0.1"
        configuration.port = 0
        server = try HTTPServer(configuration: configuration) { request in
            log.events.withLock {
                $0.append(Event(raw: request.body, contentType: request.headers["Content-Type"]))
            }
            let fail = log.failuresLeft.withLock { left -> Bool in
                defer { left = max(0, left - 1) }
                return left > 0
            }
            let response = HTTPResponse(status: fail ? 500 : 200, body: Array("ok".utf8))
            return hangMs > 0 ? .after(milliseconds: hangMs, .now(response)) : .now(response)
        }
    }

    var received: [Event] { log.events.withLock { $0 } }

    func payloads() -> [[String: Any]] {
        received.compactMap { (try? JSONSerialization.jsonObject(with: Data($0.raw))) as? [String: Any] }
    }

    func waitFor(count: Int, timeout: Duration = .seconds(10)) async throws {
        let deadline = ContinuousClock.now + timeout
        while received.count < count && ContinuousClock.now < deadline { try await Task.sleep(for: .milliseconds(20)) }
    }
}

@Suite("Webhooks against a real receiver")
struct WebhookTests {
    @Test func successEventCarriesTheTaskResultAndEchoesTheWebhook() async throws {
        let receiver = try WebhookReceiver()
        let live = try LiveServer { $0.speed = 20 }
        let extra: [String: Any] = ["webhook": ["url": receiver.url]]
        let id = try #require(try await live.submit(LiveFixtures.body(extra: extra)).json?["task_id"] as? String)
        try await receiver.waitFor(count: 1)
        let event = try #require(receiver.payloads().first)
        #expect(receiver.received.first?.contentType == "application/json")
        #expect(event["event_type"] as? String == "ASYNC_TASK_RESULT")
        let payload = try #require(event["payload"] as? [String: Any])
        let task = try #require(payload["task"] as? [String: Any])
        #expect(task["task_id"] as? String == id)
        #expect(task["status"] as? String == "TASK_STATUS_SUCCEED")
        #expect((payload["images"] as? [Any])?.count == 1)
        let echoed = try #require((payload["extra"] as? [String: Any])?["webhook"] as? [String: Any])
        #expect(echoed["url"] as? String == receiver.url)
        let attempts = try #require(
            try await live.send("GET", "/__mock/webhooks", key: nil).json?["attempts"] as? [[String: Any]])
        #expect(attempts.first?["outcome"] as? String == "delivered")
        #expect(attempts.first?["status_code"] as? Int == 200)
    }

    @Test func failureEventIsSentForAFailedTask() async throws {
        let receiver = try WebhookReceiver()
        let live = try LiveServer { $0.speed = 20 }
        _ = try await live.submit(
            LiveFixtures.body(extra: ["webhook": ["url": receiver.url]]), headers: ["X-Mock-Outcome": "fail:boom"])
        try await receiver.waitFor(count: 1)
        let task = try #require((receiver.payloads().first?["payload"] as? [String: Any])?["task"] as? [String: Any])
        #expect(task["status"] as? String == "TASK_STATUS_FAILED")
        #expect(task["reason"] as? String == "boom")
    }

    @Test(arguments: ["TASK_STATUS_SUCCEED", "TASK_STATUS_FAILED"])
    func testModeSendsAtOnceWithTheChosenStatus(_ status: String) async throws {
        let receiver = try WebhookReceiver()
        // A frozen clock at the default speed: without test mode nothing would ever finish, so an
        // event at all means it was sent at once, and the mock's own times say so exactly.
        let live = try LiveServer { $0.clockMode = .virtual }
        let extra: [String: Any] = [
            "webhook": ["url": receiver.url, "test_mode": ["enabled": true, "return_task_status": status]]
        ]
        let id = try #require(try await live.submit(LiveFixtures.body(extra: extra)).json?["task_id"] as? String)
        try await receiver.waitFor(count: 1)
        let payload = try #require(receiver.payloads().first?["payload"] as? [String: Any])
        let task = try #require(payload["task"] as? [String: Any])
        #expect(task["status"] as? String == status)
        let debug = try #require((payload["extra"] as? [String: Any])?["debug_info"] as? [String: String])
        #expect(debug["complete_time_ms"] != nil && debug["complete_time_ms"] == debug["submit_time_ms"])
        let now = try #require(try await live.send("GET", "/__mock/clock", key: nil).json?["now_ms"] as? Int)
        #expect(debug["submit_time_ms"] == String(now), "the clock never moved")
        let result = try #require(try await live.result(id).json)
        #expect((result["task"] as? [String: Any])?["status"] as? String == status)
        #expect((result["images"] as? [Any])?.count == (status == "TASK_STATUS_SUCCEED" ? 1 : 0))
    }

    @Test func retriesFollowTheBackoffOnTheVirtualClock() async throws {
        let receiver = try WebhookReceiver(failFirst: 2)
        let live = try LiveServer {
            $0.clockMode = .virtual
            $0.speed = 0
        }
        // Every attempt's record, once `count` of them are there (up to 10 s).
        func recordedAttempts(_ count: Int) async throws -> [[String: Any]] {
            let deadline = ContinuousClock.now + .seconds(10)
            while true {
                let attempts =
                    try await live.send("GET", "/__mock/webhooks", key: nil).json?["attempts"] as? [[String: Any]] ?? []
                if attempts.count >= count || ContinuousClock.now > deadline { return attempts }
                try await Task.sleep(for: .milliseconds(10))
            }
        }
        // When the next retry is due, in mock milliseconds from now; nil when none is waiting.
        // `POST /__mock/clock` starts every due retry before it answers, so right after it this
        // says whether the advance started one — no need to wait and see that nothing happens.
        let webhooks = live.service.webhooks
        func retryDueIn() -> Int64? { webhooks.nextDueTime().map { $0 - live.service.clock.nowMs() } }
        // The retry is queued just after the attempt is recorded, once the mock has read the
        // receiver's answer: wait for it before moving the clock.
        func retryScheduled() async throws {
            for _ in 0..<1000 where webhooks.nextDueTime() == nil { try await Task.sleep(for: .milliseconds(10)) }
        }
        _ = try await live.submit(LiveFixtures.body(extra: ["webhook": ["url": receiver.url]]))
        try await receiver.waitFor(count: 1)
        try await retryScheduled()
        #expect(retryDueIn() == 1000)
        _ = try await live.control("POST", "/__mock/clock", ["advance_ms": 999])
        #expect(retryDueIn() == 1, "no retry before 1 s of mock time")
        _ = try await live.control("POST", "/__mock/clock", ["advance_ms": 1])
        try await receiver.waitFor(count: 2)
        try await retryScheduled()
        #expect(retryDueIn() == 2000)
        _ = try await live.control("POST", "/__mock/clock", ["advance_ms": 1999])
        #expect(retryDueIn() == 1, "the second retry waits 2 s")
        _ = try await live.control("POST", "/__mock/clock", ["advance_ms": 1])
        try await receiver.waitFor(count: 3)
        let attempts = try await recordedAttempts(3)
        #expect(attempts.map { $0["outcome"] as? String } == ["retry_scheduled", "retry_scheduled", "delivered"])
        #expect(attempts.map { $0["status_code"] as? Int } == [500, 500, 200])
    }

    @Test func aHangingReceiverStallsNothingElse() async throws {
        // Far longer than the checks below can take, even on a loaded machine.
        let hanging = try WebhookReceiver(hangMs: 300_000)
        let healthy = try WebhookReceiver()
        let live = try LiveServer {
            $0.speed = 0
            $0.webhookTimeoutMs = 600_000
        }
        let stuck = try #require(
            try await live.submit(LiveFixtures.body(extra: ["webhook": ["url": hanging.url]])).json?["task_id"]
                as? String)
        try await hanging.waitFor(count: 1)
        // The receiver holds the delivery for 5 minutes. Meanwhile (ordering, not timing: that attempt
        // is still in flight at every check below) the API answers, and another task's event is
        // delivered to a receiver that answers.
        #expect(try await live.result("x").status == 404)
        _ = try await live.submit(LiveFixtures.body(extra: ["webhook": ["url": healthy.url]]))
        try await healthy.waitFor(count: 1)
        #expect(healthy.received.count == 1)
        let log = try #require(try await live.send("GET", "/__mock/webhooks", key: nil).json)
        let attempts = try #require(log["attempts"] as? [[String: Any]])
        #expect(attempts.allSatisfy { $0["task_id"] as? String != stuck }, "the hanging attempt has not ended")
        #expect((log["pending"] as? Int ?? 0) >= 1)
    }

    @Test func aHangingReceiverTimesOutAndIsRetried() async throws {
        let hanging = try WebhookReceiver(hangMs: 3000)
        let live = try LiveServer {
            $0.speed = 0
            $0.webhookTimeoutMs = 300
        }
        _ = try await live.submit(LiveFixtures.body(extra: ["webhook": ["url": hanging.url]]))
        // A bound, not a wait: the loop ends at the first attempt. The whole suite at once on two
        // cores once kept this one from its first look for longer than 10 s.
        let deadline = ContinuousClock.now + .seconds(60)
        var attempts: [[String: Any]] = []
        while attempts.isEmpty && ContinuousClock.now < deadline {
            attempts = try #require(
                try await live.send("GET", "/__mock/webhooks", key: nil).json?["attempts"] as? [[String: Any]])
            try await Task.sleep(for: .milliseconds(50))
        }
        #expect((attempts.first?["error"] as? String)?.contains("timed out") == true)
        #expect(attempts.first?["outcome"] as? String == "retry_scheduled")
    }

    @Test func refusedConnectionIsRecorded() async throws {
        let live = try LiveServer { $0.speed = 0 }
        _ = try await live.submit(LiveFixtures.body(extra: ["webhook": ["url": "http://127.0.0.1:9/hook"]]))
        let deadline = ContinuousClock.now + .seconds(60)  // a bound, as above
        var attempts: [[String: Any]] = []
        while attempts.isEmpty && ContinuousClock.now < deadline {
            attempts = try #require(
                try await live.send("GET", "/__mock/webhooks", key: nil).json?["attempts"] as? [[String: Any]])
            try await Task.sleep(for: .milliseconds(50))
        }
        #expect((attempts.first?["error"] as? String)?.contains("connection failed") == true)
    }
}
