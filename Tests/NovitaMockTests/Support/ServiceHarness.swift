import ImageCodecs
import MicroHTTP
import Testing

@testable import NovitaMock

/// Drives a `MockService` through `handle`, without sockets: the router-level test tier.
struct ServiceHarness {
    let service: MockService
    var key = "test-key"

    init(configure: (inout MockConfiguration) -> Void = { _ in }) {
        var configuration = MockConfiguration()
        configuration.clockMode = .virtual
        configuration.port = 8080
        configure(&configuration)
        service = try! MockService(configuration: configuration, logger: Logger(level: .error, format: .text))
        service.start()
    }

    /// Drives a service built elsewhere, as it is (started or not).
    init(wrapping service: MockService) {
        self.service = service
    }

    /// A response with its body parsed as JSON when it is JSON.
    struct Reply {
        let response: HTTPResponse
        var status: Int { response.status }
        var bodyBytes: [UInt8] {
            switch response.body {
            case .bytes(let b): b
            case .shared(let shared, let range): Array(shared.bytes[range])
            }
        }
        var json: JSONValue? { try? JSONParser.parse(bodyBytes) }
        var object: JSONObject? { json?.objectValue }
        var reason: String? { object?["reason"]?.stringValue }
        var message: String? { object?["message"]?.stringValue }
        var metadata: [String: String] {
            var out: [String: String] = [:]
            for (key, value) in object?["metadata"]?.objectValue?.entries ?? [] { out[key] = value.stringValue }
            return out
        }
        func header(_ name: String) -> String? { response.headers[name] }
    }

    static func resolve(_ reply: HTTPReply) -> HTTPResponse {
        reply.waitForResponse()
    }

    func send(_ request: HTTPRequest) -> Reply {
        Reply(response: Self.resolve(service.handle(request)))
    }

    func request(
        _ method: String, _ path: String, query: [(String, String)] = [], body: [UInt8] = [],
        headers: [(String, String)] = [], authorized: Bool = true, json: Bool = true
    ) -> Reply {
        var fields = HTTPHeaders([("Host", "mock.test:8080")])
        if authorized { fields.add("Authorization", "Bearer \(key)") }
        if json && !body.isEmpty { fields.add("Content-Type", "application/json") }
        for (name, value) in headers { fields.set(name, value) }
        return send(
            HTTPRequest(
                method: method, path: path, query: query.map { (name: $0.0, value: $0.1) }, headers: fields,
                body: body))
    }

    func submit(_ body: JSONValue, headers: [(String, String)] = []) -> Reply {
        request("POST", "/v3/async/img2img", body: JSONWriter.serialize(body), headers: headers)
    }

    func submitOK(_ body: JSONValue, headers: [(String, String)] = []) throws -> String {
        let reply = submit(body, headers: headers)
        try #require(reply.status == 200, "submit failed: \(reply.message ?? "")")
        return try #require(reply.object?["task_id"]?.stringValue)
    }

    func result(_ id: String) -> Reply {
        request("GET", "/v3/async/task-result", query: [("task_id", id)])
    }

    func status(_ id: String) -> String? {
        result(id).object?["task"]?.objectValue?["status"]?.stringValue
    }

    func advance(_ ms: Int) {
        let reply = request(
            "POST", "/__mock/clock", body: JSONWriter.serialize(["advance_ms": .number(JSONNumber(ms))]))
        precondition(reply.status == 200)
    }

    /// The image URLs of a finished task.
    func imageURLs(_ id: String) -> [String] {
        (result(id).object?["images"]?.arrayValue ?? []).compactMap { $0.objectValue?["image_url"]?.stringValue }
    }

    /// GETs an image URL (absolute) through the router.
    func download(_ url: String, headers: [(String, String)] = [], method: String = "GET") -> Reply {
        let afterHost = url.split(separator: "/", maxSplits: 3, omittingEmptySubsequences: false)
        let pathAndQuery = "/" + (afterHost.count == 4 ? afterHost[3] : "")
        let parts = pathAndQuery.split(separator: "?", maxSplits: 1)
        let query: [(String, String)] =
            parts.count > 1
            ? parts[1].split(separator: "&").map {
                let kv = $0.split(separator: "=", maxSplits: 1)
                return (String(kv[0]), kv.count > 1 ? String(kv[1]) : "")
            } : []
        return request(method, String(parts[0]), query: query, headers: headers, authorized: false)
    }
}

/// Request bodies and images for tests.
enum Fixtures {
    /// A small real PNG: a diagonal gradient with a square, so resizes and blends are visible.
    static func pngImage(width: Int = 64, height: Int = 48) -> [UInt8] {
        var pixels = PixelBuffer(width: width, height: height)
        for y in 0..<height {
            for x in 0..<width {
                let i = (y * width + x) * 3
                pixels.rgb[i] = UInt8(x * 255 / max(1, width - 1))
                pixels.rgb[i + 1] = UInt8(y * 255 / max(1, height - 1))
                let inSquare = x > width / 4 && x < width * 3 / 4 && y > height / 4 && y < height * 3 / 4
                pixels.rgb[i + 2] = inSquare ? 255 : 40
            }
        }
        return try! ImageEncoder.encode(pixels, as: .png, parameters: "fixture")
    }

    static let pngBase64 = Base64.encode(pngImage())

    /// The pixels of `pngImage()`, for encoding in other formats.
    static func pngDecodedPixels() -> PixelBuffer {
        (try? ImageDecoder.decode(pngImage(), maxPixels: 1 << 24)) ?? PixelBuffer(width: 1, height: 1)
    }

    /// A minimal valid img2img body; `request` fields in `overrides` replace or add (nil removes).
    static func body(_ overrides: [String: JSONValue?] = [:], extra: JSONValue? = nil) -> JSONValue {
        var request: JSONObject = [
            "model_name": "sd_xl_base_1.0.safetensors",
            "image_base64": .string(pngBase64),
            "prompt": "a cute dog",
            "negative_prompt": "",
            "width": 512,
            "height": 512,
            "image_num": 1,
            "steps": 20,
            "seed": 123,
            "guidance_scale": 7.5,
            "sampler_name": "Euler a",
        ]
        for (key, value) in overrides.sorted(by: { $0.key < $1.key }) { request[key] = value }
        var top: JSONObject = ["request": .object(request)]
        if let extra { top["extra"] = extra }
        return .object(top)
    }
}
