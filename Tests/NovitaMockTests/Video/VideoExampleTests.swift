import Testing

@testable import NovitaMock

/// Every video endpoint's documented example request, as its definition carries it, is accepted
/// (in strict mode) and ends in one signed video of the endpoint's task type (images stand in for
/// the docs' placeholders: the fixture PNG, or it as a data URL). The full-length clips are not
/// encoded here: the other video suites check encoded clips at smaller sizes.
@Suite struct VideoExampleTests {
    /// The native ones; the third-party models have their own suite (`ThirdPartyVideoTests`).
    static let videoEndpoints = EndpointCatalog.builtIn.definitions.filter {
        $0.output == "video" && $0.models.isEmpty && !ThirdPartyVideoTests.table.map(\.path).contains($0.path)
    }.map(\.path)

    @Test func everyVideoEndpointIsCovered() {
        #expect(
            Set(Self.videoEndpoints) == [
                "/v3/async/txt2video", "/v3/async/img2video", "/v3/async/hunyuan-video-fast", "/v3/async/wan-t2v",
                "/v3/async/wan-i2v",
            ])
    }

    @Test(arguments: videoEndpoints)
    func theDocumentedExampleEndsInAVideo(_ path: String) throws {
        let definition = try #require(EndpointCatalog.builtIn.definitions.first { $0.path == path })
        var example = try #require(definition.example?.objectValue)
        if example["image_file"] != nil { example["image_file"] = .string(Fixtures.pngBase64) }
        if example["image_url"] != nil { example["image_url"] = .string("data:image/png;base64," + Fixtures.pngBase64) }
        let harness = ServiceHarness()
        let reply = harness.request(
            "POST", path, body: JSONWriter.serialize(.object(example)), headers: [("X-Mock-Strict", "true")])
        let id = try #require(reply.object?["task_id"]?.stringValue, "\(reply.message ?? "")")
        harness.advance(3_600_000 - 1000)
        let result = try #require(harness.result(id).object)
        let task = try #require(result["task"]?.objectValue)
        #expect(task["status"]?.stringValue == "TASK_STATUS_SUCCEED")
        #expect(task["task_type"]?.stringValue == definition.taskType)
        let videos = try #require(result["videos"]?.arrayValue)
        #expect(videos.count == 1)
        #expect(videos.first?.objectValue?["video_type"]?.stringValue == "mp4")
        let url = try #require(videos.first?.objectValue?["video_url"]?.stringValue)
        #expect(url.contains("/faas-output-video/prod/\(id)/"))
    }
}
