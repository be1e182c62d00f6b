import Foundation
import Testing

@testable import NovitaMock

/// wan-i2v takes its first frame by URL: fetched at submit (off the poll threads); a URL that
/// gives no image fails the task with `failed to fetch <url>: <why>` (docs/contract.md §12).
@Suite(.enabled(if: VideoProbe.available, Comment(rawValue: VideoProbe.missingMessage)))
struct WanImageToVideoTests {
    static func body(imageURL: String, frames: Int = 3) -> JSONValue {
        [
            "image_url": .string(imageURL), "prompt": "a cat walking through a garden", "width": 720,
            "height": 1280, "steps": 25, "seed": 4, "frames": .number(JSONNumber(frames)),
        ]
    }

    @Test func aDataURLStartsAClipInTheInputsShapeAtTheTiersSize() throws {
        let harness = ServiceHarness()
        let reply = harness.request(
            "POST", "/v3/async/wan-i2v",
            body: JSONWriter.serialize(Self.body(imageURL: "data:image/png;base64," + Fixtures.pngBase64)))
        let id = try #require(reply.object?["task_id"]?.stringValue, "\(reply.message ?? "")")
        harness.advance(3_000_000)
        let result = try #require(harness.result(id).object)
        #expect(result["task"]?.objectValue?["task_type"]?.stringValue == "WAN_IMG_TO_VIDEO")
        let url = try #require(result["videos"]?.arrayValue?.first?.objectValue?["video_url"]?.stringValue)
        let probe = try VideoProbe.probe(harness.download(url).bodyBytes, fileExtension: "mp4")
        // The 64×48 fixture (4:3, landscape) at the 1280 tier.
        #expect(probe["width"] == "1280" && probe["height"] == "960")
        #expect(probe["r_frame_rate"] == "16/1" && probe["nb_read_frames"] == "3")
    }

    @Test func anUnreachableURLFailsTheTaskWithTheReason() throws {
        let harness = ServiceHarness()
        let unreachable = "http://127.0.0.1:1/first-frame.png"
        let reply = harness.request(
            "POST", "/v3/async/wan-i2v", body: JSONWriter.serialize(Self.body(imageURL: unreachable)))
        let id = try #require(reply.object?["task_id"]?.stringValue, "\(reply.message ?? "")")
        harness.advance(3_000_000)
        let task = try #require(harness.result(id).object?["task"]?.objectValue)
        #expect(task["status"]?.stringValue == "TASK_STATUS_FAILED")
        let reason = task["reason"]?.stringValue ?? ""
        #expect(reason.hasPrefix("failed to fetch \(unreachable): "), "\(reason)")
    }

    @Test func aURLThatIsNotAnImageFailsTheTask() throws {
        let harness = ServiceHarness()
        let reply = harness.request(
            "POST", "/v3/async/wan-i2v",
            body: JSONWriter.serialize(Self.body(imageURL: "data:image/png;base64,aGVsbG8=")))
        let id = try #require(reply.object?["task_id"]?.stringValue, "\(reply.message ?? "")")
        harness.advance(3_000_000)
        let task = try #require(harness.result(id).object?["task"]?.objectValue)
        #expect(task["status"]?.stringValue == "TASK_STATUS_FAILED")
        #expect(task["reason"]?.stringValue?.hasPrefix("failed to fetch data URL: not a PNG") == true)
    }

    @Test func anImageOverTheFetchLimitFailsTheTask() throws {
        let harness = ServiceHarness { $0.maxFetchBytes = 100 }
        let reply = harness.request(
            "POST", "/v3/async/wan-i2v",
            body: JSONWriter.serialize(Self.body(imageURL: "data:image/png;base64," + Fixtures.pngBase64)))
        let id = try #require(reply.object?["task_id"]?.stringValue, "\(reply.message ?? "")")
        harness.advance(3_000_000)
        let task = try #require(harness.result(id).object?["task"]?.objectValue)
        #expect(task["status"]?.stringValue == "TASK_STATUS_FAILED")
        #expect(task["reason"]?.stringValue == "failed to fetch data URL: larger than 100 bytes")
    }

    @Test func anHTTPURLIsFetchedFromAServer() async throws {
        let live = try LiveServer { $0.speed = 0 }
        // The mock's own image URL is as good a server as any.
        let image = try await live.submit(LiveFixtures.body(["width": 320, "height": 240]))
        let imageID = try #require(image.json?["task_id"] as? String)
        let imageURL = try #require(
            ((try await live.result(imageID).json?["images"] as? [[String: Any]])?.first)?["image_url"] as? String)
        let submitted = try await live.send(
            "POST", "/v3/async/wan-i2v",
            body: JSONWriter.serialize(Self.body(imageURL: imageURL)).withUnsafeBufferPointer { Data($0) })
        let id = try #require(submitted.json?["task_id"] as? String, "\(submitted.message ?? "")")
        let result = try await live.waitFinished(id)
        let url = try #require((result["videos"] as? [[String: Any]])?.first?["video_url"] as? String)
        let clip = try await live.send("GET", url, key: nil)
        let probe = try VideoProbe.probe(Array(clip.body), fileExtension: "mp4")
        // 320×240 is 4:3 too.
        #expect(probe["width"] == "1280" && probe["height"] == "960")
    }
}
