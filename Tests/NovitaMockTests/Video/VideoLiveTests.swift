import Foundation
import Testing

@testable import NovitaMock

/// The real server on a socket: the webhook's payload carries the clip, and a client reads the
/// clip in ranged pieces as a player does.
@Suite struct VideoLiveTests {
    static var body: [String: Any] {
        [
            "model_name": "darkSushiMixMix_225D_64380.safetensors", "width": 256, "height": 256, "steps": 20,
            "seed": 5, "prompts": [["prompt": "a lighthouse", "frames": 8]],
        ]
    }

    @Test func theWebhookCarriesTheVideoAndRangesReassembleTheClip() async throws {
        let receiver = try WebhookReceiver()
        let live = try LiveServer { $0.speed = 0 }
        var body = Self.body
        body["extra"] = ["webhook": ["url": receiver.url]]
        let submitted = try await live.send(
            "POST", "/v3/async/txt2video", body: try JSONSerialization.data(withJSONObject: body))
        let id = try #require(submitted.json?["task_id"] as? String)
        try await receiver.waitFor(count: 1)
        let payload = try #require(receiver.payloads().first?["payload"] as? [String: Any])
        #expect((payload["task"] as? [String: Any])?["task_id"] as? String == id)
        #expect((payload["images"] as? [Any])?.isEmpty == true)
        let video = try #require((payload["videos"] as? [[String: Any]])?.first)
        #expect(video["video_type"] as? String == "mp4")
        let url = try #require(video["video_url"] as? String)

        let whole = try await live.send("GET", url, key: nil)
        let total = whole.body.count
        #expect(total > 1000)
        var pieces = Data()
        var start = 0
        while start < total {
            let end = min(total, start + 4096) - 1
            let part = try await live.send("GET", url, key: nil, headers: ["Range": "bytes=\(start)-\(end)"])
            #expect(part.status == 206)
            pieces.append(part.body)
            start = end + 1
        }
        #expect(pieces == whole.body)
    }
}
