import Foundation
import ImageCodecs
import MicroHTTP
import Testing

@testable import NovitaMock

@Suite("Record through a mock, then replay with the upstream gone")
struct RecordReplayTests {
    static let key = "sk-cassette-test-7f3a9c2e51d84b06"

    static func scratchDirectory() throws -> String {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("cassette-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        return path
    }

    /// A body with every id and URL base of this run replaced, so two runs can be compared.
    static func normalized(_ body: Data, ids: [String], base: String) -> String {
        var text = String(decoding: body, as: UTF8.self)
        for (index, id) in ids.enumerated() { text = text.replacingOccurrences(of: id, with: "<task \(index)>") }
        return text.replacingOccurrences(of: base, with: "<base>")
    }

    /// What a client saw of one task: every poll's body, then each media file's bytes.
    struct Run {
        var submit: LiveServer.Reply
        var id: String
        var polls: [Data] = []
        var media: [Data] = []
    }

    /// Submits, then polls until the task ends (`between` runs after each unfinished poll), or
    /// polls once; then downloads the media the last poll names.
    static func submitAndFollow(
        _ live: LiveServer, body: Data, untilFinished: Bool = true, between: () async throws -> Void = {}
    ) async throws -> Run {
        let submit = try await live.send("POST", "/v3/async/img2img", body: body, key: key)
        let id = try #require(submit.json?["task_id"] as? String)
        var run = Run(submit: submit, id: id)
        let deadline = ContinuousClock.now + .seconds(30)
        while ContinuousClock.now < deadline {
            let poll = try await live.result(id, key: key)
            #expect(poll.status == 200)
            run.polls.append(poll.body)
            let status = ((poll.json?["task"] as? [String: Any])?["status"] as? String) ?? ""
            if status == "TASK_STATUS_SUCCEED" || status == "TASK_STATUS_FAILED" || !untilFinished { break }
            try await between()
        }
        for image
            in (try LiveServer.Reply(status: 200, headers: [:], body: run.polls.last ?? Data()).json?["images"]
            as? [[String: Any]]) ?? []
        {
            let url = try #require(image["image_url"] as? String)
            #expect(url.hasPrefix(live.base + "/recorded-media/"), "media goes through the mock: \(url)")
            let download = try await live.send("GET", url, key: nil)
            #expect(download.status == 200)
            run.media.append(download.body)
        }
        return run
    }

    @Test func replayGivesTheRecordedBodiesAndBytesWithoutTheUpstream() async throws {
        let cassette = try Self.scratchDirectory()
        defer { try? FileManager.default.removeItem(atPath: cassette) }
        // The upstream's clock is stepped by hand, so the recording sees the whole lifecycle
        // however loaded the machine is.
        let upstream = try LiveServer { $0.clockMode = .virtual }
        let recorder = try LiveServer {
            $0.upstreamURL = upstream.base
            $0.recordDirectory = cassette
        }
        let body = try JSONSerialization.data(
            withJSONObject: LiveFixtures.body(["width": 256, "height": 192, "image_num": 2]))
        let recorded = try await Self.submitAndFollow(recorder, body: body) { () async throws in
            let advanced = try await upstream.control("POST", "/__mock/clock", ["advance_ms": 500])
            #expect(advanced.status == 200)
        }
        #expect(recorded.polls.count >= 3, "the lifecycle was seen before it ended")
        #expect(recorded.media.count == 2)
        for bytes in recorded.media {
            let decoded = try ImageDecoder.decode(Array(bytes), maxPixels: 1 << 24)
            #expect(decoded.width == 256 && decoded.height == 192)
        }
        // The client saw the mock's id, never the upstream's.
        let upstreamJournal = try #require(try await upstream.control("GET", "/__mock/tasks").json)
        let upstreamIDs = ((upstreamJournal["tasks"] as? [[String: Any]]) ?? []).compactMap { $0["task_id"] as? String }
        #expect(upstreamIDs.count == 1 && !upstreamIDs.contains(recorded.id))
        // A refusal and a sync call are recorded too.
        let refusedBody = try JSONSerialization.data(withJSONObject: LiveFixtures.body(["width": 64]))
        let refused = try await recorder.send("POST", "/v3/async/img2img", body: refusedBody, key: Self.key)
        #expect(refused.status == 400)
        let promptBody = try JSONSerialization.data(withJSONObject: ["image_file": Fixtures.pngBase64])
        let prompt = try await recorder.send("POST", "/v3/img2prompt", body: promptBody, key: Self.key)
        #expect(prompt.status == 200)
        let cutoutBody = try JSONSerialization.data(
            withJSONObject: ["image_file": Base64.encode(Fixtures.pngImage(width: 160, height: 120))])
        let cutout = try await recorder.send("POST", "/v3/remove-background", body: cutoutBody, key: Self.key)
        #expect(cutout.status == 200 && (cutout.json?["image_file"] as? String)?.count ?? 0 > 4096)

        upstream.server.shutdown(graceSeconds: 1)

        // Plain files a team can commit: pretty JSON, no key, no signature.
        let files = try FileManager.default.subpathsOfDirectory(atPath: cassette)
        #expect(files.filter { $0.hasSuffix(".json") }.count >= 4)
        // The two images of the task, and the editor's answer, which came inline as base64.
        #expect(files.filter { $0.hasPrefix("media/") }.count == 3)
        for file in files {
            var isDirectory: ObjCBool = false
            _ = FileManager.default.fileExists(atPath: cassette + "/" + file, isDirectory: &isDirectory)
            guard !isDirectory.boolValue else { continue }
            let data = try Data(contentsOf: URL(fileURLWithPath: cassette + "/" + file))
            #expect(data.range(of: Data(Self.key.utf8)) == nil, "the key is in \(file)")
            #expect(data.range(of: Data("X-Amz-Signature".utf8)) == nil, "a signature is in \(file)")
            #expect(file.hasPrefix("media/") || data.count < 16 * 1024, "\(file) stays small enough to read")
        }
        let first = try String(contentsOfFile: cassette + "/0001-post-v3-async-img2img.json", encoding: .utf8)
        #expect(first.contains("\n  \"request\": {\n"))

        // Replay on a frozen clock: the first poll shows the first recorded state, and the
        // recorded timing moves it on.
        let replayer = try LiveServer {
            $0.replayDirectory = cassette
            $0.clockMode = .virtual
        }
        let replayed = try await Self.submitAndFollow(replayer, body: body, untilFinished: false)
        #expect(replayed.submit.status == 200 && replayed.id != recorded.id)
        #expect(replayed.submit.header("X-Mock-Cassette") == "0001-post-v3-async-img2img.json")
        let recordedFirst = Self.normalized(recorded.polls[0], ids: [recorded.id], base: recorder.base)
        #expect(Self.normalized(replayed.polls[0], ids: [replayed.id], base: replayer.base) == recordedFirst)
        #expect(try await replayer.control("POST", "/__mock/clock", ["advance_ms": 600_000]).status == 200)
        let finished = try await Self.submitAndFollowExisting(replayer, id: replayed.id)
        #expect(
            Self.normalized(finished.polls.last!, ids: [replayed.id], base: replayer.base)
                == Self.normalized(recorded.polls.last!, ids: [recorded.id], base: recorder.base))
        #expect(finished.media == recorded.media, "the same bytes, from the cassette")

        // The same recorded submit replayed again is a second task; each poll names its own.
        let second = try await Self.submitAndFollow(replayer, body: body, untilFinished: false)
        #expect(second.id != replayed.id)
        for id in [replayed.id, second.id] {
            let poll = try await replayer.result(id, key: Self.key)
            #expect(((poll.json?["task"] as? [String: Any])?["task_id"] as? String) == id)
        }

        let refusedAgain = try await replayer.send("POST", "/v3/async/img2img", body: refusedBody, key: Self.key)
        #expect(refusedAgain.status == 400 && refusedAgain.body == refused.body)
        let promptAgain = try await replayer.send("POST", "/v3/img2prompt", body: promptBody, key: Self.key)
        #expect(promptAgain.status == 200 && promptAgain.body == prompt.body)
        let cutoutAgain = try await replayer.send("POST", "/v3/remove-background", body: cutoutBody, key: Self.key)
        #expect(cutoutAgain.status == 200 && cutoutAgain.body == cutout.body)

        // A request the cassette does not hold is emulated …
        let other = try JSONSerialization.data(withJSONObject: LiveFixtures.body(["prompt": "a different dog"]))
        let emulated = try await replayer.send("POST", "/v3/async/img2img", body: other, key: Self.key)
        #expect(emulated.status == 200 && emulated.header("X-Mock-Cassette") == nil)
        // … or refused with --replay-strict.
        let strict = try LiveServer {
            $0.replayDirectory = cassette
            $0.replayStrict = true
        }
        let missing = try await strict.send("POST", "/v3/async/img2img", body: other, key: Self.key)
        #expect(missing.status == 404 && missing.reason == "NOT_RECORDED")
        #expect(try await strict.send("POST", "/v3/async/img2img", body: body, key: Self.key).status == 200)
        // A seed the client draws anew does not stop the match.
        let reseeded = try JSONSerialization.data(
            withJSONObject: LiveFixtures.body(["width": 256, "height": 192, "image_num": 2, "seed": 99]))
        #expect(try await strict.send("POST", "/v3/async/img2img", body: reseeded, key: Self.key).status == 200)
    }

    static func submitAndFollowExisting(_ live: LiveServer, id: String) async throws -> Run {
        let poll = try await live.result(id, key: key)
        var run = Run(submit: poll, id: id, polls: [poll.body])
        for image in (poll.json?["images"] as? [[String: Any]]) ?? [] {
            let url = try #require(image["image_url"] as? String)
            run.media.append(try await live.send("GET", url, key: nil).body)
        }
        return run
    }

    @Test func recordNeedsAnUpstreamAndReplayAReadableCassette() throws {
        var configuration = MockConfiguration()
        configuration.recordDirectory = try Self.scratchDirectory()
        #expect(throws: CassetteError.self) {
            _ = try MockService(configuration: configuration, logger: Logger(level: .error, format: .text))
        }
        let broken = try Self.scratchDirectory()
        try Data("{\"format\": \"something else\"}".utf8).write(to: URL(fileURLWithPath: broken + "/0001-x.json"))
        configuration = MockConfiguration()
        configuration.replayDirectory = broken
        #expect(throws: CassetteError.self) {
            _ = try MockService(configuration: configuration, logger: Logger(level: .error, format: .text))
        }
    }
}
