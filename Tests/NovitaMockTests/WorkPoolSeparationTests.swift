import Dispatch
import Foundation
import Testing

@testable import NovitaMock

/// Webhook deliveries and storage uploads block on the network; each kind has its own pool, so
/// receivers that hang hold webhook threads only and uploads go on.
@Suite("Hanging webhooks never hold the threads uploads need")
struct WorkPoolSeparationTests {
    @Test func anUploadCompletesWhileEveryWebhookThreadIsBlocked() async throws {
        let pool = BlockingWorkPool.webhooks
        let release = DispatchSemaphore(value: 0)
        // As many hanging jobs as the pool has threads, queued ahead of anything this test starts
        // (not waited for: a thread still busy with another suite's delivery takes one later).
        // Held briefly: other suites' webhooks wait for these threads meanwhile.
        for _ in 0..<pool.threads { pool.submit { release.wait() } }
        defer { for _ in 0..<pool.threads { release.signal() } }

        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("pools-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: directory) }
        let harness = ServiceHarness {
            $0.speed = 0
            $0.storageDirectory = directory.path
        }
        defer { harness.service.stop(graceMs: 0) }
        let storage: JSONValue = [
            "custom_storage": ["aws_s3": ["region": "us-east-1", "bucket": "pools", "path": "out"]]
        ]
        // At speed 0 the submit answers once the upload has settled.
        let id = try harness.submitOK(Fixtures.body(extra: storage))
        #expect(harness.status(id) == "TASK_STATUS_SUCCEED")
        let stored = FileManager.default.enumerator(atPath: directory.path)?.allObjects.count ?? 0
        #expect(stored > 0, "nothing was uploaded")
    }
}
