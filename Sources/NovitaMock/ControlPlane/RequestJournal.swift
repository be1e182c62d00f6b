import DequeModule
import MicroHTTP
import Synchronization

/// The request body as the journal keeps it: what is known when the answer is recorded, turned
/// into JSON only when the journal is read.
enum JournalBody: Sendable {
    case empty
    /// The summary a handler made while validating (`ResponseAnnotation.requestSummary`, JSON
    /// text): kept as it came, parsed on read instead of on every call.
    case summaryText(String)
    /// A body nobody summarised, summarised as it was recorded.
    case summary(JSONValue)

    /// What the entry costs to hold, about.
    var approximateBytes: Int {
        switch self {
        case .empty: 0
        case .summaryText(let text): text.utf8.count
        case .summary(let value): JSONWriter.serialize(value).count
        }
    }

    var json: JSONValue {
        switch self {
        case .empty: .null
        case .summaryText(let text): (try? JSONParser.parse(Array(text.utf8))) ?? .string(text)
        case .summary(let value): value
        }
    }
}

/// What became of a request, as the journal shows it: the error's reason, or the task it made,
/// and what it was charged.
struct JournalOutcome: Sendable {
    var reason: String?
    var message: String?
    var taskID: String?
    var chargedCredits: Int64?
    var creditBalance: Int64?

    var json: JSONValue {
        var fields = JSONObject()
        if let reason {
            fields["reason"] = .string(reason)
            fields["message"] = message.map(JSONValue.string) ?? .null
        } else if let taskID {
            fields["task_id"] = .string(taskID)
        }
        if let chargedCredits {
            // docs/contract.md §13.3: the journal shows what each call was charged.
            fields["charged_credits"] = .number(JSONNumber(chargedCredits))
            if let creditBalance { fields["credit_balance"] = .number(JSONNumber(creditBalance)) }
        }
        return fields.isEmpty ? .null : .object(fields)
    }
}

/// One request as the journal keeps it: enough for a test to assert what its client sent. It
/// holds the request's facts in one byte array (`JournalRequestFacts`) and builds its JSON only
/// when the journal is read: every poll is journaled, few are read. An object, so that keeping,
/// dropping and listing it moves one reference, not a dozen fields.
final class JournalEntry: Sendable {
    let timeMs: Int64
    /// Method, path, key, test id, query and headers as sent; credentials are redacted (and long
    /// header values cut) on read. The full key is for filtering only, never shown whole.
    let request: JournalRequestFacts
    let status: Int
    let latencyMs: Double
    let body: JournalBody
    let outcome: JournalOutcome
    /// The JSON response body as sent (up to 64 KiB; empty otherwise): kept as bytes, the array
    /// the response already holds, and summarised only when the journal is read.
    let responseBody: [UInt8]

    init(
        timeMs: Int64, request: JournalRequestFacts, status: Int, latencyMs: Double, body: JournalBody,
        outcome: JournalOutcome, responseBody: [UInt8] = []
    ) {
        self.timeMs = timeMs
        self.request = request
        self.status = status
        self.latencyMs = latencyMs
        self.body = body
        self.outcome = outcome
        self.responseBody = responseBody
    }

    var apiKey: String? { request.apiKey }

    var approximateBytes: Int {
        256 + request.byteCount + body.approximateBytes + responseBody.count
    }

    /// The headers as shown: `Authorization` redacted, values cut at 512 bytes.
    var shownHeaders: [(name: String, value: String)] {
        let apiKey = request.apiKey
        return request.headers.map { field in
            if field.name.lowercased() == "authorization" {
                return (field.name, apiKey.map { "Bearer " + Logger.redact($0) } ?? "<redacted>")
            }
            return (field.name, String(field.value.prefix(512)))
        }
    }

    /// The entry as `GET /__mock/requests` lists it, numbered `sequence` by the journal.
    func json(sequence: Int) -> JSONValue {
        .object([
            "sequence": .number(JSONNumber(sequence)),
            "time": .string(HTTPDate.iso8601(timeMs)),
            "method": .string(request.method),
            "path": .string(request.path),
            "query": .object(JSONObject(request.query.map { ($0.name, JSONValue.string($0.value)) })),
            "api_key": request.apiKey.map { .string(Logger.redact($0)) } ?? .null,
            "test_id": request.testID.map(JSONValue.string) ?? .null,
            "status": .number(JSONNumber(status)),
            "latency_ms": .number(JSONNumber((latencyMs * 1000).rounded() / 1000)),
            "headers": .object(JSONObject(shownHeaders.map { ($0.name, JSONValue.string($0.value)) })),
            "body": body.json,
            "outcome": outcome.json,
            "response": RequestJournal.summarizeBody(responseBody),
        ])
    }
}

/// The request journal (docs/contract.md §9): newest entries kept within `--journal-entries` and a byte
/// budget, oldest dropped first.
final class RequestJournal: Sendable {
    struct Filter: Sendable {
        var apiKey: String?
        var path: String?
        var status: Int?
        var testID: String?
        var limit = 1000
    }

    /// An entry as the journal holds it.
    struct Kept: Sendable {
        let sequence: Int
        let entry: JournalEntry
        let bytes: Int
    }

    private struct State {
        /// Each entry with its number and its `approximateBytes`, measured once (it serialises the body).
        var entries = Deque<Kept>()
        var bytes = 0
        var nextSequence = 1
        var dropped = 0
    }

    let maxEntries: Int
    let maxBytes: Int
    private let state = Mutex(State())

    init(maxEntries: Int, maxBytes: Int) {
        self.maxEntries = maxEntries
        self.maxBytes = maxBytes
    }

    /// Numbers the entry (sequences count every appended entry, kept or not) and keeps it.
    func append(_ entry: JournalEntry) {
        guard maxEntries > 0 else { return }
        let size = entry.approximateBytes
        // The entry dropped (the one a full journal drops per append) is freed after the lock is
        // released: freeing is most of what dropping costs, and every poll thread waits for this
        // lock. When one append pushes out several, the earlier ones are freed under it (rare).
        let dropped = state.withLock { state -> Kept? in
            state.entries.append(Kept(sequence: state.nextSequence, entry: entry, bytes: size))
            state.nextSequence += 1
            state.bytes += size
            var last: Kept?
            while state.entries.count > maxEntries || (state.bytes > maxBytes && state.entries.count > 1) {
                guard let oldest = state.entries.popFirst() else { break }
                state.bytes -= oldest.bytes
                state.dropped += 1
                last = oldest
            }
            return last
        }
        withExtendedLifetime(dropped) {}
    }

    func entries(matching filter: Filter) -> (entries: [Kept], dropped: Int) {
        state.withLock { state in
            let matching = state.entries.lazy.filter { kept in
                let entry = kept.entry
                return (filter.status == nil || entry.status == filter.status)
                    && (filter.apiKey == nil || entry.apiKey == filter.apiKey)
                    && (filter.path == nil || Self.pathMatches(entry.request.path, filter.path!))
                    && (filter.testID == nil || entry.request.testID == filter.testID)
            }
            return (Array(matching.suffix(filter.limit)), state.dropped)
        }
    }

    static func pathMatches(_ path: String, _ pattern: String) -> Bool {
        pattern.hasSuffix("*") ? path.hasPrefix(pattern.dropLast()) : path == pattern
    }

    func reset(apiKey: String?) {
        state.withLock { state in
            guard let apiKey else {
                state.entries = Deque()
                state.bytes = 0
                return
            }
            var kept = Deque<Kept>()
            var bytes = 0
            for stored in state.entries where stored.entry.apiKey != apiKey {
                kept.append(stored)
                bytes += stored.bytes
            }
            state.entries = kept
            state.bytes = bytes
        }
    }

    var statistics: (count: Int, bytes: Int) { state.withLock { ($0.entries.count, $0.bytes) } }

    /// A request body as the journal shows it: parsed JSON with long strings elided, or a short
    /// text preview.
    static func summarizeBody(_ body: [UInt8]) -> JSONValue {
        guard !body.isEmpty else { return .null }
        if let json = try? JSONParser.parse(body) {
            return json.replacingStrings { _, string in
                string.utf8.count > 256 ? "<\(string.utf8.count) bytes elided>" : nil
            }
        }
        let preview = String(decoding: body.prefix(512), as: UTF8.self)
        return .string(body.count > 512 ? preview + "… (\(body.count) bytes)" : preview)
    }
}
