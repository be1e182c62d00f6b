import Digests
import MicroHTTP
import Synchronization

/// `--replay DIR` (docs/contract.md §16): recorded exchanges answer the requests that match them;
/// a replayed task's polls walk through its recorded lifecycle on the mock's clock, its recorded
/// timing divided by `--speed`.
final class CassetteReplayer: Sendable {
    let directory: String
    let media: CassetteMedia
    /// Exchanges by what they answer, in recorded order (a repeated request gets the next one;
    /// the last repeats).
    private let calls: [RequestFingerprint: [CassetteExchange]]
    /// Each recorded task's polls, by offset from its submit.
    private let polls: [String: [CassetteExchange]]
    private let ignored: Set<String>
    private let speed: Double
    private let clock: MockClock
    private let ids: TaskIDMap
    private let cursors = Mutex<[RequestFingerprint: Int]>([:])

    /// How many exchanges the cassette holds.
    let exchangeCount: Int

    /// Reads every `*.json` file of `directory`.
    /// - Throws: `CassetteError` naming the file that cannot be read.
    init(directory: String, ignoring ignored: [String], speed: Double, clock: MockClock, ids: TaskIDMap)
        throws(CassetteError)
    {
        self.directory = directory
        media = CassetteMedia(cassette: directory)
        self.ignored = Set(ignored)
        self.speed = speed
        self.clock = clock
        self.ids = ids
        let names: [String]
        do {
            names = try FileIO.listDirectory(directory).filter { $0.hasSuffix(".json") }
        } catch {
            throw CassetteError(description: "--replay \(directory): \(error)")
        }
        var calls: [RequestFingerprint: [CassetteExchange]] = [:]
        var polls: [String: [CassetteExchange]] = [:]
        for name in names {
            let value: JSONValue
            do {
                value = try JSONParser.parse(try FileIO.read(directory + "/" + name))
            } catch {
                throw CassetteError(description: "\(directory)/\(name): \(error)")
            }
            var exchange = try CassetteExchange(json: value, file: name)
            exchange.file = name
            if exchange.role == .poll, let task = exchange.taskID {
                polls[task, default: []].append(exchange)
            } else {
                calls[RequestFingerprint(exchange, ignoring: self.ignored), default: []].append(exchange)
            }
        }
        self.calls = calls
        // Stable: two polls at one offset keep their file order.
        self.polls = polls.mapValues { list in
            list.enumerated().sorted { ($0.element.taskOffsetMs, $0.offset) < ($1.element.taskOffsetMs, $1.offset) }
                .map(\.element)
        }
        exchangeCount = names.count
    }

    /// The recorded answer to `request`, or nil when the cassette has none.
    func answer(_ request: HTTPRequest, tenant: String, base: String) -> HTTPReply? {
        if let id = request.queryValue("task_id"), let task = ids.entry(forMock: id), task.tenant == tenant {
            guard let recorded = polls[task.upstream], !recorded.isEmpty else { return nil }
            let elapsed = clock.nowMs() - task.startMs
            let reached = recorded.last { speed == 0 || Double($0.taskOffsetMs) / speed <= Double(elapsed) }
            return .now(
                response(for: reached ?? recorded[0], tenant: tenant, base: base, startMs: task.startMs, polled: id))
        }
        var body: JSONValue?
        if !request.body.isEmpty, let parsed = try? JSONParser.parse(request.body) {
            // The client names replayed tasks by the mock's ids; the cassette by the upstream's.
            body = CassetteExchange.normalizedRequestBody(
                parsed.replacingStrings { _, value in ids.entry(forMock: value)?.upstream })
        }
        let fingerprint = RequestFingerprint(
            method: request.method, path: request.path, query: request.query, body: body,
            bodyDigest: body == nil && !request.body.isEmpty ? Hex.string(SHA256.hash(request.body)) : nil,
            ignoring: ignored)
        guard let candidates = calls[fingerprint], !candidates.isEmpty else { return nil }
        let index = cursors.withLock { cursors in
            let next = cursors[fingerprint, default: 0]
            cursors[fingerprint] = next + 1
            return min(next, candidates.count - 1)
        }
        let exchange = candidates[index]
        let delayMs =
            speed > 0 && clock.mode == .real ? Int((Double(exchange.durationMs) / speed).rounded()) : 0
        let startMs = clock.nowMs() + Int64(delayMs)
        let response = response(for: exchange, tenant: tenant, base: base, startMs: startMs)
        return delayMs > 0 ? .after(milliseconds: delayMs, .now(response)) : .now(response)
    }

    /// A recorded exchange as this client sees it: a submit's task gets a fresh mock id.
    /// - Parameter polled: the mock id a poll asked about: the task's own id in its answer, even
    ///   when the same recorded submit was replayed again since.
    private func response(
        for exchange: CassetteExchange, tenant: String, base: String, startMs: Int64, polled: String? = nil
    ) -> HTTPResponse {
        var response = HTTPResponse(status: exchange.status)
        if let type = exchange.contentType { response.headers.set("Content-Type", type) }
        if let retry = exchange.retryAfter { response.headers.set("Retry-After", retry) }
        response.headers.set("X-Mock-Cassette", exchange.file)
        if let stored = exchange.responseJSON {
            var minted: String?
            if exchange.role == .submit, let task = exchange.taskID {
                minted = ids.mint(forUpstream: task, tenant: tenant, startMs: startMs)
            }
            let body = media.clientBody(stored, base: base) { value, isTaskID in
                if value == exchange.taskID, let own = minted ?? polled { return own }
                if let known = ids.knownMockID(forUpstream: value) { return known }
                return isTaskID ? ids.mint(forUpstream: value, tenant: tenant, startMs: startMs) : nil
            }
            response.body = .bytes(JSONWriter.serialize(body))
            if let minted { response.annotations[ResponseAnnotation.taskID] = minted }
        } else if let text = exchange.responseBase64,
            let bytes = try? Base64.decode(Substring(text).utf8, maxBytes: 1 << 30)
        {
            response.body = .bytes(bytes)
        }
        return response
    }
}
