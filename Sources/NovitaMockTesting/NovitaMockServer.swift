public import Foundation
import MicroHTTP
public import NovitaMock
import OutboundHTTP

/// novita-mock running inside the test process on a free port, with its control plane
/// (docs/control-plane.md) as methods. Made by `withNovitaMock`; talk to `baseURL` with any HTTP
/// client or SDK, using `apiKey` and `headers` (a tenant and test id of its own).
public final class NovitaMockServer: Sendable {
    /// `http://127.0.0.1:<port>`: the base URL to give the code under test.
    public let baseURL: URL
    public let port: Int
    /// The API key (tenant) of this test: tasks, journal and faults of other keys stay apart.
    public let apiKey: String
    /// Sent as `X-Test-Id` by `headers`; the journal and faults are scoped to it.
    public let testID: String
    private let service: MockService
    private let server: HTTPServer
    /// Not URLSession, whose Linux sockets can take the test process down when a connection
    /// ends badly (see `OutboundHTTPClient.response(to:)`); a connection per call.
    private static let client = OutboundHTTPClient(maxResponseBodyBytes: 1 << 30)

    init(configuration: MockConfiguration, apiKey: String, testID: String) throws {
        var configuration = configuration
        configuration.host = "127.0.0.1"
        configuration.port = 0
        service = try MockService(configuration: configuration, logger: Logger(level: .error, format: .text))
        var serverConfiguration = HTTPServerConfiguration()
        serverConfiguration.host = "127.0.0.1"
        serverConfiguration.port = 0
        serverConfiguration.maxBodyBytes = configuration.maxBodyBytes
        serverConfiguration.maxBufferedBodyBytes = configuration.maxBufferedBodyBytes
        server = try HTTPServer(
            configuration: serverConfiguration, earlyResponder: service.earlyResponder, handler: service.handle)
        service.serverDidBind(port: server.port)
        service.start()
        port = server.port
        baseURL = URL(string: "http://127.0.0.1:\(server.port)")!
        self.apiKey = apiKey
        self.testID = testID
    }

    /// Stops the server (in-flight requests get a short grace) and the mock's background work.
    func stop() {
        service.beginDraining()
        server.shutdown(graceSeconds: 1)
        service.stop(graceMs: 100)
    }

    /// What a client of this test sends: its key and its test id.
    public var headers: [String: String] {
        ["Authorization": "Bearer \(apiKey)", "X-Test-Id": testID]
    }

    /// The answer of one call: status, headers and the body (`json` when it is JSON).
    public struct Response: Sendable {
        public let status: Int
        public let body: Data
        /// The body as a JSON object, or nil.
        public var json: [String: any Sendable]? {
            (try? JSONSerialization.jsonObject(with: body)) as? [String: any Sendable]
        }
    }

    /// What went wrong with a control-plane call.
    public struct Failure: Error, CustomStringConvertible {
        public let status: Int
        public let description: String
    }

    /// One request to the mock (API or control plane); `json` becomes the body.
    @discardableResult
    public func request(
        _ method: String, _ path: String, json: [String: any Sendable]? = nil, headers: [String: String] = [:]
    ) async throws -> Response {
        var fields: [(name: String, value: String)] = []
        var body: [UInt8] = []
        if let json {
            body = Array(try JSONSerialization.data(withJSONObject: json))
            fields.append(("Content-Type", "application/json"))
        }
        for (name, value) in headers {
            fields.removeAll { $0.name.lowercased() == name.lowercased() }
            fields.append((name, value))
        }
        let request = OutboundRequest(
            method: method, url: baseURL.absoluteString + path, headers: fields, body: body, timeoutMs: 30_000)
        let response = try await Self.client.response(to: request).get()
        return Response(status: response.status, body: Data(response.body))
    }

    /// A control-plane call that must answer 2xx; its JSON object.
    @discardableResult
    func control(_ method: String, _ path: String, json: [String: any Sendable]? = nil) async throws
        -> [String: any Sendable]
    {
        let response = try await request(method, path, json: json)
        guard (200..<300).contains(response.status) else {
            throw Failure(
                status: response.status,
                description:
                    "\(method) \(path) answered \(response.status): \(String(decoding: response.body, as: UTF8.self))")
        }
        return response.json ?? [:]
    }

    private var tenantQuery: String {
        "api_key=" + (apiKey.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? apiKey)
    }
    private var testQuery: String {
        "test_id=" + (testID.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? testID)
    }

    // MARK: The control plane

    /// Forgets this tenant's tasks, journal, faults and rate-limit windows.
    public func reset() async throws { try await control("POST", "/__mock/reset?\(tenantQuery)") }

    /// Virtual time: the clock moves only through `advance`.
    public func freezeClock() async throws { try await control("POST", "/__mock/clock", json: ["mode": "virtual"]) }

    /// Moves the mock's clock on: tasks, webhook retries and URL expiry follow at once.
    public func advance(milliseconds: Int) async throws {
        try await control("POST", "/__mock/clock", json: ["advance_ms": milliseconds])
    }

    /// How a forced task ends.
    public enum Outcome: Sendable {
        case succeed
        case fail(reason: String)
    }

    /// Finishes a task now, whatever its modelled duration.
    public func force(taskID: String, _ outcome: Outcome) async throws {
        switch outcome {
        case .succeed: try await control("POST", "/__mock/tasks/\(taskID)/complete")
        case .fail(let reason): try await control("POST", "/__mock/tasks/\(taskID)/fail", json: ["reason": reason])
        }
    }

    /// The requests of this tenant and test, oldest first (`path` ending in `*` is a prefix).
    public func journal(path: String? = nil) async throws -> [[String: any Sendable]] {
        var query = "\(tenantQuery)&\(testQuery)&limit=1000"
        if let path {
            query += "&path=" + (path.addingPercentEncoding(withAllowedCharacters: .urlQueryAllowed) ?? path)
        }
        let entries =
            try await control("GET", "/__mock/requests?\(query)")["requests"] as? [[String: any Sendable]] ?? []
        return entries.sorted { ($0["sequence"] as? Int ?? 0) < ($1["sequence"] as? Int ?? 0) }
    }

    /// Adds a fault rule (docs/control-plane.md) for this tenant and test, e.g.
    /// `addFault(route: "/v3/async/txt2img", ["status": 503, "times": 1])`.
    @discardableResult
    public func addFault(route: String, _ rule: [String: any Sendable]) async throws -> [String: any Sendable] {
        var body = rule
        body["route"] = route
        if body["api_key"] == nil { body["api_key"] = apiKey }
        if body["test_id"] == nil { body["test_id"] = testID }
        return try await control("POST", "/__mock/faults", json: body)
    }

    /// Removes this tenant's fault rules.
    public func clearFaults() async throws { try await control("DELETE", "/__mock/faults?\(tenantQuery)") }

    /// Sets this tenant's credit balance in US dollars (`POST /__mock/tenants/{key}/balance`).
    public func setBalance(usd: Double) async throws {
        let key = apiKey.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? apiKey
        try await control("POST", "/__mock/tenants/\(key)/balance", json: ["balance_usd": usd])
    }
}

/// Runs `body` with novita-mock serving on a free port of this process, and stops it afterwards
/// (also when `body` throws). For swift-testing and XCTest alike:
///
/// ```swift
/// try await withNovitaMock { mock in
///     let client = MyNovitaClient(baseURL: mock.baseURL, apiKey: mock.apiKey)
///     try await mock.addFault(route: "/v3/async/txt2img", ["status": 503, "times": 1])
///     …
/// }
/// ```
/// - Parameters:
///   - testID: the test id (`X-Test-Id`) and, unless `apiKey` is given, the seed of the tenant key.
///   - speed: divides modelled durations; 0 (the default here) finishes tasks at submit.
///   - configure: any other server option, as the command line's flags set them (import
///     `NovitaMock` for `MockConfiguration`'s members).
public func withNovitaMock<Result>(
    testID: String = "swift-test", apiKey: String? = nil, speed: Double = 0,
    configure: (inout MockConfiguration) -> Void = { _ in },
    _ body: (NovitaMockServer) async throws -> Result
) async throws -> Result {
    var configuration = MockConfiguration()
    configuration.speed = speed
    configure(&configuration)
    let mock = try NovitaMockServer(
        configuration: configuration, apiKey: apiKey ?? "test-\(testID)", testID: testID)
    do {
        let result = try await body(mock)
        mock.stop()
        return result
    } catch {
        mock.stop()
        throw error
    }
}
