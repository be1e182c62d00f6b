import Foundation
import ImageCodecs
import Testing

@testable import NovitaMock

@Suite("txt2img and upscale end to end")
struct OtherEndpointsTests {
    func finish(_ live: LiveServer, _ path: String, _ body: [String: Any]) async throws -> [String: Any] {
        let reply = try await live.send("POST", path, body: try JSONSerialization.data(withJSONObject: body))
        #expect(reply.status == 200, "\(reply.message ?? "")")
        let id = try #require(reply.json?["task_id"] as? String)
        return try await live.waitFinished(id)
    }

    func download(_ live: LiveServer, _ result: [String: Any]) async throws -> [UInt8] {
        let url = try #require((result["images"] as? [[String: Any]])?.first?["image_url"] as? String)
        let reply = try await live.send("GET", url, key: nil)
        #expect(reply.status == 200)
        return Array(reply.body)
    }

    @Test func txt2imgRunsThroughTheLoopWithHiresFixSize() async throws {
        let live = try LiveServer { $0.speed = 50 }
        let request: [String: Any] = [
            "model_name": "sd_xl_base_1.0.safetensors", "prompt": "a lighthouse at dusk", "width": 512, "height": 384,
            "image_num": 1, "steps": 20, "seed": 7, "guidance_scale": 7, "sampler_name": "DPM++ 2M Karras",
            "clip_skip": 2, "hires_fix": ["target_width": 768, "target_height": 576, "upscaler": "Latent"],
        ]
        let result = try await finish(
            live, "/v3/async/txt2img", ["request": request, "extra": ["response_image_type": "webp"]])
        let task = try #require(result["task"] as? [String: Any])
        #expect(task["task_type"] as? String == "TXT_TO_IMG")
        #expect((result["extra"] as? [String: Any])?["seed"] as? String == "7")
        let bytes = try await download(live, result)
        let header = try ImageInspector.inspect(bytes, maxPixels: 1 << 24)
        #expect(header.format == .webp && header.width == 768 && header.height == 576)
        let text = try #require(ImageMetadataReader.parameters(in: bytes))
        #expect(text.hasPrefix("a lighthouse at dusk\nSteps: 20, Sampler: DPM++ 2M Karras"))
        #expect(!text.contains("Denoising strength"))
    }

    @Test func upscaleResizesTheInputByTheFactor() async throws {
        let live = try LiveServer { $0.speed = 50 }
        let input = Fixtures.pngImage(width: 200, height: 150)
        let request: [String: Any] = [
            "model_name": "RealESRGAN_x4plus_anime_6B", "image_base64": Base64.encode(input), "scale_factor": 2.5,
        ]
        let result = try await finish(live, "/v3/async/upscale", ["request": request])
        let task = try #require(result["task"] as? [String: Any])
        #expect(task["task_type"] as? String == "UPSCALE")
        #expect((result["extra"] as? [String: Any])?["seed"] == nil, "the real upscale result carries no seed")
        let bytes = try await download(live, result)
        let decoded = try ImageDecoder.decode(bytes, maxPixels: 1 << 24)
        #expect(decoded.width == 500 && decoded.height == 375)
        #expect(
            ImageMetadataReader.parameters(in: bytes)
                == "Upscaler: RealESRGAN_x4plus_anime_6B, Scale: 2.5, Size: 500x375")
        // The picture is the input, enlarged: compare a pixel away from the caption band.
        let original = try ImageDecoder.decode(input, maxPixels: 1 << 24)
        let (x, y) = (20, 20)
        let o = (y * original.width + x) * 3
        let u = (Int(Double(y) * 2.5) * decoded.width + Int(Double(x) * 2.5)) * 3
        for channel in 0..<3 {
            #expect(abs(Int(original.rgb[o + channel]) - Int(decoded.rgb[u + channel])) < 24)
        }
    }

    @Test func upscaleRefusesInputsLargerThan2048() async throws {
        let live = try LiveServer()
        let big = Fixtures.pngImage(width: 2049, height: 16)
        let request: [String: Any] = [
            "model_name": "4x-UltraSharp", "image_base64": Base64.encode(big), "scale_factor": 2,
        ]
        let reply = try await live.send(
            "POST", "/v3/async/upscale", body: try JSONSerialization.data(withJSONObject: ["request": request]))
        #expect(reply.status == 400)
        #expect(reply.metadata["path"] == "request.image_base64")
        #expect(reply.message?.contains("2048x2048") == true)
    }
}
