import ASCIIText
import Digests
import MicroHTTP
import OutboundHTTP
import Synchronization

/// `--upstream URL --record DIR` (docs/contract.md §16): forwards each model-API request to the
/// upstream with the client's key, answers with the upstream's response (task ids and media URLs
/// rewritten to the mock's own) and writes the exchange into the cassette.
final class CassetteRecorder: Sendable {
    /// The upstream's base URL, without a trailing slash.
    let upstream: String
    let directory: String
    let media: CassetteMedia
    private let client: OutboundHTTPClient
    private let clock: MockClock
    private let logger: Logger
    private let ids: TaskIDMap
    private let state: Mutex<State>

    private struct State {
        var sequence: Int
        /// When each upstream task's submit answered, for the offsets of its polls.
        var submittedAt: [String: Int64] = [:]
        /// Each task's last recorded poll answer: a poll that saw nothing new adds no file.
        var lastPoll: [String: JSONValue] = [:]
    }

    /// Forwarding waits on the network: its own threads, never the poll threads or libdispatch's.
    static let pool = BlockingWorkPool(threads: 8)
    /// Forwards that may wait for a thread; one more is answered 429 with `Retry-After`.
    static let queueLimit = 64
    /// Milliseconds an upstream call may take (video submits and big editor answers included).
    static let timeoutMs = 180_000

    /// Fields the client sends that are about this hop, not the request: never forwarded.
    static let hopHeaders: Set<String> = [
        "host", "connection", "content-length", "transfer-encoding", "expect", "accept-encoding", "keep-alive",
        "te", "upgrade", "proxy-authorization", "proxy-connection", "trailer",
    ]

    /// - Throws: `CassetteError` when the directory cannot be made or the upstream is no URL.
    init(upstream: String, directory: String, clock: MockClock, ids: TaskIDMap, logger: Logger)
        throws(CassetteError)
    {
        if case .failure(let problem) = OutboundURL.parse(upstream) {
            throw CassetteError(description: "--upstream \(upstream) is not a usable URL: \(problem)")
        }
        self.upstream = upstream.hasSuffix("/") ? String(upstream.dropLast()) : upstream
        self.directory = directory
        media = CassetteMedia(cassette: directory)
        do {
            try FileIO.makeDirectory(directory)
        } catch {
            throw CassetteError(description: "--record \(directory): \(error)")
        }
        // Numbering goes on after what the directory holds, so a second session adds files.
        let existing = (try? FileIO.listDirectory(directory)) ?? []
        let last = existing.compactMap { name in name.hasSuffix(".json") ? Int(name.prefix(4)) : nil }.max() ?? 0
        state = Mutex(State(sequence: last))
        client = OutboundHTTPClient(maxResponseBodyBytes: 1 << 29)
        self.clock = clock
        self.ids = ids
        self.logger = logger
    }

    /// The upstream's answer, off the poll thread.
    func forward(_ request: HTTPRequest, base: String) -> HTTPReply {
        guard Self.pool.queuedCount < Self.queueLimit else {
            return .now(
                APIError.rateLimited(
                    "the mock's upstream queue is full (\(Self.queueLimit) requests wait); retry in 1 s",
                    retryAfterSeconds: 1
                ).response)
        }
        return .deferred { [self] deliver in
            Self.pool.submit { deliver(.now(self.exchange(request, base: base))) }
        }
    }

    /// One round trip: translate the client's ids, send, keep the media, write the file, answer.
    func exchange(_ request: HTTPRequest, base: String) -> HTTPResponse {
        let key = Authenticator.key(from: request) ?? ""
        let toUpstream = { (value: String) -> String? in self.ids.entry(forMock: value)?.upstream }
        let query = request.query.map { (name: $0.name, value: toUpstream($0.value) ?? $0.value) }
        var body = request.body
        var requestJSON: JSONValue?
        if !body.isEmpty, let parsed = try? JSONParser.parse(body) {
            let translated = parsed.replacingStrings { _, value in toUpstream(value) }
            if translated != parsed { body = JSONWriter.serialize(translated) }
            requestJSON = translated
        }
        let headers = request.headers.fields.filter { !Self.hopHeaders.contains($0.name.lowercased()) }
        let url = upstream + Self.encodedPath(request.path) + Self.encodedQuery(query)
        let started = ContinuousClock.now
        let result = client.send(
            OutboundRequest(method: request.method, url: url, headers: headers, body: body, timeoutMs: Self.timeoutMs))
        let elapsed = ContinuousClock.now - started
        // When the answer came, before media downloads: the lifecycle's own timing.
        let now = clock.nowMs()
        let durationMs = elapsed.components.seconds * 1000 + elapsed.components.attoseconds / 1_000_000_000_000_000
        guard case .success(let response) = result else {
            let why: String
            if case .failure(let error) = result { why = "\(error)" } else { why = "" }
            logger.warning("upstream unreachable", [("upstream", upstream), ("error", why)])
            return APIError(
                status: 502, reason: "UPSTREAM_UNAVAILABLE",
                message: "the upstream \(upstream) did not answer \(request.method) \(request.path): \(why)"
            ).response
        }
        let contentType = response.header("Content-Type")
        var stored: JSONValue?
        var base64: String?
        if let parsed = try? JSONParser.parse(response.body) {
            stored = media.capture(parsed, client: client, logger: logger)
        } else if !response.body.isEmpty {
            base64 = Base64.encode(response.body)
        }
        let tenant = key
        var role = CassetteExchange.Role.call
        var taskID: String?
        var offset: Int64 = 0
        if let polled = query.first(where: { $0.name == "task_id" })?.value {
            role = .poll
            taskID = polled
            offset = state.withLock { $0.submittedAt[polled] }.map { now - $0 } ?? 0
        } else if let submitted = stored?.objectValue?["task_id"]?.stringValue, (200..<300).contains(response.status) {
            role = .submit
            taskID = submitted
            state.withLock { $0.submittedAt[submitted] = now }
        }
        let exchange = CassetteExchange(
            method: request.method, path: request.path, query: query,
            requestBody: requestJSON.map(CassetteExchange.normalizedRequestBody),
            requestBodyDigest: requestJSON == nil && !request.body.isEmpty
                ? Hex.string(SHA256.hash(request.body)) : nil,
            status: response.status, contentType: contentType, retryAfter: response.header("Retry-After"),
            responseJSON: stored, responseBase64: base64, role: role, taskID: taskID, taskOffsetMs: offset,
            durationMs: durationMs, recordedAt: HTTPDate.iso8601(clock.nowMs()))
        let seenBefore =
            role == .poll
            && state.withLock { state in
                guard let taskID, let stored else { return false }
                defer { state.lastPoll[taskID] = stored }
                return state.lastPoll[taskID] == stored
            }
        if !seenBefore { write(exchange, redacting: key) }

        var answer = HTTPResponse(status: response.status)
        if let contentType { answer.headers.set("Content-Type", contentType) }
        if let retry = response.header("Retry-After") { answer.headers.set("Retry-After", retry) }
        if let stored {
            let client = media.clientBody(stored, base: base) { value, isTaskID in
                if isTaskID { return self.ids.mockID(forUpstream: value, tenant: tenant, startMs: now) }
                return self.ids.knownMockID(forUpstream: value)
            }
            answer.body = .bytes(JSONWriter.serialize(client))
            if role == .submit, let id = client.objectValue?["task_id"]?.stringValue {
                answer.annotations[ResponseAnnotation.taskID] = id
            }
        } else {
            answer.body = .bytes(response.body)
        }
        return answer
    }

    /// Writes the next file; the client's key is cut out of anything it might have reached.
    private func write(_ exchange: CassetteExchange, redacting key: String) {
        let sequence = state.withLock {
            $0.sequence += 1
            return $0.sequence
        }
        var text = String(decoding: JSONWriter.pretty(exchange.json), as: UTF8.self)
        if key.count >= 4 && text.contains(key) { text = text.replacing(key, with: "<redacted>") }
        let name = CassetteExchange.fileName(sequence: sequence, method: exchange.method, path: exchange.path)
        do {
            try FileIO.writeAtomically(Array(text.utf8), to: directory + "/" + name, mode: 0o644)
        } catch {
            logger.error("cassette: cannot write an exchange", [("file", name), ("error", "\(error)")])
        }
    }

    /// Percent-encodes what a path may not carry as it is (the server decoded it).
    static func encodedPath(_ path: String) -> String {
        percentEncoded(path, keeping: "/-._~!$&'()*+,;=:@")
    }

    static func encodedQuery(_ query: [(name: String, value: String)]) -> String {
        guard !query.isEmpty else { return "" }
        return "?"
            + query.map { percentEncoded($0.name, keeping: "-._~") + "=" + percentEncoded($0.value, keeping: "-._~") }
            .joined(separator: "&")
    }

    private static func percentEncoded(_ text: String, keeping allowed: String) -> String {
        let keep = Set(allowed.utf8)
        var out = ""
        for byte in text.utf8 {
            let alphanumeric =
                (byte >= 0x30 && byte <= 0x39) || (byte >= 0x41 && byte <= 0x5A) || (byte >= 0x61 && byte <= 0x7A)
            if alphanumeric || keep.contains(byte) {
                out.unicodeScalars.append(Unicode.Scalar(byte))
            } else {
                out += "%" + Hex.string([byte]).uppercased()
            }
        }
        return out
    }
}
