import Foundation
import ImageCodecs
import Testing

@testable import NovitaMock

/// One boundary of one rule: a change to the minimal valid body, and the path it must be
/// refused at (nil: it must pass).
struct RuleCase: CustomTestStringConvertible, Sendable {
    let name: String
    let request: [String: JSONValue?]
    let extra: JSONValue?
    let failingPath: String?

    init(_ name: String, _ request: [String: JSONValue?] = [:], extra: JSONValue? = nil, fails path: String? = nil) {
        self.name = name
        self.request = request
        self.extra = extra
        failingPath = path
    }

    var testDescription: String { name }
}

let longText = String(repeating: "a", count: 1024)
let tooLongText = String(repeating: "a", count: 1025)
let image = JSONValue.string("$PNG")

let ruleCases: [RuleCase] = [
    RuleCase("minimal body passes"),
    // width / height 128…2048
    RuleCase("width 127", ["width": 127], fails: "request.width"),
    RuleCase("width 128", ["width": 128]),
    RuleCase("width 2048", ["width": 2048]),
    RuleCase("width 2049", ["width": 2049], fails: "request.width"),
    RuleCase("width 512.0 is an integer", ["width": 512.0]),
    RuleCase("width 512.5", ["width": 512.5], fails: "request.width"),
    RuleCase("width as a string", ["width": "512"], fails: "request.width"),
    RuleCase("width as a boolean", ["width": true], fails: "request.width"),
    RuleCase("height 127", ["height": 127], fails: "request.height"),
    RuleCase("height 2049", ["height": 2049], fails: "request.height"),
    RuleCase("height 2048", ["height": 2048]),
    // image_num 1…8
    RuleCase("image_num 0", ["image_num": 0], fails: "request.image_num"),
    RuleCase("image_num 1", ["image_num": 1]),
    RuleCase("image_num 8", ["image_num": 8]),
    RuleCase("image_num 9", ["image_num": 9], fails: "request.image_num"),
    // steps 1…100
    RuleCase("steps 0", ["steps": 0], fails: "request.steps"),
    RuleCase("steps 1", ["steps": 1]),
    RuleCase("steps 100", ["steps": 100]),
    RuleCase("steps 101", ["steps": 101], fails: "request.steps"),
    // guidance_scale 1…30
    RuleCase("guidance_scale 0.99", ["guidance_scale": 0.99], fails: "request.guidance_scale"),
    RuleCase("guidance_scale 1", ["guidance_scale": 1]),
    RuleCase("guidance_scale 30", ["guidance_scale": 30]),
    RuleCase("guidance_scale 30.01", ["guidance_scale": 30.01], fails: "request.guidance_scale"),
    RuleCase("guidance_scale as a string", ["guidance_scale": "7"], fails: "request.guidance_scale"),
    // prompt 1…1024, negative 0…1024
    RuleCase("prompt empty", ["prompt": ""], fails: "request.prompt"),
    RuleCase("prompt 1024 characters", ["prompt": .string(longText)]),
    RuleCase("prompt 1025 characters", ["prompt": .string(tooLongText)], fails: "request.prompt"),
    RuleCase("prompt 1024 emoji (scalars)", ["prompt": .string(String(repeating: "😀", count: 1024))]),
    RuleCase("prompt missing", ["prompt": nil], fails: "request.prompt"),
    RuleCase("prompt a number", ["prompt": 5], fails: "request.prompt"),
    RuleCase("negative_prompt empty", ["negative_prompt": ""]),
    RuleCase("negative_prompt 1024", ["negative_prompt": .string(longText)]),
    RuleCase("negative_prompt 1025", ["negative_prompt": .string(tooLongText)], fails: "request.negative_prompt"),
    // model_name, sd_vae non-empty
    RuleCase("model_name empty", ["model_name": ""], fails: "request.model_name"),
    RuleCase("model_name missing", ["model_name": nil], fails: "request.model_name"),
    RuleCase("sd_vae empty", ["sd_vae": ""], fails: "request.sd_vae"),
    RuleCase("sd_vae set", ["sd_vae": "vae-ft-mse-840000.safetensors"]),
    // sampler enum
    RuleCase("sampler DPM++ 2M Karras", ["sampler_name": "DPM++ 2M Karras"]),
    RuleCase("sampler unknown", ["sampler_name": "Euler b"], fails: "request.sampler_name"),
    RuleCase("sampler wrong case", ["sampler_name": "euler a"], fails: "request.sampler_name"),
    // seed −1…4294967295
    RuleCase("seed -2", ["seed": -2], fails: "request.seed"),
    RuleCase("seed -1", ["seed": -1]),
    RuleCase("seed 0", ["seed": 0]),
    RuleCase("seed 4294967295", ["seed": 4_294_967_295]),
    RuleCase("seed 4294967296", ["seed": 4_294_967_296], fails: "request.seed"),
    // clip_skip 1…12
    RuleCase("clip_skip 0", ["clip_skip": 0], fails: "request.clip_skip"),
    RuleCase("clip_skip 1", ["clip_skip": 1]),
    RuleCase("clip_skip 12", ["clip_skip": 12]),
    RuleCase("clip_skip 13", ["clip_skip": 13], fails: "request.clip_skip"),
    // strength 0…1 or null
    RuleCase("strength -0.01", ["strength": -0.01], fails: "request.strength"),
    RuleCase("strength 0", ["strength": 0]),
    RuleCase("strength 1", ["strength": 1]),
    RuleCase("strength 1.01", ["strength": 1.01], fails: "request.strength"),
    RuleCase("strength null", ["strength": .null]),
    // loras ≤ 5, each {model_name, strength 0…1}
    RuleCase("5 loras", ["loras": .array(Array(repeating: ["model_name": "add_detail", "strength": 0.7], count: 5))]),
    RuleCase(
        "6 loras", ["loras": .array(Array(repeating: ["model_name": "add_detail", "strength": 0.7], count: 6))],
        fails: "request.loras"),
    RuleCase("lora strength 1.1", ["loras": [["model_name": "x", "strength": 1.1]]], fails: "request.loras[0].strength"),
    RuleCase("lora without strength", ["loras": [["model_name": "x"]]], fails: "request.loras[0].strength"),
    RuleCase("lora empty name", ["loras": [["model_name": "", "strength": 0.5]]], fails: "request.loras[0].model_name"),
    RuleCase("loras not an array", ["loras": "x"], fails: "request.loras"),
    // embeddings ≤ 5
    RuleCase("5 embeddings", ["embeddings": .array(Array(repeating: ["model_name": "badhandv4_16755.pt"], count: 5))]),
    RuleCase(
        "6 embeddings", ["embeddings": .array(Array(repeating: ["model_name": "badhandv4_16755.pt"], count: 6))],
        fails: "request.embeddings"),
    RuleCase("embedding without name", ["embeddings": [[:]]], fails: "request.embeddings[0].model_name"),
    // controlnet
    RuleCase(
        "controlnet unit",
        ["controlnet": ["units": [["model_name": "control_v11p_sd15_openpose", "image_base64": image, "strength": 0.5, "preprocessor": "openpose"]]]]),
    RuleCase("controlnet without units", ["controlnet": [:]], fails: "request.controlnet.units"),
    RuleCase("controlnet zero units", ["controlnet": ["units": []]], fails: "request.controlnet.units"),
    RuleCase(
        "controlnet unknown model",
        ["controlnet": ["units": [["model_name": "control_v12", "image_base64": image, "strength": 0.5]]]],
        fails: "request.controlnet.units[0].model_name"),
    RuleCase(
        "controlnet unknown preprocessor",
        ["controlnet": ["units": [["model_name": "controlnet-canny-sdxl-1.0", "image_base64": image, "strength": 0.5, "preprocessor": "sobel"]]]],
        fails: "request.controlnet.units[0].preprocessor"),
    RuleCase(
        "controlnet strength 1.5",
        ["controlnet": ["units": [["model_name": "controlnet-canny-sdxl-1.0", "image_base64": image, "strength": 1.5]]]],
        fails: "request.controlnet.units[0].strength"),
    RuleCase(
        "controlnet guidance_start > guidance_end",
        ["controlnet": ["units": [["model_name": "controlnet-canny-sdxl-1.0", "image_base64": image, "strength": 1, "guidance_start": 0.8, "guidance_end": 0.2]]]],
        fails: "request.controlnet.units[0].guidance_end"),
    RuleCase(
        "controlnet guidance 0 and 1",
        ["controlnet": ["units": [["model_name": "controlnet-canny-sdxl-1.0", "image_base64": image, "strength": 1, "guidance_start": 0, "guidance_end": 1]]]]),
    RuleCase(
        "controlnet guidance_end 1.01",
        ["controlnet": ["units": [["model_name": "controlnet-canny-sdxl-1.0", "image_base64": image, "strength": 1, "guidance_end": 1.01]]]],
        fails: "request.controlnet.units[0].guidance_end"),
    RuleCase(
        "controlnet bad image in unit 1",
        ["controlnet": ["units": [
            ["model_name": "controlnet-canny-sdxl-1.0", "image_base64": image, "strength": 1],
            ["model_name": "controlnet-canny-sdxl-1.0", "image_base64": "aGVsbG8gd29ybGQ=", "strength": 1],
        ]]],
        fails: "request.controlnet.units[1].image_base64"),
    // ip_adapters ≤ 1
    RuleCase("one ip adapter", ["ip_adapters": [["model_name": "ip-adapter_sd15.bin", "image_base64": image, "strength": 0.6]]]),
    RuleCase(
        "two ip adapters",
        ["ip_adapters": [
            ["model_name": "ip-adapter_sd15.bin", "image_base64": image, "strength": 0.6],
            ["model_name": "ip-adapter_sd15.bin", "image_base64": image, "strength": 0.6],
        ]], fails: "request.ip_adapters"),
    RuleCase(
        "ip adapter unknown model", ["ip_adapters": [["model_name": "ip-adapter.bin", "image_base64": image, "strength": 0.6]]],
        fails: "request.ip_adapters[0].model_name"),
    // image_base64
    RuleCase("image missing", ["image_base64": nil], fails: "request.image_base64"),
    RuleCase("image not base64", ["image_base64": "not base64!"], fails: "request.image_base64"),
    RuleCase("image not an image", ["image_base64": "aGVsbG8gd29ybGQ="], fails: "request.image_base64"),
    RuleCase("image empty", ["image_base64": ""], fails: "request.image_base64"),
    // extra
    RuleCase("response_image_type jpeg", extra: ["response_image_type": "jpeg"]),
    RuleCase("response_image_type webp", extra: ["response_image_type": "webp"]),
    RuleCase("response_image_type gif", extra: ["response_image_type": "gif"], fails: "extra.response_image_type"),
    RuleCase("webhook with url", extra: ["webhook": ["url": "https://example.com/hook"]]),
    RuleCase("webhook without url", extra: ["webhook": [:]], fails: "extra.webhook.url"),
    RuleCase("webhook ftp url", extra: ["webhook": ["url": "ftp://example.com/x"]], fails: "extra.webhook.url"),
    RuleCase("webhook relative url", extra: ["webhook": ["url": "/hook"]], fails: "extra.webhook.url"),
    RuleCase(
        "test_mode complete",
        extra: ["webhook": ["url": "http://127.0.0.1:9/x", "test_mode": ["enabled": true, "return_task_status": "TASK_STATUS_FAILED"]]]),
    RuleCase(
        "test_mode without status", extra: ["webhook": ["url": "http://h/x", "test_mode": ["enabled": true]]],
        fails: "extra.webhook.test_mode.return_task_status"),
    RuleCase(
        "test_mode bad status",
        extra: ["webhook": ["url": "http://h/x", "test_mode": ["enabled": true, "return_task_status": "TASK_STATUS_QUEUED"]]],
        fails: "extra.webhook.test_mode.return_task_status"),
    RuleCase(
        "test_mode enabled not boolean",
        extra: ["webhook": ["url": "http://h/x", "test_mode": ["enabled": "yes", "return_task_status": "TASK_STATUS_SUCCEED"]]],
        fails: "extra.webhook.test_mode.enabled"),
    RuleCase("custom_storage empty", extra: ["custom_storage": [:]]),
    RuleCase("enterprise_plan empty", extra: ["enterprise_plan": [:]]),
    RuleCase("enterprise_plan enabled", extra: ["enterprise_plan": ["enabled": true]]),
    RuleCase("enterprise_plan enabled 1", extra: ["enterprise_plan": ["enabled": 1]], fails: "extra.enterprise_plan.enabled"),
    RuleCase(
        "aws_s3 complete", extra: ["custom_storage": ["aws_s3": ["region": "us-east-1", "bucket": "my-bucket", "path": "out/a"]]]),
    RuleCase(
        "aws_s3 bad bucket", extra: ["custom_storage": ["aws_s3": ["region": "us-east-1", "bucket": "My_Bucket", "path": "out"]]],
        fails: "extra.custom_storage.aws_s3.bucket"),
    RuleCase(
        "aws_s3 bucket too short", extra: ["custom_storage": ["aws_s3": ["region": "us-east-1", "bucket": "ab", "path": "out"]]],
        fails: "extra.custom_storage.aws_s3.bucket"),
    RuleCase(
        "aws_s3 path with ..", extra: ["custom_storage": ["aws_s3": ["region": "us-east-1", "bucket": "bucket", "path": "a/../b"]]],
        fails: "extra.custom_storage.aws_s3.path"),
    RuleCase(
        "aws_s3 without region", extra: ["custom_storage": ["aws_s3": ["bucket": "bucket", "path": "a"]]],
        fails: "extra.custom_storage.aws_s3.region"),
    RuleCase("nsfw level 0", extra: ["enable_nsfw_detection": true, "nsfw_detection_level": 0]),
    RuleCase("nsfw level 2", extra: ["enable_nsfw_detection": true, "nsfw_detection_level": 2]),
    RuleCase("nsfw level 3", extra: ["nsfw_detection_level": 3], fails: "extra.nsfw_detection_level"),
    RuleCase("nsfw level -1", extra: ["nsfw_detection_level": -1], fails: "extra.nsfw_detection_level"),
    RuleCase("nsfw detection a string", extra: ["enable_nsfw_detection": "true"], fails: "extra.enable_nsfw_detection"),
    RuleCase("extra not an object", extra: "png", fails: "extra"),
]

@Suite("Request rules (router level)")
struct ValidationTests {
    let harness = ServiceHarness()

    @Test(arguments: ruleCases)
    func rule(_ rule: RuleCase) throws {
        let reply = harness.submit(Fixtures.body(rule.request, extra: rule.extra))
        if let path = rule.failingPath {
            #expect(reply.status == 400)
            #expect(reply.reason == "INVALID_REQUEST_BODY")
            #expect(reply.metadata["path"] == path, "\(reply.message ?? "")")
            #expect(reply.message?.hasPrefix("\(path): must be ") == true, "\(reply.message ?? "")")
            #expect(reply.object?["code"]?.integerValue == 400)
        } else {
            #expect(reply.status == 200, "\(reply.message ?? "")")
            #expect(reply.object?.keys == ["task_id"])
        }
    }

    @Test func messageNamesPathExpectationAndActual() {
        let reply = harness.submit(Fixtures.body(["width": 64]))
        #expect(reply.message == "request.width: must be an integer in [128, 2048], got 64")
        #expect(reply.metadata["expected"] == "an integer in [128, 2048]")
        #expect(reply.metadata["actual"] == "64")
        #expect(reply.metadata["violation_count"] == "1")
    }

    @Test func collectsEveryViolationPresentFirstThenMissing() {
        let body: JSONValue = [
            "request": [
                "height": 5000, "model_name": "m", "width": 1, "image_base64": .string(Fixtures.pngBase64),
                "steps": 0, "image_num": 1, "guidance_scale": 7, "sampler_name": "Euler",
            ]
        ]
        let reply = harness.submit(body)
        #expect(reply.status == 400)
        #expect(reply.metadata["violation_count"] == "4")
        let violations = reply.metadata["violations"]?.components(separatedBy: "; ").map { $0.split(separator: ":")[0] }
        #expect(violations == ["request.height", "request.width", "request.steps", "request.prompt"])
        #expect(reply.metadata["path"] == "request.height")
    }

    @Test func metadataIsStringToStringOnly() {
        let reply = harness.submit(Fixtures.body(["width": 64, "steps": 0]))
        for (_, value) in reply.object?["metadata"]?.objectValue?.entries ?? [] {
            #expect(value.stringValue != nil)
        }
    }

    @Test func successAnswersOnlyTheTaskID() throws {
        let reply = harness.submit(Fixtures.body())
        #expect(reply.status == 200)
        #expect(reply.header("Content-Type") == "application/json")
        let id = try #require(reply.object?["task_id"]?.stringValue)
        let parts = id.split(separator: "-").map(\.count)
        #expect(parts == [8, 4, 4, 4, 12])
        #expect(id == id.lowercased())
        #expect(Array(id)[14] == "4")
    }

    @Test(arguments: [
        ("{\"request\": ", "not valid JSON"),
        ("[1, 2]", "body: must be a JSON object"),
        ("{\"request\": {}, \"request\": {}}", "duplicate key"),
        ("{\"request\": \"x\"}", "request: must be an object"),
        ("{}", "request: must be an object, got nothing"),
        ("{\"request\": null}", "request: must be an object, got null"),
    ])
    func refusesBadEnvelopes(text: String, fragment: String) {
        let reply = harness.request("POST", "/v3/async/img2img", body: Array(text.utf8))
        #expect(reply.status == 400)
        #expect(reply.reason == "INVALID_REQUEST_BODY")
        #expect(reply.message?.contains(fragment) == true, "\(reply.message ?? "")")
    }

    @Test func malformedJSONReportsTheOffset() {
        let reply = harness.request("POST", "/v3/async/img2img", body: Array("{\"request\": {\"a\": tru}}".utf8))
        #expect(reply.metadata["offset"] == "18")
    }

    @Test(arguments: ["text/plain", "application/x-www-form-urlencoded", "multipart/form-data; boundary=x"])
    func refusesNonJSONContentTypes(_ type: String) {
        let reply = harness.request(
            "POST", "/v3/async/img2img", body: JSONWriter.serialize(Fixtures.body()), headers: [("Content-Type", type)])
        #expect(reply.status == 400)
        #expect(reply.message?.contains("Content-Type must be application/json") == true)
    }

    @Test func acceptsJSONWithCharset() {
        let reply = harness.request(
            "POST", "/v3/async/img2img", body: JSONWriter.serialize(Fixtures.body()),
            headers: [("Content-Type", "application/json; charset=utf-8")])
        #expect(reply.status == 200)
    }

    @Test func refusesMissingContentType() {
        let reply = harness.request("POST", "/v3/async/img2img", body: JSONWriter.serialize(Fixtures.body()), json: false)
        #expect(reply.status == 400)
    }
}

@Suite("Image fields")
struct ImageFieldTests {
    let harness = ServiceHarness()

    func pngHeader(width: UInt32, height: UInt32) -> [UInt8] {
        var ihdr: [UInt8] = Array("IHDR".utf8)
        for value in [width, height] { ihdr += withUnsafeBytes(of: value.bigEndian) { Array($0) } }
        ihdr += [8, 2, 0, 0, 0]
        var bytes: [UInt8] = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A, 0, 0, 0, 13]
        bytes += ihdr
        bytes += withUnsafeBytes(of: CRC32.checksum(ihdr).bigEndian) { Array($0) }
        bytes += Array(repeating: 0, count: 200 - bytes.count)
        return bytes
    }

    @Test func refusesAHeaderThatClaims65535Squared() {
        let reply = harness.submit(Fixtures.body(["image_base64": .string(Base64.encode(pngHeader(width: 65535, height: 65535)))]))
        #expect(reply.status == 400)
        #expect(reply.metadata["path"] == "request.image_base64")
        #expect(reply.message?.contains("65535x65535") == true, "\(reply.message ?? "")")
    }

    @Test func refuses4097Squared() {
        let reply = harness.submit(Fixtures.body(["image_base64": .string(Base64.encode(pngHeader(width: 4097, height: 4097)))]))
        #expect(reply.status == 400)
        #expect(reply.message?.contains("16777216 pixels") == true, "\(reply.message ?? "")")
    }

    @Test func refusesMoreThan10MiB() {
        let big = [UInt8](repeating: 0x41, count: 10 * 1024 * 1024 + 1)
        let reply = harness.submit(Fixtures.body(["image_base64": .string(Base64.encode(big))]))
        #expect(reply.status == 400)
        #expect(reply.message?.contains("at most 10485760 bytes") == true, "\(reply.message ?? "")")
    }

    @Test func refusesATruncatedPNG() {
        let png = Fixtures.pngImage()
        let reply = harness.submit(Fixtures.body(["image_base64": .string(Base64.encode(Array(png.prefix(png.count - 20))))]))
        #expect(reply.status == 400)
        #expect(reply.metadata["path"] == "request.image_base64")
    }

    @Test func toleratesWhitespaceAndMissingPadding() {
        var text = Fixtures.pngBase64
        while text.hasSuffix("=") { text.removeLast() }
        let wrapped = stride(from: 0, to: text.count, by: 76).map { offset -> String in
            let start = text.index(text.startIndex, offsetBy: offset)
            let end = text.index(start, offsetBy: min(76, text.count - offset))
            return String(text[start..<end])
        }.joined(separator: "\r\n")
        #expect(harness.submit(Fixtures.body(["image_base64": .string(wrapped)])).status == 200)
    }

    @Test func dataURLPrefixIsAWarningInCompatAndAViolationInStrict() {
        let body = Fixtures.body(["image_base64": .string("data:image/png;base64," + Fixtures.pngBase64)])
        let compat = harness.submit(body)
        #expect(compat.status == 200)
        #expect(compat.header("X-Mock-Warnings")?.contains("request.image_base64: data: URL prefix stripped") == true)
        let strict = harness.submit(body, headers: [("X-Mock-Strict", "true")])
        #expect(strict.status == 400)
        #expect(strict.metadata["path"] == "request.image_base64")
    }
}

/// The bitwise CRC-32 of PNG chunks, for building headers by hand in tests.
enum CRC32 {
    static func checksum(_ bytes: [UInt8]) -> UInt32 {
        var crc: UInt32 = 0xFFFF_FFFF
        for byte in bytes {
            crc ^= UInt32(byte)
            for _ in 0..<8 { crc = crc & 1 == 1 ? (crc >> 1) ^ 0xEDB8_8320 : crc >> 1 }
        }
        return ~crc
    }
}

@Test(.enabled(if: ProcessInfo.processInfo.environment["DUMP_FIXTURES"] == "1"))
func dumpRuleCases() throws {
    let dir = OpenAPITests.repositoryRoot.appendingPathComponent("fixtures/requests")
    try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    for (i, rule) in ruleCases.enumerated() {
        var request: JSONObject = Fixtures.body().objectValue!["request"]!.objectValue!
        request["image_base64"] = "$PNG"
        for (key, value) in rule.request.sorted(by: { $0.key < $1.key }) { request[key] = value }
        var body: JSONObject = ["request": .object(request)]
        if let extra = rule.extra { body["extra"] = extra }
        let expect: JSONValue = rule.failingPath.map { ["status": 400, "path": .string($0)] } ?? ["status": 200]
        let file: JSONValue = ["name": .string(rule.name), "expect": expect, "body": .object(body)]
        let slug = rule.name.lowercased().map { $0.isLetter || $0.isNumber ? $0 : "-" }
        let name = String(format: "%03d-", i) + String(slug).split(separator: "-").joined(separator: "-") + ".json"
        try Data(JSONWriter.serialize(file) + [0x0A]).write(to: dir.appendingPathComponent(name))
    }
}
