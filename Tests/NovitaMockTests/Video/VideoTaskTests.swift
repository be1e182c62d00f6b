import Foundation
import ImageCodecs
import Testing

@testable import NovitaMock

/// The native video endpoints through the router (no sockets): submit, poll on the virtual
/// clock, download the clip, and let ffprobe say what it is.
@Suite(.enabled(if: VideoProbe.available, Comment(rawValue: VideoProbe.missingMessage)))
struct VideoTaskTests {
    static func txt2video(
        width: Int = 320, height: Int = 256, prompts: [(String, Int)] = [("a red fox", 8), ("a blue whale", 8)],
        seed: Int = 7, extra: JSONValue? = nil
    ) -> JSONValue {
        var body: JSONObject = [
            "model_name": "darkSushiMixMix_225D_64380.safetensors",
            "width": .number(JSONNumber(width)), "height": .number(JSONNumber(height)), "steps": 20,
            "seed": .number(JSONNumber(seed)),
            "prompts": .array(
                prompts.map { ["prompt": .string($0.0), "frames": .number(JSONNumber($0.1))] }),
        ]
        if let extra { body["extra"] = extra }
        return .object(body)
    }

    static func img2video(_ overrides: [String: JSONValue] = [:]) -> JSONValue {
        var body: JSONObject = [
            "model_name": "SVD-XT", "image_file": .string(Fixtures.pngBase64), "frames_num": 10,
            "frames_per_second": 6, "seed": 20_231_127, "image_file_resize_mode": "ORIGINAL_RESOLUTION", "steps": 20,
        ]
        for (key, value) in overrides { body[key] = value }
        return .object(body)
    }

    func submit(_ harness: ServiceHarness, _ path: String, _ body: JSONValue, headers: [(String, String)] = [])
        throws -> String
    {
        let reply = harness.request("POST", path, body: JSONWriter.serialize(body), headers: headers)
        try #require(reply.status == 200, "submit failed: \(reply.message ?? "")")
        return try #require(reply.object?["task_id"]?.stringValue)
    }

    /// Submits, lets the virtual clock run past any modelled duration, and returns the video entry.
    func finishedVideo(_ harness: ServiceHarness, _ path: String, _ body: JSONValue) throws -> JSONObject {
        let id = try submit(harness, path, body)
        harness.advance(3_600_000 - 1000)
        let result = try #require(harness.result(id).object)
        #expect(result["images"]?.arrayValue?.isEmpty == true)
        let videos = try #require(result["videos"]?.arrayValue)
        try #require(videos.count == 1)
        return try #require(videos[0].objectValue)
    }

    @Test func txt2videoEndsInOneSignedMP4OfTheAskedSizeRateAndLength() throws {
        let harness = ServiceHarness()
        let id = try submit(harness, "/v3/async/txt2video", Self.txt2video())
        harness.advance(600_000)
        let result = try #require(harness.result(id).object)
        let task = try #require(result["task"]?.objectValue)
        #expect(task["task_type"]?.stringValue == "TXT_TO_VIDEO")
        #expect(task["status"]?.stringValue == "TASK_STATUS_SUCCEED")
        #expect(task["progress_percent"]?.integerValue == 100)
        #expect(task["eta"]?.integerValue == 0)
        #expect(result["images"]?.arrayValue?.isEmpty == true)
        #expect(result["audios"]?.arrayValue?.isEmpty == true)
        #expect(result["extra"]?.objectValue?["seed"]?.stringValue == "7")
        let video = try #require(result["videos"]?.arrayValue?.first?.objectValue)
        #expect(video["video_url_ttl"]?.stringValue == "3600")
        #expect(video["video_type"]?.stringValue == "mp4")
        let url = try #require(video["video_url"]?.stringValue)
        let pattern =
            #"^http://mock\.test:8080/faas-output-video/prod/[0-9a-f-]{36}/[0-9a-f]{32}\.mp4\?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Date=\d{8}T\d{6}Z&X-Amz-Expires=3600&X-Amz-SignedHeaders=host&X-Amz-Signature=[0-9a-f]{64}$"#
        #expect(url.range(of: pattern, options: .regularExpression) != nil, "\(url)")

        let reply = harness.download(url)
        #expect(reply.status == 200)
        #expect(reply.header("Content-Type") == "video/mp4")
        let probe = try VideoProbe.probe(reply.bodyBytes, fileExtension: "mp4")
        #expect(probe["codec_name"] == "h264")
        #expect(probe["pix_fmt"] == "yuv420p")
        #expect(probe["width"] == "320" && probe["height"] == "256")
        #expect(probe["r_frame_rate"] == "8/1")
        // 8 + 8 frames of the two prompts at the endpoint's 8 fps: two seconds.
        #expect(probe["nb_read_frames"] == "16")
        #expect(probe["duration"].flatMap(Double.init) == 2.0)
    }

    @Test func img2videoHasFramesNumFramesAtTheAskedRateAndTheInputsSize() throws {
        let harness = ServiceHarness()
        let video = try finishedVideo(harness, "/v3/async/img2video", Self.img2video())
        let reply = harness.download(try #require(video["video_url"]?.stringValue))
        let probe = try VideoProbe.probe(reply.bodyBytes, fileExtension: "mp4")
        // The fixture is 64×48: ORIGINAL_RESOLUTION keeps it.
        #expect(probe["width"] == "64" && probe["height"] == "48")
        #expect(probe["r_frame_rate"] == "6/1")
        #expect(probe["nb_read_frames"] == "10")
        #expect(probe["duration"].flatMap(Double.init).map { abs($0 - 10.0 / 6.0) < 0.001 } == true)
    }

    @Test func cropToAspectRatioGivesSVDsLandscapeSize() throws {
        let harness = ServiceHarness()
        let video = try finishedVideo(
            harness, "/v3/async/img2video",
            Self.img2video(["image_file_resize_mode": "CROP_TO_ASPECT_RATIO", "frames_num": 2]))
        let probe = try VideoProbe.probe(
            harness.download(try #require(video["video_url"]?.stringValue)).bodyBytes, fileExtension: "mp4")
        #expect(probe["width"] == "1024" && probe["height"] == "576")
    }

    @Test func theClipAnswersRangesHeadAndConditionalRequests() throws {
        let harness = ServiceHarness()
        let url = try #require(
            try finishedVideo(harness, "/v3/async/txt2video", Self.txt2video())["video_url"]?.stringValue)
        let whole = harness.download(url)
        let total = whole.bodyBytes.count
        let etag = try #require(whole.header("ETag"))
        #expect(whole.header("Accept-Ranges") == "bytes")

        let head = harness.download(url, method: "HEAD")
        #expect(head.status == 200 && head.header("ETag") == etag)

        // A player's first request reads the header boxes, then it seeks into the middle.
        let first = harness.download(url, headers: [("Range", "bytes=0-1023")])
        #expect(first.status == 206)
        #expect(first.header("Content-Range") == "bytes 0-1023/\(total)")
        #expect(first.bodyBytes == Array(whole.bodyBytes[0..<1024]))
        let middle = harness.download(url, headers: [("Range", "bytes=\(total / 2)-")])
        #expect(middle.status == 206)
        #expect(middle.bodyBytes == Array(whole.bodyBytes[(total / 2)...]))
        #expect(harness.download(url, headers: [("Range", "bytes=\(total)-")]).status == 416)
        #expect(harness.download(url, headers: [("If-None-Match", etag)]).status == 304)

        let tampered = String(url.dropLast()) + (url.hasSuffix("0") ? "1" : "0")
        #expect(harness.download(tampered).status == 403)
    }

    @Test func theSameRequestGivesTheSameBytesAndAnotherSeedOthers() throws {
        func clip(seed: Int) throws -> [UInt8] {
            let harness = ServiceHarness()
            let video = try finishedVideo(harness, "/v3/async/txt2video", Self.txt2video(seed: seed))
            return harness.download(try #require(video["video_url"]?.stringValue)).bodyBytes
        }
        let first = try clip(seed: 42)
        #expect(try clip(seed: 42) == first)
        #expect(try clip(seed: 43) != first)
    }

    @Test func gifWhenAsked() throws {
        let harness = ServiceHarness()
        let video = try finishedVideo(
            harness, "/v3/async/txt2video",
            Self.txt2video(width: 257, height: 256, extra: ["response_video_type": "gif"]))
        #expect(video["video_type"]?.stringValue == "gif")
        let url = try #require(video["video_url"]?.stringValue)
        #expect(url.contains(".gif?"))
        let reply = harness.download(url)
        #expect(reply.header("Content-Type") == "image/gif")
        let probe = try VideoProbe.probe(reply.bodyBytes, fileExtension: "gif")
        #expect(probe["codec_name"] == "gif")
        // GIF takes odd sizes, so the asked width stays.
        #expect(probe["width"] == "257" && probe["height"] == "256")
        #expect(probe["nb_read_frames"] == "16")
    }

    @Test func anOddSizeBecomesEvenInMP4() throws {
        let harness = ServiceHarness()
        let video = try finishedVideo(harness, "/v3/async/txt2video", Self.txt2video(width: 257, height: 301))
        let probe = try VideoProbe.probe(
            harness.download(try #require(video["video_url"]?.stringValue)).bodyBytes, fileExtension: "mp4")
        #expect(probe["width"] == "256" && probe["height"] == "300")
    }

    @Test func wanT2VWithoutASizeIs832By480AndTheJSSDKsFramesCount() throws {
        let harness = ServiceHarness()
        let id = try submit(
            harness, "/v3/async/wan-t2v", ["prompt": "a cat in a garden", "frames": 4, "model_name": "wan-t2v"])
        harness.advance(3_000_000)
        let result = try #require(harness.result(id).object)
        #expect(result["task"]?.objectValue?["task_type"]?.stringValue == "WAN_TXT_TO_VIDEO")
        let url = try #require(result["videos"]?.arrayValue?.first?.objectValue?["video_url"]?.stringValue)
        let probe = try VideoProbe.probe(harness.download(url).bodyBytes, fileExtension: "mp4")
        #expect(probe["width"] == "832" && probe["height"] == "480")
        #expect(probe["r_frame_rate"] == "16/1" && probe["nb_read_frames"] == "4")
    }

    @Test func hunyuanVideoFastTakesItsDocumentedExample() throws {
        let harness = ServiceHarness()
        let id = try submit(
            harness, "/v3/async/hunyuan-video-fast",
            [
                "model_name": "hunyuan-video-fast", "width": 720, "height": 1280, "seed": 9_999_999_999, "steps": 30,
                "prompt": "A cat walks on the grass, realistic style.", "frames": 3,
            ])
        harness.advance(3_000_000)
        let result = try #require(harness.result(id).object)
        #expect(result["task"]?.objectValue?["task_type"]?.stringValue == "HUNYUAN_VIDEO_FAST")
        let url = try #require(result["videos"]?.arrayValue?.first?.objectValue?["video_url"]?.stringValue)
        let probe = try VideoProbe.probe(harness.download(url).bodyBytes, fileExtension: "mp4")
        #expect(probe["width"] == "720" && probe["height"] == "1280")
        #expect(probe["r_frame_rate"] == "24/1" && probe["nb_read_frames"] == "3")
    }

    @Test func pythonSDKsResizeModeAndNullSeedAreAcceptedInCompatMode() throws {
        let harness = ServiceHarness()
        let reply = harness.request(
            "POST", "/v3/async/img2video",
            body: JSONWriter.serialize(
                Self.img2video(["image_file_resize_mode": "ORIGINAL_DIMENSION", "seed": .null, "frames_num": 2])))
        #expect(reply.status == 200, "\(reply.message ?? "")")
        #expect(reply.header("X-Mock-Warnings")?.contains("ORIGINAL_DIMENSION") == true)
        let strictName = harness.request(
            "POST", "/v3/async/img2video",
            body: JSONWriter.serialize(Self.img2video(["image_file_resize_mode": "ORIGINAL_DIMENSION"])),
            headers: [("X-Mock-Strict", "true")])
        #expect(strictName.status == 400)
        #expect(strictName.message?.contains("image_file_resize_mode") == true)
        let strict = harness.request(
            "POST", "/v3/async/img2video",
            body: JSONWriter.serialize(Self.img2video(["seed": .null])), headers: [("X-Mock-Strict", "true")])
        #expect(strict.status == 400)
    }

    @Test func wrongFieldsAreRefusedWithTheirPath() {
        let harness = ServiceHarness()
        var body = Self.txt2video().objectValue ?? [:]
        body["prompts"] = [["prompt": "too short", "frames": 4]]
        let reply = harness.request("POST", "/v3/async/txt2video", body: JSONWriter.serialize(.object(body)))
        #expect(reply.status == 400)
        #expect(reply.message?.contains("prompts[0].frames") == true, "\(reply.message ?? "")")
        let badType = harness.request(
            "POST", "/v3/async/txt2video",
            body: JSONWriter.serialize(Self.txt2video(extra: ["response_video_type": "webm"])))
        #expect(badType.status == 400)
    }
}

/// Custom storage and webhooks carry the clip like an image (docs/contract.md §8, §14).
@Suite struct VideoDeliveryTests {
    @Test func customStorageHoldsTheServedClip() throws {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("novita-video-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: root) }
        let harness = ServiceHarness {
            $0.speed = 0
            $0.storageDirectory = root.path
        }
        let body = VideoTaskTests.txt2video(
            extra: ["custom_storage": ["aws_s3": ["region": "eu-west-1", "bucket": "clips", "path": "out"]]])
        let reply = harness.request("POST", "/v3/async/txt2video", body: JSONWriter.serialize(body))
        let id = try #require(reply.object?["task_id"]?.stringValue, "\(reply.message ?? "")")
        // Speed 0: finished, upload included, when the submit answers.
        #expect(harness.status(id) == "TASK_STATUS_SUCCEED")
        let url = try #require(
            harness.result(id).object?["videos"]?.arrayValue?.first?.objectValue?["video_url"]?.stringValue)
        let file = try #require(URL(string: url)?.lastPathComponent)
        #expect(file.hasSuffix(".mp4"))
        let stored = try Data(contentsOf: root.appendingPathComponent("clips/out/\(id)/\(file)"))
        #expect(Array(stored) == harness.download(url).bodyBytes)
    }
}

/// txt2video's documented limit across its prompts: "the total number of frames in prompts must be
/// less than or equal to 128".
@Suite struct VideoFrameTotalTests {
    @Test func moreThan128FramesInAllAreRefused() {
        let harness = ServiceHarness()
        let over = VideoTaskTests.txt2video(prompts: [("a", 64), ("b", 64), ("c", 8)])
        let reply = harness.request("POST", "/v3/async/txt2video", body: JSONWriter.serialize(over))
        #expect(reply.status == 400)
        #expect(reply.reason == "INVALID_REQUEST_BODY")
        #expect(reply.message?.contains("prompts") == true, "\(reply.message ?? "")")
        let exactly = VideoTaskTests.txt2video(prompts: [("a", 64), ("b", 64)])
        #expect(harness.request("POST", "/v3/async/txt2video", body: JSONWriter.serialize(exactly)).status == 200)
    }
}
