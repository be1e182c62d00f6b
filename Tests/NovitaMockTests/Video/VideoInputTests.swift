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
        // Hostile tables: 2³² − 1 samples a chunk, and single bytes of the header overwritten.
        var hostile = try MediaFixtures.mp4(frames: 3)
        let stsc = try #require(
            hostile.indices.first { hostile[$0..<min($0 + 4, hostile.count)].elementsEqual("stsc".utf8) })
        for i in 0..<4 { hostile[stsc + 16 + i] = 0xFF }
        _ = try? MP4Reader(hostile)
        var generator = SystemRandomNumberGenerator()
        let original = try MediaFixtures.mp4(frames: 3)
        let moov = try #require(
            original.indices.first { original[$0..<min($0 + 4, original.count)].elementsEqual("moov".utf8) })
        for _ in 0..<300 {
            var mutated = original
            mutated[Int.random(in: moov..<mutated.count, using: &generator)] = UInt8.random(
                in: 0...255, using: &generator)
            if let reader = try? MP4Reader(mutated) {
                for index in 0..<reader.frameCount { _ = reader.annexB(ofSample: index, in: mutated) }
            }
        }
    }

    /// A clip whose frames alternate red and blue, encoded by the mock's own (Baseline) encoder.
    static func alternating(width: Int, height: Int, fps: Int, frames: Int) throws -> [UInt8] {
        let builder = try MP4Builder(width: width, height: height, frameRate: fps)
        for index in 0..<frames {
            try builder.append(
                PixelBuffer(width: width, height: height, fill: index % 2 == 0 ? (220, 30, 30) : (30, 30, 220)))
        }
        return try builder.finish()
    }

    /// The mean colour of a frame's top-left corner (outside the face and the caption band).
    static func corner(_ image: PixelBuffer) -> (Int, Int, Int) {
        var sum = (0, 0, 0)
        let side = min(image.width, image.height) / 6
        for y in 0..<side {
            for x in 0..<side {
                let i = (y * image.width + x) * 3
                sum = (sum.0 + Int(image.rgb[i]), sum.1 + Int(image.rgb[i + 1]), sum.2 + Int(image.rgb[i + 2]))
            }
        }
        return (sum.0 / (side * side), sum.1 / (side * side), sum.2 / (side * side))
    }

    @Test func videoMergeFaceRemakesItsUploadedVideoWithTheFace() async throws {
        let server = try LiveServer()
        let clip = try Self.alternating(width: 96, height: 64, fps: 12, frames: 6)
        let upload = try await server.send("PUT", "/video", body: Data(clip), key: nil, contentType: "video/mp4")
        let id = try #require(upload.json?["assets_id"] as? String, "\(upload.status)")
        let face = Base64.encode(try Self.png((20, 220, 20)))
        let body: [String: Any] = [
            "extra": ["response_video_type": "mp4"],
            "request": ["video_assets_id": id, "enable_restore": true, "face_image_base64": face],
        ]
        let before = try #require(try await server.send("GET", "/v3/user").json?["credit_balance"] as? Int)
        let submit = try await server.send(
            "POST", "/v3/async/video-merge-face", body: try JSONSerialization.data(withJSONObject: body),
            headers: ["X-Mock-Duration-Ms": "0"])
        let taskID = try #require(submit.json?["task_id"] as? String, "\(submit.message ?? "")")
        // Priced per frame of the input: 6 frames at $0.0005 (5 credits of $0.0001).
        let after = try #require(try await server.send("GET", "/v3/user").json?["credit_balance"] as? Int)
        #expect(before - after == 6 * 5)
        var result: [String: Any] = [:]
        for _ in 0..<200 {
            result = try await server.send("GET", "/v3/async/task-result?task_id=\(taskID)").json ?? [:]
            if ((result["task"] as? [String: Any])?["status"] as? String) == "TASK_STATUS_SUCCEED" { break }
            try await Task.sleep(for: .milliseconds(50))
        }
        let videos = try #require(result["videos"] as? [[String: Any]], "\(result)")
        let url = try #require(videos.first?["video_url"] as? String)
        let bytes = Array(try await server.send("GET", url, key: nil).body)
        let probe = try VideoProbe.probe(bytes, fileExtension: "mp4")
        #expect(probe["width"] == "96" && probe["height"] == "64", "\(probe)")
        #expect(probe["r_frame_rate"] == "12/1" && probe["nb_read_frames"] == "6", "\(probe)")
        // The input's frames under the face: red, then blue, at the corners; the face in the middle.
        let first = try Self.frame(bytes, 0)
        let second = try Self.frame(bytes, 1)
        #expect(Self.corner(first).0 > 150 && Self.corner(first).2 < 90, "\(Self.corner(first))")
        #expect(Self.corner(second).2 > 150 && Self.corner(second).0 < 90, "\(Self.corner(second))")
        let middle = (first.height / 2 * first.width + first.width / 2) * 3
        #expect(first.rgb[middle + 1] > 150 && first.rgb[middle] < 90, "the face is in the middle")
    }

    @Test func videoMergeFaceRefusesWhatIsNoMP4() throws {
        let harness = ServiceHarness()
        let png = try Self.png((1, 2, 3))
        let id = try harness.service.assets.put(png, owner: AssetStore.sharedOwner)
        func body(_ id: String) -> JSONValue {
            [
                "extra": ["response_video_type": "mp4"],
                "request": [
                    "video_assets_id": .string(id), "enable_restore": true,
                    "face_image_base64": .string(Fixtures.pngBase64),
                ],
            ]
        }
        let (_, task) = try Self.run(harness, "/v3/async/video-merge-face", body(id))
        #expect(task["status"]?.stringValue == "TASK_STATUS_FAILED")
        #expect(
            task["reason"]?.stringValue
                == "failed to fetch assets id \(id): video_assets_id is not an MP4 video: not an MP4 file (no ftyp box at the start)"
        )
        let unknown = harness.request(
            "POST", "/v3/async/video-merge-face", body: JSONWriter.serialize(body("nothing-here")))
        #expect(unknown.status == 400)
        #expect(unknown.message?.contains("request.video_assets_id") == true, "\(unknown.message ?? "")")
    }

    @Test func openh264DecodesWhatTheEncoderAndFFmpegWrite() throws {
        // The mock's own clip: every frame decodes to its colour.
        let own = try Self.alternating(width: 64, height: 48, fps: 8, frames: 4)
        let reader = try MP4Reader(own)
        let decoder = try H264Decoder()
        var decoded: [PixelBuffer] = []
        for index in 0..<reader.frameCount {
            if let picture = try decoder.decode(reader.annexB(ofSample: index, in: own)) { decoded.append(picture) }
        }
        #expect(decoded.count == 4)
        for (index, picture) in decoded.enumerated() {
            let (r, _, b) = Self.middle(picture)
            #expect(index % 2 == 0 ? (r > 180 && b < 70) : (b > 180 && r < 70), "frame \(index): \(r), \(b)")
        }
        // ffmpeg's libx264, Baseline and High with B-frames (pictures come out reordered): frames
        // of six distinct colours, each read back in display order.
        let colours: [(UInt8, UInt8, UInt8)] = [
            (220, 30, 30), (30, 220, 30), (30, 30, 220), (220, 220, 30), (30, 220, 220), (220, 30, 220),
        ]
        let raw = FileManager.default.temporaryDirectory.appendingPathComponent("novita-mock-\(UUID()).rgb").path
        defer { try? FileManager.default.removeItem(atPath: raw) }
        var rgb: [UInt8] = []
        for index in 0..<18 {
            let c = colours[index % 6]
            for _ in 0..<(96 * 64) { rgb += [c.0, c.1, c.2] }
        }
        try Data(rgb).write(to: URL(fileURLWithPath: raw))
        let ffmpeg = try #require(VideoProbe.ffmpeg)
        for profile in [["-profile:v", "baseline"], ["-profile:v", "high", "-bf", "3"]] {
            let path = FileManager.default.temporaryDirectory.appendingPathComponent("novita-mock-\(UUID()).mp4").path
            defer { try? FileManager.default.removeItem(atPath: path) }
            let process = Process()
            process.executableURL = URL(fileURLWithPath: ffmpeg)
            process.arguments =
                [
                    "-v", "error", "-y", "-f", "rawvideo", "-pix_fmt", "rgb24", "-s", "96x64", "-r", "12", "-i", raw,
                    "-pix_fmt", "yuv420p", "-c:v", "libx264",
                ] + profile + [path]
            try process.run()
            process.waitUntilExit()
            try #require(process.terminationStatus == 0)
            let bytes = Array(try Data(contentsOf: URL(fileURLWithPath: path)))
            let file = try MP4Reader(bytes)
            #expect(file.frameCount == 18 && file.width == 96 && file.height == 64)
            let frames = SourceFrames(bytes, width: file.width, height: file.height)
            for index in 0..<file.frameCount {
                let picture = try #require(frames.frame(index), "\(profile) frame \(index)")
                let (r, g, b) = Self.middle(picture)
                let c = colours[index % 6]
                #expect(
                    abs(r - Int(c.0)) < 24 && abs(g - Int(c.1)) < 24 && abs(b - Int(c.2)) < 24,
                    "\(profile) frame \(index): \((r, g, b)), expected \(c)")
            }
        }
    }

    /// A user's definition of a new model (`--endpoints`): its `inputs` alone decide what is read,
    /// and in which forms — a form it does not list fails the task, naming the field.
    @Test func aNewModelsInputsAreWhatItsDefinitionDeclares() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("endpoints-\(UUID())")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let definition = """
            {"method": "POST", "path": "/v3/async/my-i2v", "operation_id": "myI2v", "summary": "Mine",
             "mode": "async", "operation": "img2video", "source": "https://example.com",
             "fields": [{"name": "start", "type": "string", "required": true},
                        {"name": "finish", "type": "string"}, {"name": "prompt", "type": "string"}],
             "video": {"fps": 8, "frames": 4, "width": 64, "height": 48, "image": "start"},
             "inputs": [{"path": "start", "role": "first", "forms": ["url", "base64"]},
                        {"path": "finish", "role": "last", "forms": ["url"]}]}
            """
        try definition.write(to: directory.appendingPathComponent("my-i2v.json"), atomically: true, encoding: .utf8)
        let harness = ServiceHarness { $0.endpointsDirectory = directory.path }
        let media = try MediaServer(["/blue.png": try Self.png((20, 20, 230))])
        let (id, good) = try Self.run(
            harness, "/v3/async/my-i2v",
            ["start": .string(Fixtures.pngBase64), "finish": .string(media.url("/blue.png")), "prompt": "a"])
        #expect(good["status"]?.stringValue == "TASK_STATUS_SUCCEED", "\(good["reason"]?.stringValue ?? "")")
        let stored = try #require(harness.service.store.record(id: id)?.inputKey.flatMap(harness.service.inputs.get))
        #expect(InputBundle.decode(stored)?.map(\.name) == ["first", "last"])
        let (_, bad) = try Self.run(
            harness, "/v3/async/my-i2v",
            ["start": .string(Fixtures.pngBase64), "finish": .string(ThirdPartyVideoTests.dataURL)])
        #expect(bad["status"]?.stringValue == "TASK_STATUS_FAILED")
        #expect(bad["reason"]?.stringValue == "failed to fetch data URL: finish takes an http(s) URL, not a data URL")
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
