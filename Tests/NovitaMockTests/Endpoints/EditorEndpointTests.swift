import Foundation
import ImageCodecs
import Testing

@testable import NovitaMock

/// The synchronous editors and their asynchronous twin through the router: validation from the
/// definitions, answers in the documented shapes, outputs that decode to what was asked.
@Suite("Editor endpoints")
struct EditorEndpointTests {
    static let image = Base64.encode(Fixtures.pngImage(width: 64, height: 48))

    static func mask(width: Int = 64, height: Int = 48) -> String {
        var pixels = PixelBuffer(width: width, height: height)
        for y in 0..<height {
            for x in width / 4..<width / 2 {
                let i = (y * width + x) * 3
                pixels.rgb[i] = 255
                pixels.rgb[i + 1] = 255
                pixels.rgb[i + 2] = 255
            }
        }
        return Base64.encode(try! ImageEncoder.encode(pixels, as: .png, parameters: ""))
    }

    static func post(_ harness: ServiceHarness, _ path: String, _ body: JSONValue, strict: Bool = false)
        -> ServiceHarness.Reply
    {
        harness.request(
            "POST", path, body: JSONWriter.serialize(body), headers: strict ? [("X-Mock-Strict", "true")] : [])
    }

    static func decoded(_ reply: ServiceHarness.Reply) throws -> (ImageHeader, PixelBuffer) {
        let text = try #require(reply.object?["image_file"]?.stringValue, "\(reply.message ?? "no image_file")")
        let bytes = try #require(try Base64.decode(Substring(text).utf8, maxBytes: 1 << 26))
        return (
            try ImageInspector.inspect(bytes, maxPixels: 1 << 24), try ImageDecoder.decode(bytes, maxPixels: 1 << 24)
        )
    }

    struct EditorCase: Sendable, CustomTestStringConvertible {
        let path: String
        let body: JSONObject
        let width: Int
        let height: Int
        var testDescription: String { path }
    }

    static let editorCases: [EditorCase] = {
        let image = JSONValue.string(Self.image)
        let outpainting: JSONObject = [
            "image_file": image, "prompt": "hills", "width": 128, "height": 96, "center_x": 0, "center_y": 0,
        ]
        return [
            EditorCase(
                path: "/v3/cleanup", body: ["image_file": image, "mask_file": .string(mask())], width: 64, height: 48),
            EditorCase(path: "/v3/remove-background", body: ["image_file": image], width: 64, height: 48),
            EditorCase(
                path: "/v3/replace-background", body: ["image_file": image, "prompt": "in a warehouse"], width: 64,
                height: 48),
            EditorCase(path: "/v3/remove-text", body: ["image_file": image], width: 64, height: 48),
            EditorCase(
                path: "/v3/merge-face", body: ["image_file": image, "face_image_file": image], width: 64, height: 48),
            EditorCase(path: "/v3/reimagine", body: ["image_file": image], width: 64, height: 48),
            EditorCase(path: "/v3/outpainting", body: outpainting, width: 128, height: 96),
        ]
    }()

    @Test(arguments: editorCases)
    func eachEditorAnswersAnImageOfTheRightSizeAndFormat(_ editor: EditorCase) throws {
        let (path, body, width, height) = (editor.path, editor.body, editor.width, editor.height)
        let harness = ServiceHarness()
        for format in ["png", "jpeg", "webp"] {
            var request = body
            request["extra"] = ["response_image_type": .string(format)]
            let reply = Self.post(harness, path, .object(request))
            #expect(reply.status == 200, "\(path) \(format): \(reply.message ?? "")")
            #expect(reply.object?["image_type"]?.stringValue == format)
            let (header, _) = try Self.decoded(reply)
            #expect(header.format.rawValue == format && header.width == width && header.height == height, "\(path)")
        }
        // The same request gives the same bytes.
        let first = Self.post(harness, path, .object(body)).object?["image_file"]
        #expect(first != nil && first == Self.post(harness, path, .object(body)).object?["image_file"])
    }

    @Test func img2promptAnswersAPrompt() throws {
        let reply = Self.post(ServiceHarness(), "/v3/img2prompt", ["image_file": .string(Self.image)])
        #expect(reply.status == 200)
        let prompt = try #require(reply.object?["prompt"]?.stringValue)
        #expect(!prompt.isEmpty && reply.object?.keys == ["prompt"])
    }

    @Test func theEditorsLimitsComeFromTheirDefinitions() {
        let harness = ServiceHarness()
        let wrongMask = Self.post(
            harness, "/v3/cleanup", ["image_file": .string(Self.image), "mask_file": .string(Self.mask(width: 32))])
        #expect(wrongMask.status == 400 && wrongMask.metadata["path"] == "mask_file")
        #expect(wrongMask.metadata["expected"] == "an image of the size of image_file (64x48)")

        let webp = Base64.encode(try! ImageEncoder.encode(Fixtures.pngDecodedPixels(), as: .webp, parameters: ""))
        let refused = Self.post(harness, "/v3/remove-background", ["image_file": .string(webp)])
        #expect(refused.status == 400 && refused.metadata["expected"] == "a PNG or JPEG image")

        let big = Base64.encode(Fixtures.pngImage(width: 1100, height: 16))
        let tooWide = Self.post(harness, "/v3/remove-text", ["image_file": .string(big)])
        #expect(tooWide.status == 400 && tooWide.metadata["actual"] == "1100x16 pixels")

        let small = Self.post(
            harness, "/v3/outpainting",
            ["image_file": .string(Self.image), "prompt": "p", "width": 64, "height": 96, "center_x": 90])
        #expect(small.status == 400)
        #expect(small.metadata["violations"]?.contains("width: must be an integer larger than the width") == true)
        #expect(small.metadata["violations"]?.contains("center_x: must be an integer in [-64, 64]") == true)

        let noPrompt = Self.post(harness, "/v3/replace-background", ["image_file": .string(Self.image)])
        #expect(noPrompt.status == 400 && noPrompt.metadata["path"] == "prompt")
    }

    @Test func outpaintingsPromptIsFilledInCompatAndRequiredInStrict() {
        let harness = ServiceHarness()
        let body: JSONValue = ["image_file": .string(Self.image), "width": 128, "height": 96]
        let compat = Self.post(harness, "/v3/outpainting", body)
        #expect(compat.status == 200)
        #expect(compat.header("X-Mock-Warnings")?.contains("prompt: missing, SDK default \"\" applied") == true)
        let strict = Self.post(harness, "/v3/outpainting", body, strict: true)
        #expect(strict.status == 400 && strict.metadata["path"] == "prompt")
    }

    @Test func aSyncCallTakesItsModelledTimeAndXMockDurationMsOverridesIt() {
        let definition = EndpointCatalog.builtIn.definition(method: "POST", path: "/v3/cleanup")!
        func editors(speed: Double, clock: MockClock.Mode = .real) -> EditorController {
            EditorController(authenticator: Authenticator(apiKeys: nil), clock: MockClock(mode: clock), speed: speed)
        }
        #expect(editors(speed: 1).modelledMilliseconds(definition, megapixels: 1, timing: TimingOverrides()) == 1200)
        #expect(
            editors(speed: 1).modelledMilliseconds(definition, megapixels: 1, timing: TimingOverrides(processingMs: 5))
                == 5)
        #expect(editors(speed: 4).modelledMilliseconds(definition, megapixels: 1, timing: TimingOverrides()) == 300)
        #expect(editors(speed: 0).modelledMilliseconds(definition, megapixels: 1, timing: TimingOverrides()) == 0)
        #expect(
            editors(speed: 1, clock: .virtual).modelledMilliseconds(
                definition, megapixels: 1, timing: TimingOverrides())
                == 0)
    }

    @Test func theAsyncReplaceBackgroundIsATaskWithTheEditorsPixels() throws {
        let harness = ServiceHarness { $0.speed = 0 }
        let body: JSONValue = [
            "image_file": .string(Self.image), "prompt": "a beach sunset", "extra": ["response_image_type": "png"],
        ]
        let submitted = Self.post(harness, "/v3/async/replace-background", body)
        #expect(submitted.status == 200, "\(submitted.message ?? "")")
        let id = try #require(submitted.object?["task_id"]?.stringValue)
        let result = harness.result(id).object
        #expect(result?["task"]?.objectValue?["task_type"]?.stringValue == "REPLACE_BACKGROUND")
        #expect(result?["task"]?.objectValue?["status"]?.stringValue == "TASK_STATUS_SUCCEED")
        let url = try #require(harness.imageURLs(id).first)
        let bytes = harness.download(url).bodyBytes
        let header = try ImageInspector.inspect(bytes, maxPixels: 1 << 24)
        #expect(header.width == 64 && header.height == 48 && header.format == .png)
        // The same pixels the synchronous endpoint gives for the same input and prompt.
        let sync = Self.post(
            harness, "/v3/replace-background", ["image_file": .string(Self.image), "prompt": "a beach sunset"])
        let (_, syncPixels) = try Self.decoded(sync)
        let taskPixels = try ImageDecoder.decode(bytes, maxPixels: 1 << 24)
        #expect(syncPixels.width == taskPixels.width && syncPixels.height == taskPixels.height)
    }
}
