import Foundation
import ImageCodecs
import Testing

@testable import NovitaMock

/// The native async image endpoints through the router (docs/contract.md §12.4): inpainting's
/// promise about the pixels it keeps, the field forms the SDKs send, and the endpoints that take
/// their images by URL or assets id.
@Suite("Native async image endpoints")
struct NativeImageEndpointTests {
    static let width = 96
    static let height = 64
    static let photo = OperationTestImages.photo(width: width, height: height)
    static let photoPNG = try! ImageEncoder.encode(photo, as: .png, parameters: "")

    /// White in a rectangle and a disc, black elsewhere.
    static func mask(width: Int = width, height: Int = height) -> PixelBuffer {
        var mask = PixelBuffer(width: width, height: height)
        for y in 0..<height {
            for x in 0..<width {
                let inRectangle = x >= 10 && x < 40 && y >= 8 && y < 40
                let inDisc = (x - 70) * (x - 70) + (y - 40) * (y - 40) <= 14 * 14
                if inRectangle || inDisc {
                    let i = (y * width + x) * 3
                    mask.rgb.replaceSubrange(i..<i + 3, with: [255, 255, 255])
                }
            }
        }
        return mask
    }

    static func inpaintingBody(_ overrides: [String: JSONValue] = [:], mask: PixelBuffer = mask()) -> JSONValue {
        var request: JSONObject = [
            "model_name": "realisticVisionV40_v40VAE-inpainting_81543.safetensors",
            "image_base64": .string(Base64.encode(photoPNG)),
            "mask_image_base64": .string(Base64.encode(try! ImageEncoder.encode(mask, as: .png, parameters: ""))),
            "prompt": "a red balloon", "image_num": 1, "steps": 20, "guidance_scale": 7.5, "sampler_name": "Euler a",
            "seed": 42, "mask_blur": 8,
        ]
        for (key, value) in overrides { request[key] = value }
        return ["extra": ["response_image_type": "png"], "request": .object(request)]
    }

    static func post(_ harness: ServiceHarness, _ path: String, _ body: JSONValue, strict: Bool = false)
        -> ServiceHarness.Reply
    {
        harness.request(
            "POST", path, body: JSONWriter.serialize(body), headers: strict ? [("X-Mock-Strict", "true")] : [])
    }

    /// Submits, and returns the decoded output images of the finished task.
    static func outputs(_ harness: ServiceHarness, _ path: String, _ body: JSONValue) throws -> [PixelBuffer] {
        let reply = post(harness, path, body)
        try #require(reply.status == 200, "\(path): \(reply.message ?? "")")
        let id = try #require(reply.object?["task_id"]?.stringValue)
        let task = harness.result(id).object?["task"]?.objectValue
        try #require(
            task?["status"]?.stringValue == "TASK_STATUS_SUCCEED", "\(path): \(task?["reason"]?.stringValue ?? "")")
        return try harness.imageURLs(id).map {
            try ImageDecoder.decode(harness.download($0).bodyBytes, maxPixels: 1 << 26)
        }
    }

    static func isWhite(_ mask: PixelBuffer, _ i: Int) -> Bool { mask.rgb[i * 3] >= 128 }

    // MARK: inpainting

    @Test func inpaintingKeepsEveryPixelOutsideTheUnblurredMask() throws {
        let harness = ServiceHarness { $0.speed = 0 }
        let mask = Self.mask()
        let images = try Self.outputs(harness, "/v3/async/inpainting", Self.inpaintingBody(["image_num": 2]))
        #expect(images.count == 2)
        for output in images {
            #expect(output.width == Self.width && output.height == Self.height)
            var changedInside = 0
            var inside = 0
            for i in 0..<Self.width * Self.height {
                let same = output.rgb[i * 3..<i * 3 + 3].elementsEqual(Self.photo.rgb[i * 3..<i * 3 + 3])
                if Self.isWhite(mask, i) {
                    inside += 1
                    if !same { changedInside += 1 }
                } else {
                    #expect(same, "pixel \(i % Self.width),\(i / Self.width) outside the mask changed")
                    if !same { return }
                }
            }
            // The masked area is repainted (a blur edge may leave a few pixels as they were).
            #expect(changedInside * 10 > inside * 9, "\(changedInside) of \(inside) masked pixels changed")
        }
        // Each image has its own seed.
        #expect(images[0] != images[1])
    }

    @Test func theBlurSoftensTheEdgeInward() throws {
        let harness = ServiceHarness { $0.speed = 0 }
        let sharp = try Self.outputs(harness, "/v3/async/inpainting", Self.inpaintingBody(["mask_blur": 0]))[0]
        let soft = try Self.outputs(harness, "/v3/async/inpainting", Self.inpaintingBody(["mask_blur": 16]))[0]
        // On the rectangle's left edge, just inside: the blurred result lies nearer the input.
        func distance(_ image: PixelBuffer, x: Int, y: Int) -> Int {
            let i = (y * Self.width + x) * 3
            return (0..<3).reduce(0) { $0 + abs(Int(image.rgb[i + $1]) - Int(Self.photo.rgb[i + $1])) }
        }
        let edge = (8..<40).reduce(0) { $0 + distance(soft, x: 10, y: $1) }
        let edgeSharp = (8..<40).reduce(0) { $0 + distance(sharp, x: 10, y: $1) }
        #expect(edge < edgeSharp)
    }

    @Test func invertRepaintsTheBlackAreaInstead() throws {
        let harness = ServiceHarness { $0.speed = 0 }
        let mask = Self.mask()
        let output = try Self.outputs(
            harness, "/v3/async/inpainting", Self.inpaintingBody(["inpainting_mask_invert": 1, "mask_blur": 0]))[0]
        for i in 0..<Self.width * Self.height where Self.isWhite(mask, i) {
            #expect(output.rgb[i * 3..<i * 3 + 3].elementsEqual(Self.photo.rgb[i * 3..<i * 3 + 3]))
        }
        #expect(output != Self.photo)
    }

    @Test func fullResolutionDrawsThePatternForTheMasksBox() throws {
        let harness = ServiceHarness { $0.speed = 0 }
        let whole = try Self.outputs(harness, "/v3/async/inpainting", Self.inpaintingBody())[0]
        let boxed = try Self.outputs(
            harness, "/v3/async/inpainting",
            Self.inpaintingBody(["inpainting_full_res": 1, "inpainting_full_res_padding": 4]))[0]
        #expect(whole != boxed)
    }

    @Test func theSDKsBooleansAreTakenInCompatAndRefusedInStrict() throws {
        let harness = ServiceHarness { $0.speed = 0 }
        let body = Self.inpaintingBody(["inpainting_full_res": false, "inpainting_mask_invert": true])
        let compat = Self.post(harness, "/v3/async/inpainting", body)
        #expect(compat.status == 200, "\(compat.message ?? "")")
        let warnings = compat.header("X-Mock-Warnings") ?? ""
        #expect(warnings.contains("request.inpainting_mask_invert: true"), "\(warnings)")
        let strict = Self.post(harness, "/v3/async/inpainting", body, strict: true)
        #expect(strict.status == 400)
        // Both are named (the first in body order, which the dictionary above does not fix).
        #expect(strict.metadata["violation_count"] == "2", "\(strict.message ?? "")")
        let violations = strict.metadata["violations"] ?? ""
        #expect(
            violations.contains("request.inpainting_full_res") && violations.contains("request.inpainting_mask_invert"))
        // true means invert: the same pixels as 1.
        let asTrue = try Self.outputs(
            harness, "/v3/async/inpainting", Self.inpaintingBody(["inpainting_mask_invert": true, "mask_blur": 0]))
        let asOne = try Self.outputs(
            harness, "/v3/async/inpainting", Self.inpaintingBody(["inpainting_mask_invert": 1, "mask_blur": 0]))
        #expect(asTrue == asOne)
    }

    @Test func aMaskOfAnotherSizeIsA400NamingIt() {
        let reply = Self.post(
            ServiceHarness(), "/v3/async/inpainting", Self.inpaintingBody(mask: Self.mask(width: 50, height: 64)))
        #expect(reply.status == 400)
        #expect(reply.metadata["path"] == "request.mask_image_base64", "\(reply.message ?? "")")
        #expect(reply.message?.contains("96x64") == true)
    }

    @Test(arguments: [
        ("mask_blur", JSONValue.number(JSONNumber(65))), ("initial_noise_multiplier", .number(JSONNumber(2.0))),
        ("inpainting_full_res_padding", .number(JSONNumber(257))), ("image_num", .number(JSONNumber(9))),
    ])
    func outOfRangeFieldsAreRefusedByName(field: String, value: JSONValue) {
        let reply = Self.post(ServiceHarness(), "/v3/async/inpainting", Self.inpaintingBody([field: value]))
        #expect(reply.status == 400 && reply.metadata["path"] == "request.\(field)", "\(reply.message ?? "")")
    }

    // MARK: the assets host

    static func upload(_ harness: ServiceHarness, _ bytes: [UInt8], path: String = "/image", key: String? = "test-key")
        -> ServiceHarness.Reply
    {
        var headers: [(String, String)] = [("Content-Type", "image/jpeg")]
        if let key { headers.append(("Authorization", "Bearer \(key)")) }
        return harness.request("PUT", path, body: bytes, headers: headers, authorized: false, json: false)
    }

    static func instantIDBody(face: String, reference: String? = nil) -> JSONValue {
        [
            "model_name": "sdxlUnstableDiffusers_v8HEAVENSWRATH_133813.safetensors",
            "face_image_assets_ids": [.string(face)], "ref_image_assets_ids": [.string(reference ?? face)],
            "prompt": "a portrait", "width": 160, "height": 128, "image_num": 1, "steps": 20, "guidance_scale": 5,
            "sampler_name": "Euler", "extra": ["response_image_type": "png"],
        ]
    }

    @Test func anUploadAnswersAnIdThatInstantIDTakes() throws {
        let harness = ServiceHarness { $0.speed = 0 }
        let face = try ImageEncoder.encode(OperationTestImages.face(width: 60, height: 70), as: .jpeg, parameters: "")
        let first = Self.upload(harness, face)
        #expect(first.status == 200, "\(first.message ?? "")")
        let id = try #require(first.object?["assets_id"]?.stringValue)
        // Content-addressed: the same bytes from the same key, the same id; another key, another.
        #expect(Self.upload(harness, face).object?["assets_id"]?.stringValue == id)
        #expect(Self.upload(harness, face, key: "other-key").object?["assets_id"]?.stringValue != id)
        let reference = try #require(Self.upload(harness, Self.photoPNG).object?["assets_id"]?.stringValue)
        let images = try Self.outputs(
            harness, "/v3/async/instant-id", Self.instantIDBody(face: id, reference: reference))
        #expect(images.count == 1 && images[0].width == 160 && images[0].height == 128)
    }

    @Test func anotherKeysAssetIsA400NamingTheField() throws {
        let harness = ServiceHarness { $0.speed = 0 }
        let id = try #require(
            Self.upload(harness, Self.photoPNG, key: "someone-else").object?["assets_id"]?.stringValue)
        let reply = Self.post(harness, "/v3/async/instant-id", Self.instantIDBody(face: id))
        #expect(reply.status == 400)
        #expect(reply.metadata["path"] == "face_image_assets_ids[0]", "\(reply.message ?? "")")
        #expect(reply.message?.contains("does not hold") == true)
        let malformed = Self.post(harness, "/v3/async/instant-id", Self.instantIDBody(face: "../../etc/passwd"))
        #expect(malformed.status == 400 && malformed.metadata["path"] == "face_image_assets_ids[0]")
    }

    @Test func anUploadWithoutAKeyIsSharedByEveryKey() throws {
        // The Python SDK's upload_assets sends no Authorization header.
        let harness = ServiceHarness { $0.speed = 0 }
        let id = try #require(Self.upload(harness, Self.photoPNG, key: nil).object?["assets_id"]?.stringValue)
        #expect(try Self.outputs(harness, "/v3/async/instant-id", Self.instantIDBody(face: id)).count == 1)
    }

    @Test func anImageUploadMustBeAnImage() {
        let harness = ServiceHarness()
        let reply = Self.upload(harness, Array("hello".utf8))
        #expect(reply.status == 400 && reply.metadata["path"] == "body")
        #expect(Self.upload(harness, []).status == 400)
        #expect(Self.upload(harness, Array("not checked".utf8), path: "/video").status == 200)
        #expect(Self.upload(harness, Self.photoPNG, key: "").status == 200)
    }

    @Test func assetsSurviveARestartWithAStateDirectory() throws {
        let directory = NSTemporaryDirectory() + "novita-assets-\(UUID().uuidString)"
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let id: String
        do {
            let harness = ServiceHarness {
                $0.stateDirectory = directory
                $0.speed = 0
            }
            id = try #require(Self.upload(harness, Self.photoPNG).object?["assets_id"]?.stringValue)
            harness.service.stop(graceMs: 0)
        }
        let restarted = ServiceHarness {
            $0.stateDirectory = directory
            $0.speed = 0
        }
        defer { restarted.service.stop(graceMs: 0) }
        #expect(try Self.outputs(restarted, "/v3/async/instant-id", Self.instantIDBody(face: id)).count == 1)
    }

    /// `POST /__mock/reset?api_key=K` drops K's own uploads (others' and the shared ones stay);
    /// without a key it drops every upload — from memory, and from the state directory, so a
    /// restart does not bring them back. The built-in example stays.
    @Test(arguments: [false, true])
    func aResetDropsATenantsAssetsOrAll(withStateDirectory: Bool) throws {
        let directory = NSTemporaryDirectory() + "novita-assets-\(UUID().uuidString)"
        defer { try? FileManager.default.removeItem(atPath: directory) }
        func start() -> ServiceHarness {
            ServiceHarness {
                if withStateDirectory { $0.stateDirectory = directory }
                $0.speed = 0
            }
        }
        let harness = start()
        let assets = harness.service.assets
        let mine = try #require(Self.upload(harness, Self.photoPNG).object?["assets_id"]?.stringValue)
        let others = try #require(
            Self.upload(harness, Self.photoPNG, key: "other-key").object?["assets_id"]?.stringValue)
        let shared = try #require(Self.upload(harness, Self.photoPNG, key: nil).object?["assets_id"]?.stringValue)
        let held = assets.memoryBytes

        #expect(harness.request("POST", "/__mock/reset", query: [("api_key", "test-key")]).status == 200)
        let refused = Self.post(harness, "/v3/async/instant-id", Self.instantIDBody(face: mine))
        #expect(refused.status == 400 && refused.metadata["path"] == "face_image_assets_ids[0]")
        #expect(assets.get(others, tenant: "other-key") != nil)
        #expect(assets.get(shared, tenant: "test-key") != nil)
        if !withStateDirectory { #expect(assets.memoryBytes == held / 3 * 2) }

        #expect(harness.request("POST", "/__mock/reset").status == 200)
        #expect(assets.get(others, tenant: "other-key") == nil)
        #expect(assets.get(shared, tenant: "test-key") == nil)
        #expect(assets.memoryBytes == 0)
        #expect(assets.get(AssetStore.exampleID, tenant: "test-key") != nil)
        // Uploading again works, and a restart brings back only what came after the reset.
        let again = try #require(Self.upload(harness, Self.photoPNG).object?["assets_id"]?.stringValue)
        #expect(again == mine)
        harness.service.stop(graceMs: 0)
        if withStateDirectory {
            let restarted = start()
            defer { restarted.service.stop(graceMs: 0) }
            #expect(restarted.service.assets.get(mine, tenant: "test-key") != nil)
            #expect(restarted.service.assets.get(others, tenant: "other-key") == nil)
            #expect(restarted.service.assets.get(shared, tenant: "other-key") == nil)
        }
    }

    @Test func anInpaintingTaskRendersTheSameAfterARestart() throws {
        // Its image and mask are kept together as one stored input (an InputBundle).
        let directory = NSTemporaryDirectory() + "novita-inpainting-\(UUID().uuidString)"
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let id: String
        let before: [UInt8]
        do {
            let harness = ServiceHarness {
                $0.stateDirectory = directory
                $0.speed = 0
            }
            let reply = Self.post(harness, "/v3/async/inpainting", Self.inpaintingBody())
            id = try #require(reply.object?["task_id"]?.stringValue)
            before = harness.download(try #require(harness.imageURLs(id).first)).bodyBytes
            harness.service.stop(graceMs: 0)
        }
        let restarted = ServiceHarness {
            $0.stateDirectory = directory
            $0.speed = 0
        }
        defer { restarted.service.stop(graceMs: 0) }
        let after = restarted.download(try #require(restarted.imageURLs(id).first))
        #expect(after.status == 200 && after.bodyBytes == before)
    }

    // MARK: the endpoints that take URLs

    static let photoURL = "data:image/png;base64," + Base64.encode(photoPNG)
    static let maskURL =
        "data:image/png;base64," + Base64.encode(try! ImageEncoder.encode(mask(), as: .png, parameters: ""))

    @Test func theEraserKeepsEverythingOutsideItsMask() throws {
        let harness = ServiceHarness { $0.speed = 0 }
        let output = try Self.outputs(
            harness, "/v3/async/image-eraser",
            ["image": .string(Self.photoURL), "mask": .string(Self.maskURL), "output_format": "png"])[0]
        let mask = Self.mask()
        for i in 0..<Self.width * Self.height where !Self.isWhite(mask, i) {
            #expect(output.rgb[i * 3..<i * 3 + 3].elementsEqual(Self.photo.rgb[i * 3..<i * 3 + 3]))
        }
        #expect(output != Self.photo)
        // The data URLs are not kept with the task (they would be megabytes in every log line).
        let summaries = harness.service.store.snapshots(tenant: nil).map {
            String(decoding: $0.record.requestSummary, as: UTF8.self)
        }
        #expect(summaries.allSatisfy { !$0.contains(";base64,") && $0.contains("characters elided") })
        // Without a mask the subject goes.
        #expect(try Self.outputs(harness, "/v3/async/image-eraser", ["image": .string(Self.photoURL)]).count == 1)
    }

    @Test func theUpscalerMakesTheLongSideTheResolution() throws {
        let harness = ServiceHarness { $0.speed = 0 }
        let reply = Self.post(
            harness, "/v3/async/image-upscaler",
            ["image": .string(Self.photoURL), "resolution": "2k", "output_format": "jpeg"])
        let id = try #require(reply.object?["task_id"]?.stringValue)
        let url = try #require(harness.imageURLs(id).first)
        let header = try ImageInspector.inspect(harness.download(url).bodyBytes, maxPixels: 1 << 26)
        #expect(header.format == .jpeg && header.width == 2048 && header.height == 1365)
        // 4k and 8k by the same rule (rendering them here would cost seconds).
        #expect(NativeImageOperation.upscaledSize(width: 96, height: 64, resolution: "4k") == (4096, 2731))
        #expect(NativeImageOperation.upscaledSize(width: 64, height: 96, resolution: "8k") == (5461, 8192))
    }

    @Test func removeBackgroundAnswersATransparentPNG() throws {
        let harness = ServiceHarness { $0.speed = 0 }
        let reply = Self.post(harness, "/v3/async/image-remove-background", ["image": .string(Self.photoURL)])
        let id = try #require(reply.object?["task_id"]?.stringValue)
        #expect(harness.result(id).object?["task"]?.objectValue?["task_type"]?.stringValue == "IMAGE_REMOVE_BACKGROUND")
        let url = try #require(harness.imageURLs(id).first)
        let bytes = harness.download(url).bodyBytes
        let header = try ImageInspector.inspect(bytes, maxPixels: 1 << 26)
        #expect(header.format == .png && header.width == Self.width)
        #expect(bytes.count > 25 && bytes[25] == 6, "IHDR colour type RGBA")
    }

    @Test func anUnreachableURLFailsTheTaskWithTheReason() throws {
        let harness = ServiceHarness { $0.speed = 0 }
        let reply = Self.post(harness, "/v3/async/image-upscaler", ["image": "http://127.0.0.1:9/photo.png"])
        let id = try #require(reply.object?["task_id"]?.stringValue)
        let task = harness.result(id).object?["task"]?.objectValue
        #expect(task?["status"]?.stringValue == "TASK_STATUS_FAILED")
        #expect(task?["reason"]?.stringValue?.hasPrefix("failed to fetch http://127.0.0.1:9/photo.png: ") == true)
    }

    @Test func adetailerMakesOneImagePerInput() throws {
        let harness = ServiceHarness { $0.speed = 0 }
        let a = try #require(Self.upload(harness, Self.photoPNG).object?["assets_id"]?.stringValue)
        let other = try ImageEncoder.encode(
            OperationTestImages.photo(width: 80, height: 80, text: "B"), as: .png, parameters: "")
        let b = try #require(Self.upload(harness, other).object?["assets_id"]?.stringValue)
        let body: JSONValue = [
            "extra": ["response_image_type": "png"],
            "request": [
                "model_name": "realisticVisionV40_v40VAE_81510.safetensors", "prompt": "a detailed face",
                "steps": 20, "guidance_scale": 7.5, "sampler_name": "Euler a",
                "image_assets_ids": [.string(a), .string(b)],
            ],
        ]
        let images = try Self.outputs(harness, "/v3/async/adetailer", body)
        #expect(images.map(\.width) == [96, 80] && images.map(\.height) == [64, 80])
        // With both fields, the assets ids are the images (the JS SDK allows only one of them).
        var both = body.objectValue!
        var request = both["request"]!.objectValue!
        request["image_urls"] = [.string(Self.photoURL)]
        both["request"] = .object(request)
        #expect(try Self.outputs(harness, "/v3/async/adetailer", .object(both)).count == 2)
        // The corners are far from the face: the input's.
        #expect(Array(images[0].rgb[0..<3]) == Array(Self.photo.rgb[0..<3]))
    }
}
