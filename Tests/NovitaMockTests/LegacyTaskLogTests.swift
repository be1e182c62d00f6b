import Foundation
import ImageCodecs
import Testing

@testable import NovitaMock

/// `Resources/legacy-state` was written by the server before the task log moved to `Codable`:
/// four tasks of one tenant (failed, stored to custom storage, one running, one queued), a
/// test-mode task whose `finish` line precedes its `submit` line, an img2img task of another
/// tenant with its input image, and a task removed by a reset.
@Suite("A tasks.log written by earlier versions still restores")
struct LegacyTaskLogTests {
    static func copyOfSample() throws -> String {
        let sample = try #require(
            Bundle.module.url(forResource: "legacy-state", withExtension: nil, subdirectory: "Resources"))
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("legacy-\(UUID().uuidString)")
        try FileManager.default.copyItem(at: sample, to: directory)
        return directory.path
    }

    @Test func everyLiveTaskComesBackWithItsFields() throws {
        let directory = try Self.copyOfSample()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let (_, records) = try TaskLog.open(directory: directory)
        let byID = Dictionary(uniqueKeysWithValues: records.map { ($0.id, $0) })
        #expect(records.count == 6)
        #expect(byID["22feec8a-5505-473c-9fce-e31d84578afb"] == nil, "removed by a reset")

        let failed = try #require(byID["63033b0c-a389-435a-8097-314d939736f8"])
        #expect(failed.status == .failed)
        #expect(failed.outcome == .fail(reason: "the GPU caught fire"))
        #expect(failed.failureReason == "the GPU caught fire")
        #expect(failed.finishedAt == 1_796_200_522_853)
        #expect(failed.parameters.seed == 77)
        #expect(failed.imageBaseURL == "http://127.0.0.1:18931")

        let stored = try #require(byID["3b92d3f0-106b-4147-996e-4ec2da05b945"])
        #expect(stored.status == .succeed)
        #expect(
            stored.extra.storage
                == S3Target(region: "us-east-1", bucket: "my-bucket", path: "/out/dir", saveToPathDirectly: true))
        #expect(stored.parameters.samplerName == "DPM++ 2M")

        let testMode = try #require(byID["9a7b1487-6099-4763-b352-55e9257cc6a7"])
        #expect(testMode.status == .succeed)
        #expect(testMode.parameters.prompt == "a lighthouse, \"quoted\" ünïcödé")
        #expect(testMode.parameters.negativePrompt == "blurry")
        #expect(testMode.parameters.imageNum == 2)
        #expect(testMode.parameters.guidanceScale == 6.5)
        #expect(testMode.parameters.format == .jpeg)
        #expect(testMode.extra.enterprise)
        #expect(testMode.extra.nsfwDetection)
        #expect(testMode.extra.nsfwLevel == 1)
        #expect(testMode.extra.webhook?.url == "http://127.0.0.1:9/hook")
        #expect(testMode.extra.webhook?.testModeStatus == .succeed)
        #expect(testMode.extra.webhook?.echo.objectValue?["test_mode"]?.objectValue?["enabled"] == .bool(true))

        let running = try #require(byID["301e278f-aa01-4dc5-a16f-9630b0074044"])
        #expect(running.durationMs == 600_000)
        #expect(running.finishedAt == nil)
        #expect(byID["fc4de41f-1bcc-4b21-82d7-8c130699ef2b"]?.status.isFinished == false)

        let fromImage = try #require(byID["73e49ef5-5c94-4b0d-b465-d43b49216a17"])
        #expect(fromImage.tenant == "other-key")
        #expect(fromImage.parameters.kind == .img2img)
        #expect(fromImage.parameters.strength == 0.3)
        #expect(fromImage.inputKey == "3c88b21935ff516075e502494a269fd45fa38e63861d28a2f9a28f092a4b5271")
        let summary = try #require(try? JSONParser.parse(fromImage.requestSummary).objectValue)
        #expect(summary["request"]?.objectValue?["prompt"] == .string("from an image"))
    }

    /// The log rewritten at open reads back the same tasks.
    @Test func theRewrittenLogRestoresTheSameTasks() throws {
        let directory = try Self.copyOfSample()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let (_, first) = try TaskLog.open(directory: directory)
        let (_, again) = try TaskLog.open(directory: directory)
        #expect(again.map(\.id) == first.map(\.id))
        #expect(again.map(\.status) == first.map(\.status))
        #expect(again.map(\.parameters) == first.map(\.parameters))
        #expect(again.map(\.requestSummary.count) == first.map(\.requestSummary.count))
    }

    /// A service restores the sample and serves the finished test-mode task.
    @Test func aServiceServesARestoredTask() throws {
        let directory = try Self.copyOfSample()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        var harness = ServiceHarness {
            $0.stateDirectory = directory
            $0.taskTTLSeconds = 1_000_000_000
        }
        defer { harness.service.stop(graceMs: 0) }
        harness.key = "legacy-key"
        #expect(harness.status("9a7b1487-6099-4763-b352-55e9257cc6a7") == "TASK_STATUS_SUCCEED")
        #expect(harness.status("63033b0c-a389-435a-8097-314d939736f8") == "TASK_STATUS_FAILED")
        harness.key = "other-key"
        #expect(harness.status("73e49ef5-5c94-4b0d-b465-d43b49216a17") == "TASK_STATUS_SUCCEED")
    }
}
