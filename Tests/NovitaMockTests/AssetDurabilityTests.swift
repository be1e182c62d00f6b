import Foundation
import ImageCodecs
import OutboundHTTP
import Testing

@testable import NovitaMock

/// The assets host with `--state-dir`, against the real binary: every id answered before a
/// `kill -9` is still usable after the restart (docs/contract.md §13.1).
@Suite("Assets survive kill -9 with --state-dir")
struct AssetDurabilityTests {
    static func put(_ port: Int, _ bytes: Data) async throws -> (Int, String?) {
        let response = try await LiveServer.exchange(
            "PUT", "http://127.0.0.1:\(port)/image",
            headers: [("Content-Type", "image/png"), ("Authorization", "Bearer durable")], body: bytes)
        let id =
            (try? JSONSerialization.jsonObject(with: Data(response.body)) as? [String: Any])?["assets_id"] as? String
        return (response.status, id)
    }

    static func instantID(_ port: Int, face id: String) async throws -> Int {
        let body = try JSONSerialization.data(withJSONObject: [
            "model_name": "sdxlUnstableDiffusers_v8HEAVENSWRATH_133813.safetensors",
            "face_image_assets_ids": [id], "ref_image_assets_ids": [id], "prompt": "a portrait", "width": 128,
            "height": 128, "image_num": 1, "steps": 20, "guidance_scale": 5, "sampler_name": "Euler",
        ])
        let response = try await LiveServer.exchange(
            "POST", "http://127.0.0.1:\(port)/v3/async/instant-id",
            headers: [("Content-Type", "application/json"), ("Authorization", "Bearer durable")], body: body,
            timeoutSeconds: 10)
        return response.status
    }

    @Test func everyAnsweredAssetIdSurvivesSIGKILL() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent(
            "novita-assets-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: directory) }
        let first = try MockProcess(["--state-dir", directory.path, "--speed", "0"])
        let answered = LockedIDs()
        let port = first.port
        // Distinct pictures (so distinct ids) from 2 clients; kill -9 while they upload.
        let load = Task {
            await withTaskGroup(of: Void.self) { group in
                for client in 0..<2 {
                    group.addTask {
                        for n in 0..<200 {
                            var pixels = PixelBuffer(width: 16, height: 16)
                            pixels.rgb[0] = UInt8(n % 256)
                            pixels.rgb[1] = UInt8(client)
                            let png = try! ImageEncoder.encode(pixels, as: .png, parameters: "")
                            // A slow or refused request (a busy machine, or after the kill) is skipped,
                            // not the end of this client: refused ones fail at once.
                            if let (status, id) = try? await Self.put(port, Data(png)), status == 200, let id {
                                answered.add(id)
                            }
                        }
                    }
                }
            }
        }
        let deadline = ContinuousClock.now + .seconds(90)
        while answered.all.count < 20 && ContinuousClock.now < deadline {
            try await Task.sleep(for: .milliseconds(10))
        }
        first.kill9()
        await load.value
        let ids = answered.all
        #expect(ids.count >= 20, "uploads should have been answered before the kill")

        let second = try MockProcess(["--state-dir", directory.path, "--speed", "0"])
        defer { _ = second.terminate() }
        var lost: [String] = []
        for id in ids where try await Self.instantID(second.port, face: id) != 200 { lost.append(id) }
        #expect(lost.isEmpty, "\(lost.count) of \(ids.count) answered assets were lost")
        // And an id never answered is still refused.
        #expect(try await Self.instantID(second.port, face: "0123456789abcdef") == 400)
    }
}
