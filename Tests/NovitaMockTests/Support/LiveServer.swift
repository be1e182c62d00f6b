import Foundation
import MicroHTTP
import NovitaMock
import OutboundHTTP
import Testing

/// The real server on a free port, talked to over real HTTP: the live test tier.
final class LiveServer: @unchecked Sendable {  // immutable after init; HTTPServer and MockService are Sendable
    let service: MockService
    let server: HTTPServer
    let base: String
    let client = LiveServer.client

    init(maxBodyBytes: Int = 64 << 20, configure: (inout MockConfiguration) -> Void = { _ in }) throws {
        var configuration = MockConfiguration()
        configuration.host = "127.0.0.1"
        configuration.port = 0
        configuration.maxBodyBytes = maxBodyBytes
        configure(&configuration)
        service = try MockService(configuration: configuration, logger: Logger(level: .error, format: .text))
        var serverConfiguration = HTTPServerConfiguration()
        serverConfiguration.host = "127.0.0.1"
        serverConfiguration.port = 0
        serverConfiguration.maxBodyBytes = configuration.maxBodyBytes
        // As the executable does: finished polls answered from the request head, the port told.
        server = try HTTPServer(
            configuration: serverConfiguration, earlyResponder: service.earlyResponder, handler: service.handle)
        service.serverDidBind(port: server.port)
        service.start()
        base = "http://127.0.0.1:\(server.port)"
    }

    /// The live tests' HTTP client: a connection per request, bodies up to 1 GiB (videos, 2048²
    /// PNGs). Not URLSession: see `OutboundHTTPClient.response(to:)`.
    static let client = OutboundHTTPClient(maxResponseBodyBytes: 1 << 30)

    /// One request with the live tests' client; a transport failure throws.
    static func exchange(
        _ method: String, _ url: String, headers: [(name: String, value: String)], body: Data?,
        timeoutSeconds: Int = 120
    ) async throws -> OutboundResponse {
        let request = OutboundRequest(
            method: method, url: url, headers: headers, body: body.map { Array($0) } ?? [],
            timeoutMs: timeoutSeconds * 1000)
        return try await client.response(to: request).get()
    }

    deinit {
        server.shutdown(graceSeconds: 1)
        service.stop(graceMs: 100)
    }

    struct Reply {
        let status: Int
        let headers: [String: String]
        let body: Data

        var json: [String: Any]? { (try? JSONSerialization.jsonObject(with: body)) as? [String: Any] }
        var reason: String? { json?["reason"] as? String }
        var message: String? { json?["message"] as? String }
        var metadata: [String: String] { (json?["metadata"] as? [String: String]) ?? [:] }
        func header(_ name: String) -> String? {
            headers.first { $0.key.lowercased() == name.lowercased() }?.value
        }
    }

    func send(
        _ method: String, _ pathOrURL: String, body: Data? = nil, key: String? = "live-key",
        headers: [String: String] = [:], contentType: String? = "application/json"
    ) async throws -> Reply {
        let url = pathOrURL.hasPrefix("http") ? pathOrURL : base + pathOrURL
        var fields: [(name: String, value: String)] = []
        if let key { fields.append(("Authorization", "Bearer \(key)")) }
        if body != nil, let contentType { fields.append(("Content-Type", contentType)) }
        for (name, value) in headers {
            fields.removeAll { $0.name.lowercased() == name.lowercased() }
            fields.append((name, value))
        }
        let response = try await Self.exchange(method, url, headers: fields, body: body)
        var received: [String: String] = [:]
        for field in response.headers where received[field.name] == nil { received[field.name] = field.value }
        return Reply(status: response.status, headers: received, body: Data(response.body))
    }

    func submit(_ body: Any, key: String = "live-key", headers: [String: String] = [:]) async throws -> Reply {
        try await send(
            "POST", "/v3/async/img2img", body: try JSONSerialization.data(withJSONObject: body), key: key,
            headers: headers)
    }

    func result(_ id: String, key: String = "live-key") async throws -> Reply {
        try await send("GET", "/v3/async/task-result?task_id=\(id)", key: key)
    }

    func control(_ method: String, _ path: String, _ body: Any? = nil) async throws -> Reply {
        try await send(method, path, body: try body.map { try JSONSerialization.data(withJSONObject: $0) }, key: nil)
    }

    /// Polls until the task is finished (bounded), returning the terminal body. The bound is for
    /// a hang, not a speed check: in the full suite every test's renders and uploads share the
    /// process-wide CPU and upload pools, and a task can wait behind others for half a minute.
    func waitFinished(
        _ id: String, key: String = "live-key", timeout: Duration = .seconds(120)
    ) async throws -> [String: Any] {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            let body = try #require(try await result(id, key: key).json)
            let status = (body["task"] as? [String: Any])?["status"] as? String
            if status == "TASK_STATUS_SUCCEED" || status == "TASK_STATUS_FAILED" { return body }
            try await Task.sleep(for: .milliseconds(50))
        }
        Issue.record("task \(id) did not finish within \(timeout)")
        return [:]
    }
}

/// Bodies for live tests, as Foundation JSON objects.
enum LiveFixtures {
    static func body(_ request: [String: Any] = [:], extra: [String: Any]? = nil) -> [String: Any] {
        var fields: [String: Any] = [
            "model_name": "sd_xl_base_1.0.safetensors", "image_base64": Fixtures.pngBase64, "prompt": "a cute dog",
            "negative_prompt": "", "width": 512, "height": 512, "image_num": 1, "steps": 20, "seed": 123,
            "guidance_scale": 7.5, "sampler_name": "Euler a",
        ]
        for (key, value) in request { fields[key] = value }
        var body: [String: Any] = ["request": fields]
        if let extra { body["extra"] = extra }
        return body
    }
}
