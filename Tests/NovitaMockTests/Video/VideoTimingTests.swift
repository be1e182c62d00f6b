import Testing

@testable import NovitaMock

/// Video tasks take minutes at Novita: the definition's `base_ms + per_frame_ms × frames × area`
/// on the mock's clock, divided by `--speed`, overridden by `X-Mock-Duration-Ms`.
@Suite struct VideoTimingTests {
    /// 16 frames at 320×256 (0.3125 of 512²): 30 000 + 1 500 × 16 × 0.3125 = 37 500 ms in
    /// PROCESSING, after the 100 ms dispatch wait.
    static let body = VideoTaskTests.txt2video()

    func submit(_ harness: ServiceHarness, _ body: JSONValue, headers: [(String, String)] = []) throws -> String {
        let reply = harness.request(
            "POST", "/v3/async/txt2video", body: JSONWriter.serialize(body), headers: headers)
        try #require(reply.status == 200, "\(reply.message ?? "")")
        return try #require(reply.object?["task_id"]?.stringValue)
    }

    @Test func aClipTakesItsModelledTimeOnTheVirtualClock() throws {
        let harness = ServiceHarness()
        let id = try submit(harness, Self.body)
        let eta = harness.result(id).object?["task"]?.objectValue?["eta"]?.integerValue
        #expect(eta.map { (37...38).contains($0) } == true, "eta \(eta ?? -1)")
        harness.advance(37_000)
        #expect(harness.status(id) == "TASK_STATUS_PROCESSING")
        let progress = harness.result(id).object?["task"]?.objectValue?["progress_percent"]?.integerValue ?? 0
        #expect(progress > 90 && progress < 100)
        harness.advance(700)
        #expect(harness.status(id) == "TASK_STATUS_SUCCEED")
    }

    @Test func theDocumentedExampleTakesMinutes() throws {
        let harness = ServiceHarness()
        // Four prompts of 32 frames at 512×512: 30 000 + 1 500 × 128 = 222 000 ms.
        let prompts = (0..<4).map { ("a girl, \($0 * 10) years old", 32) }
        let id = try submit(harness, VideoTaskTests.txt2video(width: 512, height: 512, prompts: prompts))
        let eta = harness.result(id).object?["task"]?.objectValue?["eta"]?.integerValue ?? 0
        #expect(eta >= 222)
        harness.advance(221_000)
        #expect(harness.status(id) == "TASK_STATUS_PROCESSING")
        harness.advance(2_000)
        #expect(harness.status(id) == "TASK_STATUS_SUCCEED")
    }

    @Test func speedDividesTheModelledTime() throws {
        let harness = ServiceHarness { $0.speed = 2 }
        let id = try submit(harness, Self.body)
        // 37 500 / 2 = 18 750 ms, after 50 ms of dispatch.
        harness.advance(18_500)
        #expect(harness.status(id) == "TASK_STATUS_PROCESSING")
        harness.advance(500)
        #expect(harness.status(id) == "TASK_STATUS_SUCCEED")
    }

    @Test func theDurationHeaderOverridesTheModel() throws {
        let harness = ServiceHarness()
        let id = try submit(harness, Self.body, headers: [("X-Mock-Duration-Ms", "500")])
        harness.advance(700)
        #expect(harness.status(id) == "TASK_STATUS_SUCCEED")
    }

    @Test func speedZeroFinishesAtTheSubmit() throws {
        let harness = ServiceHarness { $0.speed = 0 }
        let id = try submit(harness, Self.body)
        #expect(harness.status(id) == "TASK_STATUS_SUCCEED")
    }
}
