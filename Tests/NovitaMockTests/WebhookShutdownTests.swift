import Dispatch
import MicroHTTP
import Synchronization
import Testing

@testable import NovitaMock

@Suite("Webhook attempts that end during shutdown")
struct WebhookShutdownTests {
    /// A receiver that holds each request until the test opens the gate, then answers 500.
    final class GatedReceiver: Sendable {
        final class Gate: Sendable {
            let semaphore = DispatchSemaphore(value: 0)
            let arrivals = Atomic<Int>(0)
        }
        let gate: Gate
        let server: HTTPServer
        var url: String { "http://127.0.0.1:\(server.port)/hook" }
        var arrivals: Int { gate.arrivals.load(ordering: .relaxed) }

        init() throws {
            var configuration = HTTPServerConfiguration()
            configuration.host = "127.0.0.1"
            configuration.port = 0
            let gate = Gate()
            self.gate = gate
            server = try HTTPServer(configuration: configuration) { _ in
                gate.arrivals.add(1, ordering: .relaxed)
                return .later {
                    gate.semaphore.wait()
                    return HTTPResponse(status: 500, body: Array("no".utf8))
                }
            }
        }

        func open() { gate.semaphore.signal() }
    }

    /// The receiver answers 500 only after the server began shutting down: no retry will follow,
    /// so the attempt must not be logged as `retry_scheduled`.
    @Test func aFailedAttemptEndingDuringShutdownIsAbandoned() async throws {
        let receiver = try GatedReceiver()
        let harness = ServiceHarness {
            $0.speed = 0
            $0.webhookTimeoutMs = 120_000  // the attempt must still be in flight when shutdown begins
        }
        _ = try harness.submitOK(Fixtures.body(extra: ["webhook": ["url": .string(receiver.url)]]))
        while receiver.arrivals == 0 { try await Task.sleep(for: .milliseconds(5)) }
        let service = harness.service
        let stopped = Task.detached { service.stop(graceMs: 30_000) }  // waits for the attempt in flight
        while !service.webhooks.isStopped { try await Task.sleep(for: .milliseconds(5)) }
        receiver.open()
        await stopped.value
        let attempts = service.webhooks.attempts(tenant: nil)
        #expect(attempts.map(\.outcome) == ["abandoned"], "\(attempts.map { $0.error ?? "" })")
        #expect(attempts.first?.statusCode == 500)
        #expect(service.webhooks.pendingCount == 0)
    }
}
