import ImageCodecs
import Testing

@testable import NovitaMock

/// The third-party image models (docs/contract.md §12): every definition's documented example is
/// accepted and yields an image of the size the request implies, through the endpoint's own
/// answer shape; editors fetch their inputs and visibly derive from them.
@Suite("Third-party image endpoints")
struct ThirdPartyImageTests {
    /// The image every `"<image url>"` of an example stands for.
    static let inputWidth = 160
    static let inputHeight = 120
    static let inputURL = "data:image/png;base64," + Base64.encode(Fixtures.pngImage(width: 160, height: 120))

    /// What each example implies, worked out by hand from the surface file's rules (not from the
    /// code): the size and format of its one image.
    static let expected: [String: (width: Int, height: Int, format: ImageFormat)] = [
        "/v3beta/flux-1-schnell": (512, 512, .png),
        "/v3/async/flux-1-kontext-dev": (1024, 768, .jpeg),
        // 16:9 at about one megapixel, sides in multiples of 16.
        "/v3/async/flux-1-kontext-pro": (1360, 768, .png),
        "/v3/async/flux-1-kontext-max": (1024, 1024, .png),
        "/v3/async/flux-2-dev": (1024, 1024, .png),
        "/v3/async/flux-2-flex": (768, 1344, .png),
        "/v3/async/flux-2-pro": (1536, 1024, .png),
        "/v3/seedream-3-0-txt2img": (1152, 864, .png),
        "/v3/seedream-4.0": (1024, 1024, .png),
        "/v3/seedream-4.5": (2560, 1440, .png),
        "/v3/seedream-5.0-lite": (2048, 2048, .png),
        "/v3/async/qwen-image-txt2img": (1536, 1024, .png),
        // No size field: the input's own.
        "/v3/async/qwen-image-edit": (160, 120, .jpeg),
        "/v3/async/hunyuan-image-3": (1024, 768, .png),
        "/v3/async/glm-image": (1568, 1056, .png),
        "/v3/async/z-image-turbo": (768, 1024, .png),
        "/v3/async/z-image-turbo-lora": (1024, 576, .png),
    ]

    static let definitions = EndpointCatalog.builtIn.definitions.filter { $0.operation == ThirdPartyImage.operation }

    static func example(_ definition: EndpointDefinition) -> JSONValue? {
        definition.example?.replacingStrings { _, value in
            value == OpenAPIDocument.imageURLPlaceholder ? inputURL : nil
        }
    }

    static func post(_ harness: ServiceHarness, _ path: String, _ body: JSONValue, strict: Bool = false)
        -> ServiceHarness.Reply
    {
        harness.request(
            "POST", path, body: JSONWriter.serialize(body), headers: strict ? [("X-Mock-Strict", "true")] : [])
    }

    /// Runs a request to its images: the inline answer of a sync endpoint, or the task of an
    /// async one driven to its end on the virtual clock. Returns the encoded images.
    static func images(_ harness: ServiceHarness, _ definition: EndpointDefinition, _ body: JSONValue) throws
        -> [[UInt8]]
    {
        let reply = post(harness, definition.path, body)
        try #require(reply.status == 200, "\(definition.path): \(reply.message ?? "")")
        let answer = try #require(reply.object)
        var urls: [String] = []
        switch definition.mode {
        case .async:
            let id = try #require(answer["task_id"]?.stringValue)
            harness.advance(300_000)
            let task = harness.result(id).object?["task"]?.objectValue
            try #require(task?["status"]?.stringValue == "TASK_STATUS_SUCCEED", "\(task?["reason"] ?? "")")
            urls = harness.imageURLs(id)
        case .syncTaskImages:
            let images = try #require(answer["images"]?.arrayValue)
            for image in images {
                #expect(image.objectValue?["image_url_ttl"] == .number(JSONNumber(604_800)))
                urls.append(try #require(image.objectValue?["image_url"]?.stringValue))
            }
            let id = try #require(answer["task"]?.objectValue?["task_id"]?.stringValue)
            #expect(harness.status(id) == "TASK_STATUS_SUCCEED")
        case .syncURLs:
            urls = try #require(answer["images"]?.arrayValue).compactMap(\.stringValue)
        case .syncImageURLs:
            let inline = try #require(answer["binary_data_base64"]?.arrayValue)
            urls = try #require(answer["image_urls"]?.arrayValue).compactMap(\.stringValue)
            if !inline.isEmpty {
                return try inline.map { item in
                    try #require(try Base64.decode(Substring(item.stringValue ?? "").utf8, maxBytes: 1 << 27))
                }
            }
        default:
            Issue.record("\(definition.path): mode \(definition.mode.rawValue) is not a third-party mode")
        }
        return try urls.map { url in
            let download = harness.download(url)
            try #require(download.status == 200, "\(url): \(download.status)")
            return download.bodyBytes
        }
    }

    @Test func everyThirdPartyDefinitionHasAnExampleAndAnExpectation() {
        #expect(Self.definitions.count == 17)
        for definition in Self.definitions {
            #expect(definition.example != nil, "\(definition.path) has no example")
            #expect(Self.expected[definition.path] != nil, "\(definition.path) has no expected size")
        }
    }

    @Test(arguments: definitions.map(\.path))
    func theDocumentedExampleYieldsAnImageOfTheImpliedSize(_ path: String) throws {
        let definition = try #require(Self.definitions.first { $0.path == path })
        let want = try #require(Self.expected[path])
        let body = try #require(Self.example(definition))
        let images = try Self.images(ServiceHarness(), definition, body)
        try #require(images.count == 1, "\(path): \(images.count) images")
        let header = try ImageInspector.inspect(images[0], maxPixels: 1 << 25)
        #expect(
            header.width == want.width && header.height == want.height && header.format == want.format,
            "\(path): \(header.width)x\(header.height) \(header.format.rawValue)")
    }

    @Test func undocumentedTaskTypesFollowTheNamingRuleAndQwensIsItsOwn() {
        let types = Dictionary(uniqueKeysWithValues: Self.definitions.map { ($0.path, $0.taskType ?? "") })
        #expect(types["/v3/async/qwen-image-txt2img"] == "QWEN_IMAGE_TEXT_TO_IMAGE")
        #expect(types["/v3/async/flux-2-pro"] == "FLUX_2_PRO")
        #expect(types["/v3/seedream-4.5"] == "SEEDREAM_4_5")
        #expect(types["/v3beta/flux-1-schnell"] == "FLUX_1_SCHNELL")
    }

    @Test func theTaskReportsItsTaskType() throws {
        let harness = ServiceHarness()
        let reply = Self.post(harness, "/v3/async/flux-2-pro", ["prompt": "a kite", "size": "256*320"])
        let id = try #require(reply.object?["task_id"]?.stringValue)
        harness.advance(300_000)
        let result = harness.result(id).object
        #expect(result?["task"]?.objectValue?["task_type"]?.stringValue == "FLUX_2_PRO")
        // No seed asked for: one drawn; a seed asked for: that one.
        #expect(result?["extra"]?.objectValue?["seed"]?.stringValue?.isEmpty == false)
        let seeded = Self.post(harness, "/v3/async/flux-2-pro", ["prompt": "a kite", "size": "256*320", "seed": 77])
        let seededID = try #require(seeded.object?["task_id"]?.stringValue)
        #expect(harness.result(seededID).object?["extra"]?.objectValue?["seed"]?.stringValue == "77")
    }

    /// A picture whose left half is pure red and right half pure blue.
    static func splitURL() throws -> String {
        var pixels = PixelBuffer(width: 200, height: 100)
        for y in 0..<100 {
            for x in 0..<200 { pixels.rgb[(y * 200 + x) * 3 + (x < 100 ? 0 : 2)] = 255 }
        }
        return "data:image/png;base64," + Base64.encode(try ImageEncoder.encode(pixels, as: .png, parameters: ""))
    }

    /// The mean (r, g, b) of a block of a decoded image.
    static func mean(_ image: PixelBuffer, x: Range<Int>, y: Range<Int>) -> (Int, Int, Int) {
        var sum = (0, 0, 0)
        for row in y {
            for column in x {
                let i = (row * image.width + column) * 3
                sum.0 += Int(image.rgb[i])
                sum.1 += Int(image.rgb[i + 1])
                sum.2 += Int(image.rgb[i + 2])
            }
        }
        let n = max(1, x.count * y.count)
        return (sum.0 / n, sum.1 / n, sum.2 / n)
    }

    @Test(arguments: ["/v3/async/flux-1-kontext-dev", "/v3/seedream-4.0", "/v3/async/qwen-image-edit"])
    func anEditorsOutputVisiblyDerivesFromItsInput(_ path: String) throws {
        let definition = try #require(Self.definitions.first { $0.path == path })
        let url = try Self.splitURL()
        var body: JSONObject = ["prompt": "make it look like stained glass", "seed": 3]
        if path.hasSuffix("qwen-image-edit") {
            body["image"] = .string(url)
        } else {
            body["images"] = [.string(url)]
            body["size"] = .string(path.hasSuffix("seedream-4.0") ? "1024x1024" : "512*256")
        }
        if path.hasSuffix("seedream-4.0") { body["seed"] = nil }
        let images = try Self.images(ServiceHarness(), definition, .object(body))
        let image = try ImageDecoder.decode(try #require(images.first), maxPixels: 1 << 25)
        // Above the caption band: the left is red from the input, the right blue.
        let rows = 0..<(image.height / 3)
        let left = Self.mean(image, x: 0..<(image.width / 3), y: rows)
        let right = Self.mean(image, x: (image.width * 2 / 3)..<image.width, y: rows)
        #expect(left.0 > right.0 + 60 && right.2 > left.2 + 60, "\(path): left \(left), right \(right)")
    }

    @Test func severalInputsStandSideBySide() throws {
        let definition = try #require(Self.definitions.first { $0.path == "/v3/async/flux-2-pro" })
        var red = PixelBuffer(width: 32, height: 32)
        var green = PixelBuffer(width: 32, height: 32)
        for i in 0..<(32 * 32) {
            red.rgb[i * 3] = 255
            green.rgb[i * 3 + 1] = 255
        }
        func url(_ p: PixelBuffer) throws -> JSONValue {
            .string("data:image/png;base64," + Base64.encode(try ImageEncoder.encode(p, as: .png, parameters: "")))
        }
        let body: JSONValue = ["prompt": "merge them", "images": [try url(red), try url(green)], "size": "512*256"]
        let image = try ImageDecoder.decode(
            try #require(try Self.images(ServiceHarness(), definition, body).first), maxPixels: 1 << 25)
        let left = Self.mean(image, x: 0..<200, y: 0..<80)
        let right = Self.mean(image, x: 312..<512, y: 0..<80)
        #expect(left.0 > left.1 + 60 && right.1 > right.0 + 60, "left \(left), right \(right)")
    }

    @Test func anAsyncInputThatCannotBeFetchedFailsTheTaskWithTheReason() throws {
        let harness = ServiceHarness()
        let url = "http://127.0.0.1:1/missing.png"
        let reply = Self.post(harness, "/v3/async/flux-1-kontext-dev", ["prompt": "x", "images": [.string(url)]])
        let id = try #require(reply.object?["task_id"]?.stringValue, "\(reply.message ?? "")")
        harness.advance(300_000)
        let task = try #require(harness.result(id).object?["task"]?.objectValue)
        #expect(task["status"]?.stringValue == "TASK_STATUS_FAILED")
        #expect(task["reason"]?.stringValue?.hasPrefix("failed to fetch \(url): ") == true, "\(task["reason"] ?? "")")
    }

    @Test func aSyncInputThatCannotBeFetchedIsA400() {
        let harness = ServiceHarness()
        let reply = Self.post(harness, "/v3/seedream-4.0", ["prompt": "x", "images": ["http://127.0.0.1:1/gone.png"]])
        #expect(reply.status == 400 && reply.reason == "INVALID_REQUEST_BODY")
        #expect(
            reply.message?.contains("failed to fetch http://127.0.0.1:1/gone.png") == true, "\(reply.message ?? "")")
    }

    @Test(arguments: [
        ("/v3/async/glm-image", "1000x1000"), ("/v3/async/glm-image", "1280*1280"),
        ("/v3/async/glm-image", "1030x1030"),
        ("/v3/seedream-4.5", "1024x1024"), ("/v3/seedream-4.5", "3K"), ("/v3/seedream-4.0", "4096x200"),
        ("/v3/async/qwen-image-txt2img", "2048*2048"), ("/v3/seedream-3-0-txt2img", "256x256"),
    ])
    func aSizeOutsideTheModelsVocabularyIsA400NamingTheField(_ path: String, _ size: String) {
        let reply = Self.post(ServiceHarness(), path, ["prompt": "x", "size": .string(size)])
        #expect(reply.status == 400, "\(path) \(size)")
        #expect(
            reply.message?.hasPrefix("size: ") == true && reply.message?.contains(size) == true,
            "\(reply.message ?? "")")
    }

    @Test func seedream3AnswersBase64WhenAskedAndURLsOtherwise() throws {
        let harness = ServiceHarness()
        let reply = Self.post(
            harness, "/v3/seedream-3-0-txt2img",
            ["prompt": "a boat", "size": "720x1280", "response_format": "b64_json"])
        #expect(reply.object?["image_urls"]?.arrayValue?.isEmpty == true)
        let text = try #require(reply.object?["binary_data_base64"]?.arrayValue?.first?.stringValue)
        let bytes = try #require(try Base64.decode(Substring(text).utf8, maxBytes: 1 << 26))
        let header = try ImageInspector.inspect(bytes, maxPixels: 1 << 24)
        #expect(header.width == 720 && header.height == 1280)
    }

    @Test func fluxSchnellMakesTheImagesAskedForInTheFormatAskedFor() throws {
        let harness = ServiceHarness()
        let reply = Self.post(
            harness, "/v3beta/flux-1-schnell",
            [
                "prompt": "a lantern", "width": 256, "height": 192, "seed": 4_000_000_000, "steps": 4, "image_num": 3,
                "response_image_format": "webp",
            ])
        let images = try #require(reply.object?["images"]?.arrayValue, "\(reply.message ?? "")")
        #expect(images.count == 3)
        for image in images {
            #expect(image.objectValue?["image_type"]?.stringValue == "webp")
            let download = harness.download(image.objectValue?["image_url"]?.stringValue ?? "")
            let header = try ImageInspector.inspect(download.bodyBytes, maxPixels: 1 << 24)
            #expect(header.format == .webp && header.width == 256 && header.height == 192)
        }
        // seed is required here, and -1 is outside its documented range.
        let missing = Self.post(harness, "/v3beta/flux-1-schnell", ["prompt": "x", "width": 64, "height": 64])
        #expect(missing.status == 400 && missing.message?.contains("seed") == true)
    }
}

extension ThirdPartyImageTests {
    @Test func qwensTaskResultHasTheQuirksOfItsDocumentedExample() throws {
        let harness = ServiceHarness { $0.speed = 0 }
        let reply = Self.post(harness, "/v3/async/qwen-image-txt2img", ["prompt": "a poster", "size": "256*256"])
        let id = try #require(reply.object?["task_id"]?.stringValue)
        let result = try #require(harness.result(id).object)
        #expect(result["extra"]?.objectValue?["has_nsfw_contents"] == .array([]))
        #expect(result["images"]?.arrayValue?.first?.objectValue?["image_url_ttl"] == .string("0"))
        // Other models keep the general answer.
        let other = Self.post(harness, "/v3/async/hunyuan-image-3", ["prompt": "a poster", "size": "256*256"])
        let otherID = try #require(other.object?["task_id"]?.stringValue)
        let otherResult = try #require(harness.result(otherID).object)
        #expect(otherResult["extra"]?.objectValue?["has_nsfw_contents"] == nil)
        #expect(otherResult["images"]?.arrayValue?.first?.objectValue?["image_url_ttl"] == .string("3600"))
    }
}

extension ThirdPartyImageTests {
    @Test func kontextsSafetyToleranceTakesTheDocumentedNumberInCompatModeOnly() {
        let harness = ServiceHarness()
        let body: JSONValue = ["prompt": "a hat", "safety_tolerance": 2]
        let compat = Self.post(harness, "/v3/async/flux-1-kontext-pro", body)
        #expect(compat.status == 200, "\(compat.message ?? "")")
        #expect(compat.header(MockWarnings.header)?.contains("safety_tolerance") == true)
        let strict = Self.post(harness, "/v3/async/flux-1-kontext-pro", body, strict: true)
        #expect(strict.status == 400 && strict.metadata["path"] == "safety_tolerance")
        let outOfRange = Self.post(harness, "/v3/async/flux-1-kontext-max", ["prompt": "a hat", "safety_tolerance": 6])
        #expect(outOfRange.status == 400)
    }
}

extension ThirdPartyImageTests {
    static let minimal =
        #""method": "POST", "path": "/v3/async/new-model", "operation_id": "newModel", "summary": "New", "source": "https://example.com", "mode": "async", "operation": "third-party-image""#

    static func load(_ json: String) -> Result<EndpointCatalog, EndpointDefinitionError> {
        do {
            return .success(try EndpointCatalog.load(files: [("new.json", Array(json.utf8))]))
        } catch {
            return .failure(error)
        }
    }

    @Test(arguments: [
        (#"{"name": "size", "type": "size", "min": 1, "max": 9, "separator": "/"}"#, "$.fields[0].separator"),
        (#"{"name": "size", "type": "size", "min": 1, "max": 9, "presets": {"2K": [2048]}}"#, "$.fields[0].presets.2K"),
        (
            #"{"name": "size", "type": "size", "min": 1, "max": 9, "presets": {"H": [8192, 8192]}}"#,
            "$.fields[0].presets.H"
        ),
        (#"{"name": "size", "type": "size", "min": 1, "max": 9, "multiple_of": 0}"#, "$.fields[0].multiple_of"),
        (#"{"name": "size", "type": "size", "min": 1, "max": 9, "max_aspect": 0.5}"#, "$.fields[0].max_aspect"),
    ])
    func aBadSizeRuleStopsTheStartNamingTheKey(_ field: String, _ path: String) {
        guard case .failure(let error) = Self.load("{\(Self.minimal), \"fields\": [\(field)]}") else {
            Issue.record("accepted: \(field)")
            return
        }
        #expect(error.description.contains(path), "\(error.description)")
    }

    @Test func aNewModelIsADefinitionOnly() throws {
        let json = """
            {\(Self.minimal), "fields": [
              {"name": "prompt", "type": "string", "min_length": 1, "required": true},
              {"name": "size", "type": "size", "min": 64, "max": 1024, "separator": "x", "presets": {"S": [96, 64]}}
            ]}
            """
        let catalog = try Self.load(json).get()
        let definition = try #require(catalog.definitions.first { $0.path == "/v3/async/new-model" })
        #expect(definition.taskType == "NEW_MODEL")
        let plan = ThirdPartyImage.plan(definition, request: ["prompt": "x", "size": "S"])
        #expect(plan.width == 96 && plan.height == 64)
        let sized = ThirdPartyImage.plan(definition, request: ["prompt": "x", "size": "640x480"])
        #expect(sized.width == 640 && sized.height == 480)
    }

    @Test func syncAnswersWaitTheModelledTimeUnlessTheClockIsVirtualOrTheSpeedZero() throws {
        let definition = try #require(Self.definitions.first { $0.path == "/v3/seedream-3-0-txt2img" })
        func controller(speed: Double, clock: MockClock.Mode = .real) -> ThirdPartyController {
            let store = ServiceHarness().service.store
            return ThirdPartyController(
                store: store, signer: ImageURLSigner(secret: Array("k".utf8)),
                authenticator: Authenticator(apiKeys: nil), clock: MockClock(mode: clock), speed: speed,
                imageBase: ImageBaseURL(publicURL: nil, host: "127.0.0.1", port: 8080), fetcher: InputImageFetcher())
        }
        let plan = ThirdPartyImage.plan(definition, request: ["prompt": "x", "size": "1000x1000"])
        // 3000 ms base + 1000 ms per output megapixel (1.0 MP).
        #expect(controller(speed: 1).modelledMilliseconds(definition, plan, timing: TimingOverrides()) == 4000)
        #expect(controller(speed: 2).modelledMilliseconds(definition, plan, timing: TimingOverrides()) == 2000)
        #expect(controller(speed: 0).modelledMilliseconds(definition, plan, timing: TimingOverrides()) == 0)
        #expect(
            controller(speed: 1, clock: .virtual).modelledMilliseconds(definition, plan, timing: TimingOverrides()) == 0
        )
        #expect(
            controller(speed: 1).modelledMilliseconds(definition, plan, timing: TimingOverrides(processingMs: 7)) == 7)
    }
}

extension ThirdPartyImageTests {
    @Test func aspectRatiosBecomeAboutOneMegapixelAndStayBounded() throws {
        #expect(try #require(ThirdPartyImage.aspectSize("1:1")) == (1024, 1024))
        #expect(try #require(ThirdPartyImage.aspectSize("16:9")) == (1360, 768))
        #expect(try #require(ThirdPartyImage.aspectSize("9:21")) == (672, 1568))
        // Ratios a definition of one's own might list: clamped, never a crash or a giant.
        #expect(try #require(ThirdPartyImage.aspectSize("1e9:1")) == (4096, 256))
        #expect(ThirdPartyImage.aspectSize("inf:1") == nil)
        #expect(ThirdPartyImage.aspectSize("0:1") == nil)
    }
}
