import Synchronization
import Testing

@testable import NovitaMock

/// A poll reads: webhooks and uploads start on the lifecycle driver, never on the thread that
/// served a GET, and what the poll reports is right at the exact moment of the mock's clock.
@Suite("Reads fire no side effects")
struct PollSideEffectTests {
    /// A service whose lifecycle driver is not running: anything a poll starts shows.
    static func unstartedService(workers: Int = 4) throws -> MockService {
        var configuration = MockConfiguration()
        configuration.clockMode = .virtual
        configuration.workers = workers
        return try MockService(configuration: configuration, logger: Logger(level: .error, format: .text))
    }

    @Test func aPollStartsNoWebhookOfAnotherTenant() throws {
        let service = try Self.unstartedService()
        var other = ServiceHarness(wrapping: service)
        other.key = "other-tenant"
        var mine = ServiceHarness(wrapping: service)
        mine.key = "polling-tenant"
        let hook = Fixtures.body(extra: ["webhook": ["url": "http://127.0.0.1:9/hook"]])
        _ = try other.submitOK(hook, headers: [("X-Mock-Duration-Ms", "1000")])
        let polled = try mine.submitOK(Fixtures.body(), headers: [("X-Mock-Duration-Ms", "1000")])

        service.clock.advance(milliseconds: 5000)
        #expect(mine.status(polled) == "TASK_STATUS_SUCCEED")
        #expect(service.webhooks.pendingCount == 0, "the poll started a webhook")
        #expect(service.webhooks.attempts(tenant: nil).isEmpty)
    }

    /// Uploads and webhooks both start from the store's finished handler: a poll (or a listing,
    /// or an image download) must never call it, whatever finished meanwhile.
    @Test func noReadCallsTheFinishedHandler() throws {
        let service = try Self.unstartedService()
        let calls = Mutex(0)
        service.store.onFinished { _ in calls.withLock { $0 += 1 } }
        let client = ServiceHarness(wrapping: service)
        let storage = Fixtures.body(extra: [
            "custom_storage": ["aws_s3": ["region": "us-east-1", "bucket": "my-bucket", "path": "out"]]
        ])
        let stored = try client.submitOK(storage, headers: [("X-Mock-Duration-Ms", "1000"), ("X-Mock-Queue-Ms", "0")])
        let plain = try client.submitOK(
            Fixtures.body(), headers: [("X-Mock-Duration-Ms", "1000"), ("X-Mock-Queue-Ms", "0")])
        service.clock.advance(milliseconds: 5000)
        #expect(client.status(stored) == "TASK_STATUS_PROCESSING", "held until its upload settles")
        #expect(client.status(plain) == "TASK_STATUS_SUCCEED")
        #expect(client.request("GET", "/__mock/tasks").status == 200)
        #expect(client.request("GET", "/__mock/tasks/\(plain)").status == 200)
        let image = try #require(client.imageURLs(plain).first)
        #expect(client.download(image).status == 200)
        #expect(calls.withLock { $0 } == 0)
    }

    @Test func thePollSeesTheExactStateBetweenDriverRuns() throws {
        let service = try Self.unstartedService(workers: 1)
        let client = ServiceHarness(wrapping: service)
        let long = [("X-Mock-Duration-Ms", "1000"), ("X-Mock-Queue-Ms", "0")]
        let first = try client.submitOK(Fixtures.body(), headers: long)
        let second = try client.submitOK(Fixtures.body(), headers: long)
        let third = try client.submitOK(Fixtures.body(), headers: long)
        let dedicated = try client.submitOK(
            Fixtures.body(extra: ["enterprise_plan": ["enabled": true]]),
            headers: [("X-Mock-Duration-Ms", "1000"), ("X-Mock-Queue-Ms", "500")])

        #expect(client.status(first) == "TASK_STATUS_PROCESSING")
        #expect(client.status(second) == "TASK_STATUS_QUEUED")
        #expect(client.status(dedicated) == "TASK_STATUS_QUEUED")
        service.clock.advance(milliseconds: 999)
        #expect(client.status(first) == "TASK_STATUS_PROCESSING")
        #expect(client.status(dedicated) == "TASK_STATUS_PROCESSING")
        service.clock.advance(milliseconds: 1)  // 1000: the first ends, the second takes its slot
        #expect(client.status(first) == "TASK_STATUS_SUCCEED")
        #expect(client.status(second) == "TASK_STATUS_PROCESSING")
        #expect(client.status(third) == "TASK_STATUS_QUEUED")
        service.clock.advance(milliseconds: 1000)  // 2000
        #expect(client.status(second) == "TASK_STATUS_SUCCEED")
        #expect(client.status(third) == "TASK_STATUS_PROCESSING")
        #expect(client.status(dedicated) == "TASK_STATUS_SUCCEED")
        service.clock.advance(milliseconds: 999)
        #expect(client.status(third) == "TASK_STATUS_PROCESSING")
        service.clock.advance(milliseconds: 1)
        #expect(client.status(third) == "TASK_STATUS_SUCCEED")
        #expect(client.result(third).object?["task"]?.objectValue?["eta"]?.integerValue == 0)
    }

    /// A reset frees the slots of the tasks it drops now, not at the last time the simulation
    /// moved: a task a poll saw waiting for a slot until then keeps the start it was shown.
    @Test func aResetDoesNotRewriteWhatAPollSaw() throws {
        let service = try Self.unstartedService(workers: 1)
        var other = ServiceHarness(wrapping: service)
        other.key = "reset-tenant"
        let mine = ServiceHarness(wrapping: service)
        let timing = [("X-Mock-Duration-Ms", "1000"), ("X-Mock-Queue-Ms", "0")]
        _ = try other.submitOK(Fixtures.body(), headers: timing)
        let waiting = try mine.submitOK(Fixtures.body(), headers: timing)
        service.clock.advance(milliseconds: 1500)
        #expect(mine.status(waiting) == "TASK_STATUS_PROCESSING")  // since 1000, until 2000
        #expect(mine.request("POST", "/__mock/reset", query: [("api_key", "reset-tenant")]).status == 200)
        #expect(mine.status(waiting) == "TASK_STATUS_PROCESSING")
        service.clock.advance(milliseconds: 500)
        #expect(mine.status(waiting) == "TASK_STATUS_SUCCEED")
    }

    @Test func theDriverSendsTheWebhookOnceItRuns() async throws {
        let receiver = try WebhookReceiver()
        let harness = ServiceHarness()
        _ = try harness.submitOK(
            Fixtures.body(extra: ["webhook": ["url": .string(receiver.url)]]),
            headers: [("X-Mock-Duration-Ms", "1000"), ("X-Mock-Queue-Ms", "0")])
        harness.advance(1000)
        try await receiver.waitFor(count: 1)
        #expect(receiver.received.count == 1)
    }
}
