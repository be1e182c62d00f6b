import Foundation
import ImageCodecs
import Testing

@testable import NovitaMock

/// `--state-dir` keeps a video task's clip parameters, so after a restart its URL serves the
/// same bytes; logs written before videos existed still read.
@Suite struct VideoPersistenceTests {
    @Test func aVideoTaskSurvivesTheLogRoundTrip() throws {
        let video = VideoParameters(
            frameCount: 16, framesPerSecond: 8, container: .gif,
            segments: [.init(prompt: "a fox", frames: 8), .init(prompt: "a hare", frames: 8)])
        let parameters = GenerationParameters(
            kind: .txt2video, modelName: "m", prompt: "a fox", negativePrompt: "", width: 320, height: 256,
            imageNum: 1, steps: 20, guidanceScale: 7.5, samplerName: "Euler a", seed: 7, strength: 1, format: .png,
            taskType: "WAN_TXT_TO_VIDEO", video: video)
        let record = TaskRecord(
            id: "t-1", serial: 1, tenant: "k", parameters: parameters, inputKey: nil, extra: ExtraOptions(),
            outcome: .succeed, imageBaseURL: "http://mock", requestSummary: [], submittedAt: 1, durationMs: 2,
            startedAt: 1, finishedAt: 3, status: .succeed, failureReason: "")
        let line = try JSONEncoder().encode(PersistedTask(record))
        let restored = try #require(try JSONDecoder().decode(PersistedTask.self, from: line).record(serial: 9))
        #expect(restored.parameters == parameters)
    }

    @Test func aLineWithoutVideoReadsAsAnImageTask() throws {
        let line =
            #"{"id":"t","tenant":"k","parameters":{"kind":"TXT_TO_IMG","format":"png"},"submitted_at":1,"status":"TASK_STATUS_QUEUED"}"#
        let restored = try #require(
            try JSONDecoder().decode(PersistedTask.self, from: Data(line.utf8)).record(serial: 1))
        #expect(restored.parameters.video == nil)
    }
}
