import Foundation
import ImageCodecs
import MicroHTTP
import Testing
import VideoCodecs

@testable import NovitaMock

/// A video's media inputs (docs/contract.md §14), served by a real local HTTP server and read by
/// the one input mechanism: end frames fetched and ended on, reference images shown as insets,
/// audio sniffed, videos read as MP4 — and each that is not what its field takes fails the task
/// naming the field.
@Suite(.enabled(if: VideoProbe.available, Comment(rawValue: VideoProbe.missingMessage)))
struct VideoInputTests {
    /// Serves fixed bodies by path on 127.0.0.1, as a CDN serves a user's inputs.
    final class MediaServer: Sendable {
        let server: HTTPServer
        init(_ files: [String: [UInt8]]) throws {
            var configuration = HTTPServerConfiguration()
            configuration.host = "127.0.0.1"
            configuration.port = 0
            server = try HTTPServer(configuration: configuration) { request in
                guard let body = files[request.path] else { return .now(HTTPResponse(status: 404, body: [])) }
                return .now(HTTPResponse(status: 200, body: body))
            }
        }
        func url(_ path: String) -> String { "http://127.0.0.1:\(server.port)\(path)" }
        deinit { server.shutdown(graceSeconds: 1) }
    }

    static func png(_ colour: (UInt8, UInt8, UInt8), width: Int = 64, height: Int = 48) throws -> [UInt8] {
        try ImageEncoder.encode(PixelBuffer(width: width, height: height, fill: colour), as: .png, parameters: "")
    }

    /// Submits, runs the clock past the modelled time, and answers the task object.
    static func run(_ harness: ServiceHarness, _ path: String, _ body: JSONValue) throws -> (String, JSONObject) {
        let reply = harness.request(
            "POST", path, body: JSONWriter.serialize(body), headers: [("X-Mock-Strict", "true")])
        let id = try #require(reply.object?["task_id"]?.stringValue, "\(reply.message ?? "")")
        harness.advance(3_600_000)
        return (id, try #require(harness.result(id).object?["task"]?.objectValue))
    }

    /// The mean colour of a decoded frame's middle (away from the caption band and insets).
    static func middle(_ image: PixelBuffer) -> (Int, Int, Int) {
        var sum = (0, 0, 0)
        var count = 0
        for y in image.height / 3..<image.height / 2 {
            for x in image.width / 4..<image.width * 3 / 4 {
                let i = (y * image.width + x) * 3
                sum = (sum.0 + Int(image.rgb[i]), sum.1 + Int(image.rgb[i + 1]), sum.2 + Int(image.rgb[i + 2]))
                count += 1
            }
        }
        return (sum.0 / count, sum.1 / count, sum.2 / count)
    }

    static func frame(_ clip: [UInt8], _ index: Int) throws -> PixelBuffer {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("novita-mock-frame-\(UUID()).png").path
        defer { try? FileManager.default.removeItem(atPath: path) }
        try VideoProbe.extractFrame(clip, fileExtension: "mp4", index: index, to: path)
        return try ImageDecoder.decode(Array(try Data(contentsOf: URL(fileURLWithPath: path))), maxPixels: 1 << 24)
    }

    @Test func theClipStartsOnTheFirstFrameAndEndsOnTheLast() throws {
        let media = try MediaServer(["/red.png": try Self.png((230, 20, 20)), "/blue.png": try Self.png((20, 20, 230))])
        let harness = ServiceHarness()
        let (id, task) = try Self.run(
            harness, "/v3/async/kling-o1-i2v",
            [
                "image": .string(media.url("/red.png")), "last_image": .string(media.url("/blue.png")),
                "prompt": "a sunset", "duration": 5,
            ])
        #expect(task["status"]?.stringValue == "TASK_STATUS_SUCCEED", "\(task["reason"]?.stringValue ?? "")")
        var record = try #require(harness.service.store.record(id: id))
        // A short clip of the same request at a small size: 6 frames, the end frame from frame 4.
        record.parameters.video?.frameCount = 6
        (record.parameters.width, record.parameters.height) = (128, 96)
        let clip = try ImageService.renderVideo(record, inputBytes: record.inputKey.flatMap(harness.service.inputs.get))
        let first = Self.middle(try Self.frame(clip, 0))
        let last = Self.middle(try Self.frame(clip, 5))
        let before = Self.middle(try Self.frame(clip, 3))
        #expect(first.0 > 180 && first.2 < 70, "frame 1 is the first frame: \(first)")
        #expect(last.2 > 180 && last.0 < 70, "the last frame is the end frame: \(last)")
        #expect(!(before.2 > 180 && before.0 < 70), "the end frame only takes over at the end: \(before)")
    }

    @Test func referenceImagesAreFetchedAndShownAsInsets() throws {
        let media = try MediaServer(["/green.png": try Self.png((20, 220, 20))])
        let harness = ServiceHarness()
        let (id, task) = try Self.run(
            harness, "/v3/async/vidu-q1-reference2video",
            ["images": [.string(media.url("/green.png"))], "prompt": "a cat", "duration": 5])
        #expect(task["status"]?.stringValue == "TASK_STATUS_SUCCEED", "\(task["reason"]?.stringValue ?? "")")
        var record = try #require(harness.service.store.record(id: id))
        record.parameters.video?.frameCount = 1
        (record.parameters.width, record.parameters.height) = (160, 160)
        let clip = try ImageService.renderVideo(record, inputBytes: record.inputKey.flatMap(harness.service.inputs.get))
        let image = try Self.frame(clip, 0)
        // The inset: a fifth of the short side (32 px) at the top right, inside a margin of 3.
        let i = ((3 + 16) * image.width + (160 - 35 + 16)) * 3
        #expect(image.rgb[i + 1] > 180 && image.rgb[i] < 80, "the inset is the green reference")
        // And a reference that is no image fails the task, naming where it came from.
        let (_, failed) = try Self.run(
            harness, "/v3/async/vidu-q1-reference2video",
            ["images": [.string(media.url("/missing.png"))], "prompt": "a"])
        #expect(failed["status"]?.stringValue == "TASK_STATUS_FAILED")
        #expect(failed["reason"]?.stringValue == "failed to fetch \(media.url("/missing.png")): HTTP 404")
    }

    @Test func audioMustBeAudio() throws {
        let media = try MediaServer(["/voice.wav": MediaFixtures.wav, "/voice.png": try Self.png((1, 2, 3))])
        let harness = ServiceHarness()
        func body(_ audio: String) -> JSONValue {
            [
                "input": [
                    "prompt": "a cat sings", "img_url": .string(ThirdPartyVideoTests.dataURL),
                    "audio_url": .string(audio),
                ],
                "parameters": ["resolution": "720P", "duration": 5],
            ]
        }
        let (_, good) = try Self.run(harness, "/v3/async/wan2.6-i2v", body(media.url("/voice.wav")))
        #expect(good["status"]?.stringValue == "TASK_STATUS_SUCCEED", "\(good["reason"]?.stringValue ?? "")")
        let (_, bad) = try Self.run(harness, "/v3/async/wan2.6-i2v", body(media.url("/voice.png")))
        #expect(bad["status"]?.stringValue == "TASK_STATUS_FAILED")
        let reason = bad["reason"]?.stringValue ?? ""
        #expect(
            reason.hasPrefix("failed to fetch \(media.url("/voice.png")): input.audio_url is not an audio file"),
            "\(reason)")
        #expect(AudioSniffer.format(of: [0xFF, 0xFB, 0x90, 0x00]) == "mp3")
        #expect(AudioSniffer.format(of: [0xFF, 0xF1, 0x50, 0x80]) == "aac")
        #expect(AudioSniffer.format(of: Array("OggS\0".utf8)) == "ogg")
        #expect(AudioSniffer.format(of: Array("fLaC\0".utf8)) == "flac")
        #expect(AudioSniffer.format(of: Array("<html>".utf8)) == nil)
    }

    @Test func anInputVideoMustBeAnMP4() throws {
        let media = try MediaServer(["/clip.mp4": try MediaFixtures.mp4(), "/clip.txt": Array("not a video".utf8)])
        let harness = ServiceHarness()
        let (_, good) = try Self.run(
            harness, "/v3/async/kling-o1-video-edit", ["video": .string(media.url("/clip.mp4")), "prompt": "snow"])
        #expect(good["status"]?.stringValue == "TASK_STATUS_SUCCEED", "\(good["reason"]?.stringValue ?? "")")
        let (_, bad) = try Self.run(
            harness, "/v3/async/kling-o1-video-edit", ["video": .string(media.url("/clip.txt")), "prompt": "snow"])
        #expect(bad["status"]?.stringValue == "TASK_STATUS_FAILED")
        #expect(
            bad["reason"]?.stringValue
                == "failed to fetch \(media.url("/clip.txt")): video is not an MP4 video: not an MP4 file (no ftyp box at the start)"
        )
    }

    @Test func theMP4ReaderReadsWhatFFmpegWrites() throws {
        let ffmpeg = try #require(VideoProbe.ffmpeg)
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("novita-mock-\(UUID()).mp4").path
        defer { try? FileManager.default.removeItem(atPath: path) }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: ffmpeg)
        process.arguments = [
            "-v", "error", "-y", "-f", "lavfi", "-i", "testsrc=size=96x64:rate=12", "-frames:v", "18",
            "-pix_fmt", "yuv420p", "-c:v", "libx264", path,
        ]
        try process.run()
        process.waitUntilExit()
        try #require(process.terminationStatus == 0, "ffmpeg could not write an H.264 MP4")
        let bytes = Array(try Data(contentsOf: URL(fileURLWithPath: path)))
        let reader = try MP4Reader(bytes)
        #expect(reader.width == 96 && reader.height == 64)
        #expect(reader.frameCount == 18 && reader.framesPerSecond == 12)
        #expect(abs(reader.durationSeconds - 1.5) < 0.01)
        #expect(
            reader.codec == "avc1" && reader.sequenceParameterSets.count == 1 && reader.pictureParameterSets.count == 1)
        // Every sample is length-prefixed NAL units that fill it exactly.
        for index in 0..<reader.frameCount {
            let units = reader.nalUnits(ofSample: index, in: bytes)
            #expect(units.reduce(0) { $0 + $1.count + reader.nalLengthSize } == reader.sampleRanges[index].count)
        }
        // The mock's own clips read back the same way; a cut file is an error, not a trap.
        let own = try MP4Reader(try MediaFixtures.mp4(width: 64, height: 48, fps: 8, frames: 5))
        #expect(own.width == 64 && own.height == 48 && own.frameCount == 5 && own.framesPerSecond == 8)
        for cut in stride(from: 0, to: bytes.count, by: max(1, bytes.count / 40)) {
            _ = try? MP4Reader(Array(bytes[..<cut]))
        }
    }

    @Test func aDeclarationThatIsWrongStopsTheStartNamingTheKey() {
        let cases: [(String, String)] = [
            (#"[{"path": "image", "media": "sound"}]"#, "inputs[0].media"),
            (#"[{"path": "image", "role": "middle"}]"#, "inputs[0].role"),
            (#"[{"path": "audio", "media": "audio", "role": "last"}]"#, "inputs[0].role"),
            (#"[{"path": "a..b"}]"#, "inputs[0].path"),
            (#"[{"path": "image", "forms": ["ftp"]}]"#, "inputs[0].forms"),
            (#"[{"path": "image", "colour": "red"}]"#, "inputs[0].colour"),
        ]
        for (inputs, key) in cases {
            let json = """
                {"method": "POST", "path": "/v3/async/my-video", "operation_id": "x", "summary": "x", "mode": "async",
                 "operation": "img2video", "fields": [{"name": "image", "type": "image_url"}],
                 "inputs": \(inputs), "source": "x"}
                """
            switch ThirdPartyImageTests.load(json) {
            case .success: Issue.record("\(inputs) was accepted")
            case .failure(let error): #expect(error.description.contains(key), "\(error.description)")
            }
        }
    }
}
