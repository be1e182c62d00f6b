import Foundation
import Testing

@testable import NovitaMock

@Suite("Compat and strict modes")
struct CompatModeTests {
    /// What the official Python SDK (novita-client 0.7.1) sends for an img2img call that sets only
    /// model, image, prompt and size: explicit nulls, `steps: null`, an unknown `request.extra`.
    static let sdkBody: JSONValue = [
        "extra": [
            "response_image_type": "png", "webhook": nil, "custom_storage": [:], "enterprise_plan": [:],
            "enable_nsfw_detection": nil, "nsfw_detection_level": nil,
        ],
        "request": [
            "model_name": "dreamshaper_8_93211.safetensors", "image_base64": .string(Fixtures.pngBase64),
            "prompt": "a cat", "negative_prompt": nil, "sd_vae": nil, "loras": nil, "embeddings": nil,
            "controlnet": nil, "ip_adapters": nil, "width": 512, "height": 512, "image_num": 1, "steps": nil,
            "seed": nil, "clip_skip": nil, "guidance_scale": 7.5, "sampler_name": "Euler a", "strength": nil,
            "extra": [:],
        ],
    ]

    @Test func sdkBodyPassesInCompatWithEveryToleranceListed() throws {
        let harness = ServiceHarness()
        let reply = harness.submit(Self.sdkBody)
        #expect(reply.status == 200, "\(reply.message ?? "")")
        let warnings = try #require(reply.header("X-Mock-Warnings")).components(separatedBy: "; ")
        #expect(warnings.contains("request.steps: null, SDK default 20 applied"))
        #expect(warnings.contains("request.extra: unknown field ignored"))
        #expect(warnings.contains("request.negative_prompt: null treated as absent"))
        #expect(warnings.contains("extra.webhook: null treated as absent"))
        #expect(!warnings.contains { $0.hasPrefix("request.strength") }, "strength is documented number|null")
    }

    @Test func sdkBodyFailsInStrictNamingEveryViolation() {
        let harness = ServiceHarness { $0.strict = true }
        let reply = harness.submit(Self.sdkBody)
        #expect(reply.status == 400)
        let paths = (reply.metadata["violations"] ?? "").components(separatedBy: "; ").map {
            String($0.split(separator: ":")[0])
        }
        #expect(
            paths == [
                "extra.webhook", "extra.enable_nsfw_detection", "extra.nsfw_detection_level",
                "request.negative_prompt", "request.sd_vae", "request.loras", "request.embeddings",
                "request.controlnet", "request.ip_adapters", "request.steps", "request.seed", "request.clip_skip",
                "request.extra",
            ])
        #expect(reply.metadata["violation_count"] == "13")
    }

    @Test func strictHeaderTurnsStrictModeOnPerRequest() {
        let harness = ServiceHarness()
        #expect(harness.submit(Self.sdkBody, headers: [("X-Mock-Strict", "true")]).status == 400)
        #expect(harness.submit(Self.sdkBody).status == 200)
    }

    @Test func missingStepsGetsTheSDKDefaultInCompatOnly() throws {
        let body = Fixtures.body(["steps": nil, "width": nil, "sampler_name": nil])
        let harness = ServiceHarness()
        let reply = harness.submit(body)
        #expect(reply.status == 200)
        #expect(reply.header("X-Mock-Warnings")?.contains("request.steps: missing, SDK default 20 applied") == true)
        let strict = harness.submit(body, headers: [("X-Mock-Strict", "true")])
        #expect(strict.status == 400)
        #expect(
            strict.metadata["violations"]?.contains("request.width: must be an integer in [128, 2048], got nothing")
                == true)
    }

    @Test func requiredFieldsWithoutSDKDefaultAreRequiredInBothModes() {
        let harness = ServiceHarness()
        for field in ["model_name", "image_base64", "prompt"] {
            let reply = harness.submit(Fixtures.body([field: .null]))
            #expect(reply.status == 400)
            #expect(reply.metadata["path"] == "request.\(field)")
        }
    }

    @Test func unknownKeysAreViolationsInStrict() {
        let harness = ServiceHarness { $0.strict = true }
        let reply = harness.submit(Fixtures.body(["colour": "red"]))
        #expect(reply.status == 400)
        #expect(reply.message == "request.colour: must be absent (not a documented field), got \"red\"")
    }

    @Test func extraNullIsFineInStrict() {
        let harness = ServiceHarness { $0.strict = true }
        var body = Fixtures.body().objectValue!
        body["extra"] = .null
        #expect(harness.submit(.object(body)).status == 200)
    }
}
