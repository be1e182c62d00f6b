import MicroHTTP
import OutboundHTTP

/// Runs a `ConformanceSuite` against the upstream and the emulation and lists where they differ:
/// status, `reason`, `message`, the response's shape (keys present) and its field types. Values
/// that differ by nature (task ids, images, seeds) are not compared.
public struct ConformanceCheck: Sendable {
    /// What one side answered.
    public struct Answer: Sendable {
        public var status: Int
        public var body: [UInt8]

        public init(status: Int, body: [UInt8]) {
            self.status = status
            self.body = body
        }
    }

    /// One way a case's answers differ.
    public struct Difference: Sendable, Equatable {
        /// `status`, `reason`, `message`, `shape` or `type`.
        public var kind: String
        /// The JSON path, for `shape` and `type` (empty for the others).
        public var path: String
        public var upstream: String
        public var mock: String
    }

    /// One case and its answers.
    public struct Outcome: Sendable {
        public var testCase: ConformanceSuite.Case
        public var upstream: Answer
        public var mock: Answer
        public var differences: [Difference]
    }

    /// Sends a case to one side.
    public typealias Sender = @Sendable (ConformanceSuite.Case) -> Answer

    let upstream: Sender
    let mock: Sender

    public init(upstream: @escaping Sender, mock: @escaping Sender) {
        self.upstream = upstream
        self.mock = mock
    }

    public func run(_ suite: ConformanceSuite) -> ConformanceReport {
        ConformanceReport(
            outcomes: suite.cases.map { item in
                let theirs = upstream(item)
                let ours = mock(item)
                return Outcome(
                    testCase: item, upstream: theirs, mock: ours, differences: Self.compare(theirs, ours))
            })
    }

    static func compare(_ upstream: Answer, _ mock: Answer) -> [Difference] {
        var differences: [Difference] = []
        if upstream.status != mock.status {
            differences.append(
                Difference(kind: "status", path: "", upstream: String(upstream.status), mock: String(mock.status)))
        }
        let theirs = try? JSONParser.parse(upstream.body)
        let ours = try? JSONParser.parse(mock.body)
        guard let theirs, let ours else {
            if (theirs == nil) != (ours == nil) {
                differences.append(
                    Difference(
                        kind: "shape", path: "$", upstream: theirs == nil ? "not JSON" : "JSON",
                        mock: ours == nil ? "not JSON" : "JSON"))
            }
            return differences
        }
        for field in ["reason", "message"] {
            let a = theirs.objectValue?[field]?.stringValue
            let b = ours.objectValue?[field]?.stringValue
            if (a != nil || b != nil) && a != b {
                differences.append(Difference(kind: field, path: "", upstream: a ?? "-", mock: b ?? "-"))
            }
        }
        var theirTypes: [String: String] = [:]
        var ourTypes: [String: String] = [:]
        shape(theirs, at: "$", into: &theirTypes)
        shape(ours, at: "$", into: &ourTypes)
        for path in Set(theirTypes.keys).union(ourTypes.keys).sorted() {
            switch (theirTypes[path], ourTypes[path]) {
            case (let a?, let b?) where a != b:
                differences.append(Difference(kind: "type", path: path, upstream: a, mock: b))
            case (let a?, nil):
                differences.append(Difference(kind: "shape", path: path, upstream: a, mock: "absent"))
            case (nil, let b?):
                differences.append(Difference(kind: "shape", path: path, upstream: "absent", mock: b))
            default:
                break
            }
        }
        return differences
    }

    /// Every path's JSON type; array items share one path (`$.images[]`). `metadata` is the
    /// mock's own detail under the envelope (docs/contract.md §3): its keys are not compared.
    static func shape(_ value: JSONValue, at path: String, into types: inout [String: String]) {
        let type: String
        switch value {
        case .null: type = "null"
        case .bool: type = "boolean"
        case .number: type = "number"
        case .string: type = "string"
        case .array(let items):
            type = "array"
            for item in items { shape(item, at: path + "[]", into: &types) }
        case .object(let object):
            type = "object"
            if path != "$.metadata" {
                for entry in object.entries { shape(entry.value, at: path + "." + entry.key, into: &types) }
            }
        }
        if let known = types[path], known != type, path.hasSuffix("[]") {
            types[path] = known + "|" + type
        } else {
            types[path] = type
        }
    }

    /// Sends cases over HTTP to `base` with `apiKey` (the upstream, or a local instance).
    public static func httpSender(base: String, apiKey: String, timeoutMs: Int = 120_000) -> Sender {
        let client = OutboundHTTPClient(maxResponseBodyBytes: 1 << 28)
        let root = base.hasSuffix("/") ? String(base.dropLast()) : base
        return { item in
            var headers: [(name: String, value: String)] = [("Authorization", "Bearer " + apiKey)]
            if item.body != nil { headers.append(("Content-Type", "application/json")) }
            let request = OutboundRequest(
                method: item.method, url: root + CassetteRecorder.encodedPath(item.path), headers: headers,
                body: item.bodyBytes, timeoutMs: timeoutMs)
            switch client.send(request) {
            case .success(let response): return Answer(status: response.status, body: response.body)
            case .failure(let error): return Answer(status: 0, body: Array("\(error)".utf8))
            }
        }
    }

    /// Sends cases to a `MockService` in this process: instant, on a frozen clock.
    public static func inProcessSender(endpointsDirectory: String? = nil, apiKey: String) throws -> Sender {
        var configuration = MockConfiguration()
        configuration.speed = 0
        configuration.clockMode = .virtual
        configuration.port = 0
        configuration.host = "127.0.0.1"
        configuration.endpointsDirectory = endpointsDirectory
        let service = try MockService(configuration: configuration, logger: Logger(level: .error, format: .text))
        service.start()
        return { item in
            var headers = HTTPHeaders([("Authorization", "Bearer " + apiKey), ("Host", "127.0.0.1")])
            if item.body != nil {
                headers = HTTPHeaders(
                    headers.fields.map { ($0.name, $0.value) } + [("Content-Type", "application/json")])
            }
            let request = HTTPRequest(method: item.method, path: item.path, headers: headers, body: item.bodyBytes)
            let response = service.handle(request).waitForResponse()
            let body: [UInt8] =
                switch response.body {
                case .bytes(let bytes): bytes
                case .shared(let shared, let range): Array(shared.bytes[range])
                }
            return Answer(status: response.status, body: body)
        }
    }
}

/// What a conformance run found: each case's differences and a summary per endpoint.
public struct ConformanceReport: Sendable {
    public var outcomes: [ConformanceCheck.Outcome]

    /// Differences over all cases; the command exits 1 when this is not 0.
    public var differenceCount: Int { outcomes.reduce(0) { $0 + $1.differences.count } }

    /// Per endpoint, in suite order: cases, cases that differ.
    public var summary: [(endpoint: String, cases: Int, differing: Int)] {
        var order: [String] = []
        var counts: [String: (Int, Int)] = [:]
        for outcome in outcomes {
            let endpoint = outcome.testCase.endpoint
            if counts[endpoint] == nil { order.append(endpoint) }
            let (cases, differing) = counts[endpoint] ?? (0, 0)
            counts[endpoint] = (cases + 1, differing + (outcome.differences.isEmpty ? 0 : 1))
        }
        return order.map { ($0, counts[$0]!.0, counts[$0]!.1) }
    }

    public var json: String {
        let cases: [JSONValue] = outcomes.map { outcome in
            .object([
                "name": .string(outcome.testCase.name), "endpoint": .string(outcome.testCase.endpoint),
                "expects_success": .bool(outcome.testCase.expectsSuccess),
                "upstream_status": .number(JSONNumber(outcome.upstream.status)),
                "mock_status": .number(JSONNumber(outcome.mock.status)),
                "differences": .array(
                    outcome.differences.map { difference in
                        .object([
                            "kind": .string(difference.kind), "path": .string(difference.path),
                            "upstream": .string(difference.upstream), "mock": .string(difference.mock),
                        ])
                    }),
            ])
        }
        let summary: [JSONValue] = self.summary.map {
            [
                "endpoint": .string($0.endpoint), "cases": .number(JSONNumber($0.cases)),
                "differing": .number(JSONNumber($0.differing)),
            ]
        }
        let value: JSONValue = [
            "cases": .array(cases), "summary": .array(summary),
            "differences": .number(JSONNumber(differenceCount)),
        ]
        return String(decoding: JSONWriter.pretty(value), as: UTF8.self)
    }

    /// The human report: each differing case with its differences, then the summary.
    public var text: String {
        var lines: [String] = []
        for outcome in outcomes where !outcome.differences.isEmpty {
            lines.append("✗ \(outcome.testCase.name)")
            for difference in outcome.differences {
                let at = difference.path.isEmpty ? "" : " at \(difference.path)"
                lines.append("    \(difference.kind)\(at): upstream \(difference.upstream) | mock \(difference.mock)")
            }
        }
        lines.append("")
        for row in summary {
            lines.append(
                "\(row.differing == 0 ? "✓" : "✗") \(row.endpoint): \(row.cases) cases, \(row.differing) differ")
        }
        lines.append("\(outcomes.count) cases, \(differenceCount) differences")
        return lines.joined(separator: "\n")
    }
}
