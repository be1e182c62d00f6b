import Foundation
import Testing

@testable import NovitaMock

/// The third-party video models and video-merge-face (docs/contract.md §14): each one's documented example request, as
/// its definition carries it, is accepted in strict mode and ends in a clip of exactly the size,
/// rate and length the request implies — resolution names and aspect ratios, `size` strings,
/// `duration` seconds × the model's frame rate, the first frame's shape for image-to-video. The
/// expectations are written out here, endpoint by endpoint, not derived from the definitions.
/// Two frames of a sample of the clips are encoded and read back with ffprobe (the full-length
/// clips are minutes of 1080p; one full clip is checked end to end below).
@Suite(.enabled(if: VideoProbe.available, Comment(rawValue: VideoProbe.missingMessage)))
struct ThirdPartyVideoTests {
    struct Expected: Sendable, CustomTestStringConvertible {
        var path: String
        /// The clip's size, or 0 × 0 when it keeps the input's shape at `shortSide`.
        var width = 0
        var height = 0
        var shortSide = 0
        var fps: Int
        var frames: Int

        init(_ slug: String, width: Int, height: Int, fps: Int, frames: Int) {
            (path, self.width, self.height, self.fps, self.frames) = ("/v3/async/" + slug, width, height, fps, frames)
        }

        init(_ slug: String, shortSide: Int, fps: Int, frames: Int) {
            (path, self.shortSide, self.fps, self.frames) = ("/v3/async/" + slug, shortSide, fps, frames)
        }

        /// For the 64×48 (4:3) fixture as the first frame: the short side given, the long one
        /// four thirds of it, even.
        var size: (Int, Int) {
            shortSide == 0 ? (width, height) : ((shortSide * 4 / 3 + 1) / 2 * 2, shortSide)
        }

        var testDescription: String { path }
    }

    static let table: [Expected] = [
        .init("kling-v1.6-t2v", width: 1280, height: 720, fps: 24, frames: 120),
        .init("kling-v1.6-i2v", shortSide: 720, fps: 24, frames: 120),
        .init("kling-v2.1-t2v-master", width: 1920, height: 1080, fps: 24, frames: 120),
        .init("kling-v2.1-i2v-master", shortSide: 1080, fps: 24, frames: 120),
        .init("kling-v2.1-i2v", shortSide: 720, fps: 24, frames: 240),
        .init("kling-2.5-turbo-t2v", width: 1080, height: 1920, fps: 24, frames: 120),
        .init("kling-2.5-turbo-i2v", shortSide: 1080, fps: 24, frames: 120),
        .init("kling-v2.6-pro-t2v", width: 1080, height: 1080, fps: 24, frames: 240),
        .init("kling-v2.6-pro-i2v", shortSide: 1080, fps: 24, frames: 120),
        .init("kling-v2.6-pro-motion-control", shortSide: 1080, fps: 24, frames: 120),
        .init("kling-o1-t2v", width: 1920, height: 1080, fps: 24, frames: 120),
        .init("kling-o1-i2v", shortSide: 1080, fps: 24, frames: 120),
        .init("kling-o1-ref2v", width: 1080, height: 1920, fps: 24, frames: 192),
        .init("kling-o1-video-edit", width: 1920, height: 1080, fps: 24, frames: 120),
        .init("kling-v3.0-std-t2v", width: 1280, height: 720, fps: 24, frames: 144),
        .init("kling-v3.0-std-i2v", shortSide: 720, fps: 24, frames: 120),
        .init("kling-v3.0-pro-t2v", width: 1920, height: 1080, fps: 24, frames: 144),
        .init("kling-v3.0-pro-i2v", shortSide: 1080, fps: 24, frames: 120),
        .init("kling-v3.0-4k-t2v", width: 3840, height: 2160, fps: 24, frames: 144),
        .init("kling-v3.0-4k-i2v", shortSide: 2160, fps: 24, frames: 120),
        .init("minimax-video-01", shortSide: 720, fps: 25, frames: 150),
        .init("minimax-hailuo-02", shortSide: 1080, fps: 24, frames: 144),
        .init("minimax-hailuo-2.3-i2v", shortSide: 1080, fps: 24, frames: 144),
        .init("minimax-hailuo-2.3-fast-i2v", shortSide: 1080, fps: 24, frames: 144),
        .init("minimax-hailuo-2.3-t2v", width: 1920, height: 1080, fps: 24, frames: 144),
        .init("wan-2.2-t2v", width: 1280, height: 720, fps: 24, frames: 192),
        .init("wan-2.2-i2v", shortSide: 720, fps: 24, frames: 120),
        .init("wan-2.5-t2v-preview", width: 832, height: 480, fps: 24, frames: 240),
        .init("wan-2.5-i2v-preview", shortSide: 480, fps: 24, frames: 120),
        .init("wan2.6-t2v", width: 1280, height: 720, fps: 24, frames: 120),
        .init("wan2.6-i2v", shortSide: 720, fps: 24, frames: 240),
        .init("wan2.6-v2v", width: 1920, height: 1080, fps: 24, frames: 120),
        .init("wan2.7-t2v", width: 720, height: 1280, fps: 24, frames: 72),
        .init("wan2.7-i2v", shortSide: 720, fps: 24, frames: 96),
        .init("vidu-q1-text2video", width: 1080, height: 1080, fps: 24, frames: 120),
        .init("vidu-q1-img2video", shortSide: 1080, fps: 24, frames: 120),
        .init("vidu-q1-startend2video", shortSide: 1080, fps: 24, frames: 120),
        .init("vidu-q1-reference2video", width: 1080, height: 1920, fps: 24, frames: 120),
        .init("vidu-q2-text2video", width: 960, height: 540, fps: 24, frames: 96),
        .init("vidu-q2-reference2video", width: 960, height: 540, fps: 24, frames: 96),
        .init("vidu-q2-pro-fast-img2video", shortSide: 720, fps: 24, frames: 120),
        .init("vidu-q2-pro-multiframe", shortSide: 540, fps: 24, frames: 120),
        .init("vidu-q2-turbo-multiframe", shortSide: 540, fps: 24, frames: 120),
        .init("vidu-q3-pro-t2v", width: 960, height: 720, fps: 24, frames: 120),
        .init("vidu-q3-pro-i2v", shortSide: 720, fps: 24, frames: 72),
        .init("seedance-v1-lite-t2v", width: 1120, height: 480, fps: 24, frames: 120),
        .init("seedance-v1-pro-i2v", shortSide: 720, fps: 24, frames: 240),
        .init("seedance-v1.5-pro-i2v", shortSide: 480, fps: 24, frames: 144),
        .init("seedance-v1.5-pro-t2v", width: 480, height: 854, fps: 24, frames: 144),
        .init("pixverse-v4.5-i2v", shortSide: 540, fps: 24, frames: 120),
        .init("pixverse-v4.5-t2v", width: 640, height: 360, fps: 24, frames: 120),
        // The uploaded clip's size, rate and length (`MediaFixtures.mp4()`).
        .init("video-merge-face", width: 64, height: 48, fps: 8, frames: 2),
        .init("heygen-video-translate", width: 1280, height: 720, fps: 24, frames: 120),
    ]

    /// The models whose clip is also encoded and read back (`ENCODE_ALL_VIDEO_MODELS=1`: all of them).
    static let encoded: Set<String> = Set(
        [
            "kling-v1.6-i2v", "minimax-video-01", "wan-2.2-i2v", "wan-2.5-i2v-preview", "vidu-q2-text2video",
            "seedance-v1.5-pro-t2v", "pixverse-v4.5-t2v", "video-merge-face",
        ].map { "/v3/async/" + $0 })
    static let encodeAll = ProcessInfo.processInfo.environment["ENCODE_ALL_VIDEO_MODELS"] == "1"

    static let dataURL = "data:image/png;base64," + Fixtures.pngBase64

    /// The audio and video inputs of the examples, served for the whole run.
    static let mediaServer = Result { () throws -> VideoInputTests.MediaServer in
        try VideoInputTests.MediaServer(["/voice.wav": MediaFixtures.wav, "/clip.mp4": try MediaFixtures.mp4()])
    }
    static var media: VideoInputTests.MediaServer { get throws { try mediaServer.get() } }

    /// `value` with the member at a dotted path (`input.img_url`, `images.0`) replaced.
    static func replacing(_ value: JSONValue, at path: ArraySlice<Substring>, with new: JSONValue) -> JSONValue {
        guard let head = path.first else { return value.stringValue == nil ? value : new }
        if head == "*", let array = value.arrayValue {
            return .array(array.map { replacing($0, at: path.dropFirst(), with: new) })
        }
        if var array = value.arrayValue, let index = Int(head), array.indices.contains(index) {
            array[index] = replacing(array[index], at: path.dropFirst(), with: new)
            return .array(array)
        }
        guard var object = value.objectValue, let member = object[String(head)] else { return value }
        object[String(head)] = replacing(member, at: path.dropFirst(), with: new)
        return .object(object)
    }

    /// The definition's example with every declared media input (first and last frames,
    /// references, audio, videos) as a data URL of a fixture of its kind: the fixture PNG, a
    /// short WAV, a two-frame MP4 of the mock's own encoder (the last two served over HTTP).
    static func example(_ definition: EndpointDefinition, harness: ServiceHarness) throws -> JSONValue {
        var example = try #require(definition.example)
        let prefix = definition.body == .wrapped ? "request." : ""
        var declarations = SubmissionInputs.declarations(definition)
        if definition.inputs.isEmpty, let path = definition.video?.image {
            declarations = [.init(path: path, media: .image, role: .first, forms: [.url])]
        }
        for declaration in declarations {
            // A base64 field takes no data URL.
            let value: String
            switch declaration.media {
            case .image: value = declaration.path.hasSuffix("base64") ? Fixtures.pngBase64 : dataURL
            // Audio and video fields take http(s) URLs only: a local server's.
            case .audio: value = try media.url("/voice.wav")
            case .video where declaration.forms.contains(.asset):
                // An assets id: the clip uploaded without a key, as the Python SDK uploads.
                value = try harness.service.assets.put(try MediaFixtures.mp4(), owner: AssetStore.sharedOwner)
            case .video: value = try media.url("/clip.mp4")
            }
            example = replacing(
                example, at: (prefix + declaration.path).split(separator: ".")[...], with: .string(value))
        }
        return example
    }

    @Test func everyThirdPartyVideoModelHasADefinition() {
        let served = Set(EndpointCatalog.builtIn.definitions.filter { $0.output == "video" }.map(\.path))
        let missing = Set(Self.table.map(\.path)).subtracting(served)
        #expect(missing.isEmpty, "no definition for \(missing.sorted())")
        #expect(Self.table.count == 53)
    }

    @Test(arguments: table)
    func theDocumentedExampleEndsInAClipOfTheImpliedShape(_ expected: Expected) throws {
        let definition = try #require(EndpointCatalog.builtIn.definitions.first { $0.path == expected.path })
        let harness = ServiceHarness()
        let reply = harness.request(
            "POST", expected.path, body: JSONWriter.serialize(try Self.example(definition, harness: harness)),
            headers: [("X-Mock-Strict", "true")])
        let id = try #require(reply.object?["task_id"]?.stringValue, "\(reply.message ?? "")")
        harness.advance(3_600_000 - 1000)
        let result = try #require(harness.result(id).object)
        let task = try #require(result["task"]?.objectValue)
        #expect(task["status"]?.stringValue == "TASK_STATUS_SUCCEED", "\(task["reason"]?.stringValue ?? "")")
        let taskType = try #require(task["task_type"]?.stringValue)
        #expect(taskType == definition.taskType)
        let video = try #require(result["videos"]?.arrayValue?.first?.objectValue)
        #expect(video["video_type"]?.stringValue == "mp4")
        #expect(video["video_url"]?.stringValue?.contains("/faas-output-video/prod/\(id)/") == true)

        let record = try #require(harness.service.store.record(id: id))
        let clip = try #require(record.parameters.video)
        let (width, height) = expected.size
        #expect(record.parameters.width == width && record.parameters.height == height)
        #expect(clip.framesPerSecond == expected.fps && clip.frameCount == expected.frames)
        if definition.video?.image != nil { #expect(record.inputKey != nil, "the first frame was fetched") }

        // Two frames of that clip, encoded as the full one would be, for one model of each family
        // at its smallest clip (rendering in a debug build costs about 0.2 s a megapixel).
        guard Self.encoded.contains(expected.path) || Self.encodeAll else { return }
        var short = record
        short.parameters.video?.frameCount = 2
        let bytes = try ImageService.renderVideo(short, inputBytes: record.inputKey.flatMap(harness.service.inputs.get))
        let probe = try VideoProbe.probe(bytes, fileExtension: "mp4")
        #expect(probe["codec_name"] == "h264" && probe["pix_fmt"] == "yuv420p")
        #expect(probe["width"] == "\(width)" && probe["height"] == "\(height)")
        #expect(probe["r_frame_rate"] == "\(expected.fps)/1" && probe["nb_read_frames"] == "2")
    }

    /// Submits `body` to `path` and lets the clock run past any modelled duration.
    static func finished(_ path: String, _ body: JSONValue, strict: Bool = true) throws -> (ServiceHarness, String) {
        let harness = ServiceHarness()
        let reply = harness.request(
            "POST", path, body: JSONWriter.serialize(body), headers: strict ? [("X-Mock-Strict", "true")] : [])
        let id = try #require(reply.object?["task_id"]?.stringValue, "\(reply.message ?? "")")
        harness.advance(3_600_000)
        return (harness, id)
    }

    @Test func oneFullClipIsTheImpliedLengthEndToEnd() throws {
        // 1 s of Vidu Q2 at 540p 16:9: 24 frames of 960×540, served and read back whole.
        let (harness, id) = try Self.finished(
            "/v3/async/vidu-q2-text2video",
            ["prompt": "a paper boat on a pond", "duration": 1, "resolution": "540p", "aspect_ratio": "16:9"])
        let url = try #require(
            harness.result(id).object?["videos"]?.arrayValue?.first?.objectValue?["video_url"]?.stringValue)
        let probe = try VideoProbe.probe(harness.download(url).bodyBytes, fileExtension: "mp4")
        #expect(probe["codec_name"] == "h264" && probe["width"] == "960" && probe["height"] == "540")
        #expect(probe["r_frame_rate"] == "24/1" && probe["nb_read_frames"] == "24")
        #expect(probe["duration"].flatMap(Double.init).map { abs($0 - 1) < 0.01 } == true, "\(probe)")
    }

    @Test func klingsModeNamesTheResolution() throws {
        let body: JSONValue = [
            "mode": "Professional", "image_url": .string(Self.dataURL), "prompt": "a cat", "duration": 10,
        ]
        let (harness, id) = try Self.finished("/v3/async/kling-v1.6-i2v", body)
        let record = try #require(harness.service.store.record(id: id))
        #expect(record.parameters.width == 1440 && record.parameters.height == 1080)
        #expect(record.parameters.video?.frameCount == 240)
    }

    @Test func anAspectRatioWinsOverTheImagesShape() throws {
        let body: JSONValue = [
            "image": .string(Self.dataURL), "prompt": "a cat", "duration": 5, "aspect_ratio": "9:16",
        ]
        let (harness, id) = try Self.finished("/v3/async/kling-o1-i2v", body)
        let record = try #require(harness.service.store.record(id: id))
        #expect(record.parameters.width == 1080 && record.parameters.height == 1920)
    }

    @Test func keyFramesAddUpToTheClipsLength() throws {
        let settings: JSONValue = [
            ["duration": 2, "key_image": "https://example.com/a.png"],
            ["duration": 7, "key_image": "https://example.com/b.png"],
            ["key_image": "https://example.com/c.png"],
        ]
        let (harness, id) = try Self.finished(
            "/v3/async/vidu-q2-pro-multiframe", ["start_image": .string(Self.dataURL), "image_settings": settings])
        let record = try #require(harness.service.store.record(id: id))
        // 2 + 7 + the default 5 seconds at 24 fps, at the default 720p in the start image's shape.
        #expect(record.parameters.video?.frameCount == 14 * 24)
        #expect(record.parameters.width == 960 && record.parameters.height == 720)
    }

    @Test func bareBase64IsAFirstFrameToo() throws {
        let body: JSONValue = ["image": .string(Fixtures.pngBase64), "prompt": "a cat", "resolution": "480p"]
        let (harness, id) = try Self.finished("/v3/async/seedance-v1-pro-i2v", body)
        #expect(harness.status(id) == "TASK_STATUS_SUCCEED")
        let record = try #require(harness.service.store.record(id: id))
        #expect(record.inputKey != nil && record.parameters.width == 640 && record.parameters.height == 480)
    }

    @Test func aNestedFirstFrameThatIsNoImageFailsTheTask() throws {
        let body: JSONValue = [
            "input": ["prompt": "a cat", "img_url": "data:image/png;base64,aGVsbG8="],
            "parameters": ["resolution": "720P"],
        ]
        let (harness, id) = try Self.finished("/v3/async/wan-2.2-i2v", body)
        let task = try #require(harness.result(id).object?["task"]?.objectValue)
        #expect(task["status"]?.stringValue == "TASK_STATUS_FAILED")
        #expect(task["reason"]?.stringValue?.hasPrefix("failed to fetch data URL: not a PNG") == true)
    }

    @Test func aValueOutsideTheDocumentedOnesIsA400NamingTheField() {
        let harness = ServiceHarness()
        let cases: [(String, JSONValue, String)] = [
            ("/v3/async/kling-v2.1-t2v-master", ["prompt": "a", "duration": "7"], "duration"),
            ("/v3/async/minimax-hailuo-02", ["prompt": "a", "resolution": "720P"], "resolution"),
            (
                "/v3/async/wan-2.2-t2v", ["input": ["prompt": "a"], "parameters": ["size": "1000*1000"]],
                "parameters.size"
            ),
            ("/v3/async/seedance-v1.5-pro-i2v", ["image": "x", "prompt": "a", "duration": 13], "duration"),
            ("/v3/async/vidu-q1-img2video", ["images": []], "images"),
        ]
        for (path, body, field) in cases {
            let reply = harness.request("POST", path, body: JSONWriter.serialize(body))
            #expect(reply.status == 400, "\(path)")
            #expect(reply.message?.contains(field) == true, "\(path): \(reply.message ?? "")")
        }
    }

    @Test func theUnifiedAPIAnswersAsTheNamedModel() throws {
        let definition = try #require(EndpointCatalog.builtIn.definitions.first { $0.path == "/v3/video/create" })
        // The documented example with a callback that refuses at once (no delivery leaves the machine).
        var example = try #require(definition.example?.objectValue)
        example["callback_url"] = "http://127.0.0.1:1/novita-callback"
        let (harness, id) = try Self.finished("/v3/video/create", .object(example))
        let task = try #require(harness.result(id).object?["task"]?.objectValue)
        #expect(task["status"]?.stringValue == "TASK_STATUS_SUCCEED")
        #expect(task["task_type"]?.stringValue == "MINIMAX_HAILUO_02")
        let record = try #require(harness.service.store.record(id: id))
        #expect(record.parameters.width == 1366 && record.parameters.height == 768)
        #expect(record.parameters.video?.frameCount == 144)
        #expect(record.extra.webhook?.url == "http://127.0.0.1:1/novita-callback")
    }

    @Test func theUnifiedAPIValidatesAsTheNamedModel() {
        let harness = ServiceHarness()
        let cases: [(JSONValue, String)] = [
            (["prompt": "a"], "model"),
            (["model": "sora-9", "prompt": "a"], "model"),
            (["model": "hailuo-02", "prompt": "a", "duration": 7], "duration"),
            (["model": "kling-v1.6-t2v", "prompt": "a", "callback_url": "ftp://x"], "callback_url"),
        ]
        for (body, field) in cases {
            let reply = harness.request("POST", "/v3/video/create", body: JSONWriter.serialize(body))
            #expect(reply.status == 400)
            #expect(reply.object?["metadata"]?.objectValue?["path"]?.stringValue == field, "\(reply.message ?? "")")
        }
    }
}
