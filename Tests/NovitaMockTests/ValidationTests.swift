import Foundation
import ImageCodecs
import Testing

@testable import NovitaMock

/// One request of `fixtures/requests/`: a body (with `"$PNG"` standing for a small valid PNG),
/// optional headers, and the status and error path it must get.
struct RequestFixture: CustomTestStringConvertible, Sendable {
    let file: String
    let name: String
    /// The endpoint it is sent to (img2img unless the file says otherwise).
    let endpoint: String
    let body: JSONValue
    let headers: [(String, String)]
    let status: Int
    let failingPath: String?

    var testDescription: String { "\(file): \(name)" }

    static let directory = OpenAPITests.repositoryRoot.appendingPathComponent("fixtures/requests")

    /// Every fixture, in file-name order.
    static let all: [RequestFixture] = {
        let files = (try? FileManager.default.contentsOfDirectory(atPath: directory.path)) ?? []
        return files.filter { $0.hasSuffix(".json") }.sorted().map { file in
            let data = FileManager.default.contents(atPath: directory.appendingPathComponent(file).path) ?? Data()
            let object = (try? JSONParser.parse(Array(data)))?.objectValue ?? [:]
            let expect = object["expect"]?.objectValue ?? [:]
            let headers = (object["headers"]?.objectValue?.entries ?? []).map { ($0.key, $0.value.stringValue ?? "") }
            return RequestFixture(
                file: file, name: object["name"]?.stringValue ?? file,
                endpoint: object["endpoint"]?.stringValue ?? "/v3/async/img2img",
                body: substitute(object["body"] ?? .null),
                headers: headers, status: Int(expect["status"]?.integerValue ?? 0),
                failingPath: expect["path"]?.stringValue)
        }
    }()

    private static func substitute(_ value: JSONValue) -> JSONValue {
        switch value {
        case .string("$PNG"): return .string(Fixtures.pngBase64)
        case .array(let items): return .array(items.map(substitute))
        case .object(let object): return .object(JSONObject(object.entries.map { ($0.key, substitute($0.value)) }))
        default: return value
        }
    }

    /// Checks a reply against the expectation.
    func check(status: Int, path: String?, message: String?, keys: [String]) {
        #expect(status == self.status, "\(file): \(message ?? "")")
        if let failingPath {
            #expect(path == failingPath, "\(file): \(message ?? "")")
            #expect(message?.hasPrefix("\(failingPath): must be ") == true, "\(file): \(message ?? "")")
        } else if self.status == 200 {
            #expect(keys == ["task_id"])
        }
    }
}

@Suite("Request rules (router level)")
struct ValidationTests {
    let harness = ServiceHarness()

    @Test func thereIsAFixtureForEveryRuleBoundary() {
        #expect(RequestFixture.all.count >= 100)
        #expect(RequestFixture.all.filter { $0.status == 400 }.count >= 60)
    }

    @Test(arguments: RequestFixture.all)
    func fixture(_ fixture: RequestFixture) {
        let reply = harness.request(
            "POST", fixture.endpoint, body: JSONWriter.serialize(fixture.body), headers: fixture.headers)
        fixture.check(
            status: reply.status, path: reply.metadata["path"], message: reply.message, keys: reply.object?.keys ?? [])
        if reply.status == 400 { #expect(reply.reason == "INVALID_REQUEST_BODY") }
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
        let reply = harness.request(
            "POST", "/v3/async/img2img", body: JSONWriter.serialize(Fixtures.body()), json: false)
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
        let reply = harness.submit(
            Fixtures.body(["image_base64": .string(Base64.encode(pngHeader(width: 65535, height: 65535)))]))
        #expect(reply.status == 400)
        #expect(reply.metadata["path"] == "request.image_base64")
        #expect(reply.message?.contains("65535x65535") == true, "\(reply.message ?? "")")
    }

    @Test func refuses4097Squared() {
        let reply = harness.submit(
            Fixtures.body(["image_base64": .string(Base64.encode(pngHeader(width: 4097, height: 4097)))]))
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
        let reply = harness.submit(
            Fixtures.body(["image_base64": .string(Base64.encode(Array(png.prefix(png.count - 20))))]))
        #expect(reply.status == 400)
        #expect(reply.metadata["path"] == "request.image_base64")
    }

    /// A valid PNG whose IHDR is rewritten to claim another size (CRC fixed): every chunk is
    /// sound, but the pixel data does not fill the claimed rows.
    func pngClaiming(width: UInt32, height: UInt32, actually size: Int) -> [UInt8] {
        var png = Fixtures.pngImage(width: size, height: size)
        let sizes =
            withUnsafeBytes(of: width.bigEndian) { Array($0) } + withUnsafeBytes(of: height.bigEndian) { Array($0) }
        png.replaceSubrange(16..<24, with: sizes)
        let crc = CRC32.checksum(Array(png[12..<29]))
        png.replaceSubrange(29..<33, with: withUnsafeBytes(of: crc.bigEndian) { Array($0) })
        return png
    }

    @Test(arguments: [(UInt32(1024), UInt32(1024), 8), (100, 100, 64)])
    func refusesAPNGWhosePixelsDoNotFillItsHeader(width: UInt32, height: UInt32, actual: Int) {
        let png = pngClaiming(width: width, height: height, actually: actual)
        let reply = harness.submit(Fixtures.body(["image_base64": .string(Base64.encode(png))]))
        #expect(reply.status == 400)
        #expect(reply.metadata["path"] == "request.image_base64")
        #expect(reply.message?.contains("a corrupt file") == true, "\(reply.message ?? "")")
    }

    @Test func refusesAWebPWithAGarbledBitstream() throws {
        var webp = try ImageEncoder.encode(
            Fixtures.pngDecodedPixels(), as: .webp, parameters: "")
        // Sizes, chunk layout and the VP8 frame header (bytes 20…29) stay intact; every byte of
        // the compressed partitions after it changes (a garbled stretch in the middle alone can
        // still decode, depending on where the encoder's partitions fall).
        for index in 30..<webp.count { webp[index] = 0xFF }
        let reply = harness.submit(Fixtures.body(["image_base64": .string(Base64.encode(webp))]))
        #expect(reply.status == 400)
        #expect(reply.metadata["path"] == "request.image_base64")
    }

    @Test func refusesACorruptControlNetImageToo() {
        let png = pngClaiming(width: 512, height: 512, actually: 16)
        let unit: JSONValue = [
            "model_name": "control_v11p_sd15_canny", "image_base64": .string(Base64.encode(png)), "strength": 1,
            "preprocessor": "canny", "guidance_start": 0, "guidance_end": 1,
        ]
        let reply = harness.submit(Fixtures.body(["controlnet": ["units": [unit]]]))
        #expect(reply.status == 400)
        #expect(reply.metadata["path"] == "request.controlnet.units[0].image_base64", "\(reply.message ?? "")")
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

@Suite("Error details an audit asked for")
struct ErrorDetailTests {
    let harness = ServiceHarness()

    @Test func compatToleranceWarningsAreListedOnA400Too() {
        let reply = harness.submit(Fixtures.body(["width": 64, "unknown_knob": 1]))
        #expect(reply.status == 400)
        #expect(reply.metadata["path"] == "request.width")
        #expect(reply.header("X-Mock-Warnings")?.contains("request.unknown_knob: unknown field ignored") == true)
    }

    @Test func malformedJSONCarriesTheSameMetadataKeysAsAViolation() {
        let reply = harness.request("POST", "/v3/async/img2img", body: Array(#"{"request":"#.utf8))
        #expect(reply.status == 400)
        for key in ["path", "expected", "actual", "violation_count", "violations", "offset"] {
            #expect(reply.metadata[key] != nil, "metadata lacks \(key)")
        }
        #expect(reply.metadata["violation_count"] == "1")
        #expect(reply.metadata["offset"] == "11")
    }

    @Test func aNonImageSaysWhatItStartsWith() {
        let reply = harness.submit(Fixtures.body(["image_base64": .string(Base64.encode(Array("<html>".utf8)))]))
        #expect(reply.status == 400)
        #expect(
            reply.message
                == "request.image_base64: must be a PNG, JPEG or WebP image, got data in none of those formats (first bytes 3C 68 74 6D)"
        )
    }

    @Test func aLimitOfOneItemIsSingular() {
        let adapter: JSONValue = [
            "model_name": "ip-adapter_sdxl.bin", "image_base64": .string(Fixtures.pngBase64), "strength": 1,
        ]
        let reply = harness.submit(Fixtures.body(["ip_adapters": [adapter, adapter]]))
        #expect(reply.status == 400)
        #expect(reply.message?.contains("an array of at most 1 item,") == true, "\(reply.message ?? "")")
    }
}
