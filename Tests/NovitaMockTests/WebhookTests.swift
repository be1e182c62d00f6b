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
        let at: ContinuousClock.Instant
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
                $0.append(Event(raw: request.body, contentType: request.headers["Content-Type"], at: .now))
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
        let live = try LiveServer()  // default speed: only test mode makes this immediate
        let extra: [String: Any] = [
            "webhook": ["url": receiver.url, "test_mode": ["enabled": true, "return_task_status": status]]
        ]
        let sent = ContinuousClock.now
        let id = try #require(try await live.submit(LiveFixtures.body(extra: extra)).json?["task_id"] as? String)
        try await receiver.waitFor(count: 1, timeout: .seconds(5))
        let arrived = try #require(receiver.received.first?.at)
        #expect(arrived - sent < .milliseconds(1000), "test-mode event took \(arrived - sent)")
        let task = try #require((receiver.payloads().first?["payload"] as? [String: Any])?["task"] as? [String: Any])
        #expect(task["status"] as? String == status)
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
        // The mock schedules a retry once it has read the receiver's answer, which lands a moment
        // after the receiver saw the request: wait for the attempt's record before moving the clock.
        func recordedAttempts(_ count: Int) async throws -> [[String: Any]] {
            let deadline = ContinuousClock.now + .seconds(10)
            while true {
                let attempts =
                    try await live.send("GET", "/__mock/webhooks", key: nil).json?["attempts"] as? [[String: Any]] ?? []
                if attempts.count >= count || ContinuousClock.now > deadline { return attempts }
                try await Task.sleep(for: .milliseconds(10))
            }
        }
        _ = try await live.submit(LiveFixtures.body(extra: ["webhook": ["url": receiver.url]]))
        try await receiver.waitFor(count: 1)
        _ = try await recordedAttempts(1)
        #expect(receiver.received.count == 1)
        try await Task.sleep(for: .milliseconds(200))
        #expect(receiver.received.count == 1, "no retry before the mock clock moves")
        _ = try await live.control("POST", "/__mock/clock", ["advance_ms": 1000])
        try await receiver.waitFor(count: 2)
        _ = try await recordedAttempts(2)
        _ = try await live.control("POST", "/__mock/clock", ["advance_ms": 1999])
        try await Task.sleep(for: .milliseconds(200))
        #expect(receiver.received.count == 2, "the second retry waits 2 s")
        _ = try await live.control("POST", "/__mock/clock", ["advance_ms": 1])
        try await receiver.waitFor(count: 3)
        let attempts = try await recordedAttempts(3)
        #expect(attempts.map { $0["outcome"] as? String } == ["retry_scheduled", "retry_scheduled", "delivered"])
        #expect(attempts.map { $0["status_code"] as? Int } == [500, 500, 200])
    }

    @Test func aHangingReceiverStallsNothingElse() async throws {
        let hanging = try WebhookReceiver(hangMs: 20_000)
        let live = try LiveServer {
            $0.speed = 0
            $0.webhookTimeoutMs = 30_000
        }
        _ = try await live.submit(LiveFixtures.body(extra: ["webhook": ["url": hanging.url]]))
        try await hanging.waitFor(count: 1)
        // The receiver holds the delivery for 20 s; the API answers meanwhile (ordering, not timing:
        // the attempt is still in flight when the poll's answer is back).
        #expect(try await live.result("x").status == 404)
        let log = try #require(try await live.send("GET", "/__mock/webhooks", key: nil).json)
        #expect((log["attempts"] as? [Any])?.isEmpty == true)
        #expect((log["pending"] as? Int ?? 0) >= 1)
    }

    @Test func aHangingReceiverTimesOutAndIsRetried() async throws {
        let hanging = try WebhookReceiver(hangMs: 3000)
        let live = try LiveServer {
            $0.speed = 0
            $0.webhookTimeoutMs = 300
        }
        _ = try await live.submit(LiveFixtures.body(extra: ["webhook": ["url": hanging.url]]))
        let deadline = ContinuousClock.now + .seconds(10)
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
        let deadline = ContinuousClock.now + .seconds(5)
        var attempts: [[String: Any]] = []
        while attempts.isEmpty && ContinuousClock.now < deadline {
            attempts = try #require(
                try await live.send("GET", "/__mock/webhooks", key: nil).json?["attempts"] as? [[String: Any]])
            try await Task.sleep(for: .milliseconds(50))
        }
        #expect((attempts.first?["error"] as? String)?.contains("connection failed") == true)
    }
}
