import DequeModule
import Glibc
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

    var isEmpty: Bool {
        if case .empty = self { true } else { false }
    }

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

    /// Nothing known: what a poll answered early records.
    var isEmpty: Bool {
        reason == nil && message == nil && taskID == nil && chargedCredits == nil && creditBalance == nil
    }

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

/// One request as the journal lists it: enough for a test to assert what its client sent. Made
/// when the journal is read, from the slot and the facts' bytes it keeps (`JournalFacts`), and
/// turned into JSON then: every poll is journaled, few are read.
final class JournalEntry: Sendable {
    let timeMs: Int64
    /// Method, path, key, test id, query and headers as sent; credentials are redacted (and long
    /// header values cut) on read. The full key is for filtering only, never shown whole.
    let request: JournalFacts
    /// The JSON response body (up to 64 KiB; empty otherwise), summarised only when read.
    let responseBody: [UInt8]
    let status: Int
    let latencyMs: Double
    let body: JournalBody
    let outcome: JournalOutcome

    init(
        timeMs: Int64, request: JournalFacts, responseBody: [UInt8], status: Int, latencyMs: Double,
        body: JournalBody, outcome: JournalOutcome
    ) {
        self.timeMs = timeMs
        self.request = request
        self.responseBody = responseBody
        self.status = status
        self.latencyMs = latencyMs
        self.body = body
        self.outcome = outcome
    }

    var apiKey: String? { request.apiKey }

    var approximateBytes: Int {
        Self.approximateBytes(factsBytes: request.byteCount + responseBody.count, body: body)
    }

    /// Each entry counts its response body whole, shared with others or not (`RequestJournal`).
    static func approximateBytes(factsBytes: Int, body: JournalBody) -> Int {
        256 + factsBytes + body.approximateBytes
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
///
/// Every answered API call appends here, from every poll thread, so an append of a poll allocates
/// nothing and frees nothing: an entry's facts (`JournalFacts`) are written straight into a ring
/// of bytes the journal owns, and dropping the oldest entry moves an offset. The response body is
/// kept once for the entries that sent the same bytes (`KeptBody`, compared with the few kept
/// last): a client polling a finished task gets the same 0.8 KB every time, and copying it into
/// the ring on every poll was the journal's largest cost (its writes pushed the server's other
/// memory out of the caches). What is left per entry — its number, time, status, latency, body,
/// and the pipeline's request summary and outcome (nothing for a poll) — is a small slot in a
/// `Deque`. `JournalEntry` objects are made only when the journal is read.
final class RequestJournal: Sendable {
    struct Filter: Sendable {
        var apiKey: String?
        var path: String?
        var status: Int?
        var testID: String?
        var limit = 1000
    }

    /// An entry as the journal lists it.
    struct Kept: Sendable {
        let sequence: Int
        let entry: JournalEntry
        let bytes: Int
    }

    /// A response body the journal keeps, for every entry that sent these bytes. Only touched
    /// under the journal's lock, and counted there by hand (`uses`): the poll threads append the
    /// same body one after the other, and an atomic reference count on it would be one more
    /// cache line they both write.
    private final class KeptBody {
        let bytes: [UInt8]
        /// The slots holding it, plus one while it is among `State.recentBodies`. It is made
        /// retained once (`Unmanaged.passRetained`) and released when this reaches zero.
        var uses = 0

        init(_ bytes: UnsafeRawBufferPointer) {
            self.bytes = Array(bytes)
        }

        func holds(_ other: UnsafeRawBufferPointer) -> Bool {
            bytes.count == other.count
                && bytes.withUnsafeBytes { memcmp($0.baseAddress!, other.baseAddress!, other.count) == 0 }
        }
    }

    /// One use of `body` fewer; the last one frees it.
    private static func unuse(_ body: Unmanaged<KeptBody>) {
        let left = body._withUnsafeGuaranteedRef {
            $0.uses -= 1
            return $0.uses
        }
        if left == 0 { body.release() }
    }

    /// The pipeline's summary of a request body and the outcome it recorded: kept apart, so that
    /// the slot of an entry without them (every poll) is small.
    private final class Details: Sendable {
        let body: JournalBody
        let outcome: JournalOutcome

        init(body: JournalBody, outcome: JournalOutcome) {
            self.body = body
            self.outcome = outcome
        }
    }

    /// One kept entry; its facts are `length` bytes of the ring at `offset`. It holds its body
    /// (one of its `uses`) and its details (retained once) by hand, until `release`: a slot is
    /// copied as plain bytes, and the ring's first and last slots are read on every append —
    /// counted references would be counted there, on a cache line both poll threads write.
    private struct Slot {
        let sequence: Int
        /// Where its bytes start; only a rebuild moves them.
        var offset: Int
        let length: Int
        let response: Unmanaged<KeptBody>?
        let details: Unmanaged<Details>?
        let timeMs: Int64
        let status: Int
        let latencyMs: Double
        /// What the entry counts against the byte budget (`JournalEntry.approximateBytes`).
        let bytes: Int

        /// Gives up what the slot holds; once, as it leaves the journal.
        func release() {
            if let response { RequestJournal.unuse(response) }
            details?.release()
        }
    }

    private struct State {
        var slots = Deque<Slot>()
        /// The facts of the slots, oldest first, wrapping around; `head` is where the next ones go.
        var ring: UnsafeMutableRawPointer
        var capacity: Int
        var head = 0
        var bytes = 0
        var nextSequence = 1
        var dropped = 0
        /// The bodies appended last, newest first (`recentBodyCount` at most), for the next
        /// entries that send one of them again.
        var recentBodies: [Unmanaged<KeptBody>] = []
    }

    /// Polls of a few tasks in turn still share their bodies.
    private static let recentBodyCount = 4

    let maxEntries: Int
    let maxBytes: Int
    /// Exclusive for reads too: they are rare, and a writer's turn of a readers-writer lock cost
    /// about twice a mutex's on every append.
    private let state: Locked<State>
    /// The ring's first size; it doubles, up to `maxBytes`, when the budget allows more entries
    /// than fit (its bytes are touched only as entries reach them).
    private static let initialCapacity = 256 << 10

    init(maxEntries: Int, maxBytes: Int) {
        self.maxEntries = maxEntries
        self.maxBytes = maxBytes
        let capacity = max(1, min(Self.initialCapacity, maxBytes))
        state = Locked(State(ring: .allocate(byteCount: capacity, alignment: 8), capacity: capacity))
    }

    deinit {
        state.withLock { state in
            for slot in state.slots { slot.release() }
            for body in state.recentBodies { Self.unuse(body) }
            state.ring.deallocate()
        }
    }

    /// Numbers the entry (sequences count every appended entry, kept or not) and keeps it,
    /// writing `facts` into the ring under the lock (a copy of bytes: the source may be borrowed)
    /// and keeping `responseBody` (empty: none), shared with the entries before that sent the same.
    func append<Facts: JournalFactsSource>(
        _ facts: Facts, responseBody: UnsafeRawBufferPointer, timeMs: Int64, status: Int, latencyMs: Double,
        body: JournalBody = .empty, outcome: JournalOutcome = JournalOutcome()
    ) {
        guard maxEntries > 0 else { return }
        let length = facts.byteCount
        let bytes = JournalEntry.approximateBytes(factsBytes: length + responseBody.count, body: body)
        state.withLock { state in
            let sequence = state.nextSequence
            state.nextSequence += 1
            // Room for the new entry first (the oldest go), then the limits.
            guard let offset = Self.reserve(length, in: &state, maxBytes: maxBytes) else {
                state.dropped += 1
                return
            }
            var writer = JournalFactsWriter(into: state.ring + offset)
            facts.write(&writer)
            state.slots.append(
                Slot(
                    sequence: sequence, offset: offset, length: length,
                    response: responseBody.isEmpty ? nil : Self.kept(responseBody, in: &state),
                    details: body.isEmpty && outcome.isEmpty
                        ? nil : .passRetained(Details(body: body, outcome: outcome)),
                    timeMs: timeMs, status: status, latencyMs: latencyMs, bytes: bytes))
            state.head = offset + length
            state.bytes += bytes
            while state.slots.count > maxEntries || (state.bytes > maxBytes && state.slots.count > 1) {
                Self.dropOldest(&state)
            }
        }
    }

    /// The kept copy of `body`: one of the last kept when it holds the same bytes, else a new one.
    /// Counts the new slot's use.
    private static func kept(_ body: UnsafeRawBufferPointer, in state: inout State) -> Unmanaged<KeptBody> {
        for candidate in state.recentBodies where candidate._withUnsafeGuaranteedRef({ $0.holds(body) }) {
            candidate._withUnsafeGuaranteedRef { $0.uses += 1 }
            return candidate
        }
        let made = Unmanaged.passRetained(KeptBody(body))
        made._withUnsafeGuaranteedRef { $0.uses = 2 }  // the slot's, and the recent list's
        if state.recentBodies.count == recentBodyCount { unuse(state.recentBodies.removeLast()) }
        state.recentBodies.insert(made, at: 0)
        return made
    }

    private static func dropOldest(_ state: inout State) {
        guard let oldest = state.slots.popFirst() else { return }
        oldest.release()
        state.bytes -= oldest.bytes
        state.dropped += 1
        if state.slots.isEmpty { state.head = 0 }
    }

    /// Where `length` bytes of facts go: after the newest entry, or at the ring's start when they
    /// do not fit before its end, dropping the oldest entries in the way; the ring grows (up to
    /// `maxBytes`) rather than drop entries the budget still allows. Nil for facts larger than
    /// the budget (never seen: a request head is bounded by libmicrohttpd's pool, a kept
    /// response body by 64 KiB).
    private static func reserve(_ length: Int, in state: inout State, maxBytes: Int) -> Int? {
        guard length <= max(maxBytes, initialCapacity) else { return nil }
        while true {
            guard let oldest = state.slots.first, let newest = state.slots.last else {
                if length > state.capacity { grow(&state, toHold: length, maxBytes: max(maxBytes, length)) }
                state.head = 0
                return 0
            }
            let tail = oldest.offset
            if newest.offset >= tail {
                // Live facts are [tail, head): free space after head, then before tail.
                if state.capacity - state.head >= length { return state.head }
                if tail >= length {
                    return 0
                }
            } else if tail - state.head >= length {
                // Wrapped: live facts are [tail, …) and [0, head); free space is [head, tail).
                return state.head
            }
            if state.capacity < maxBytes, state.bytes + length <= maxBytes {
                grow(&state, toHold: state.bytes + length, maxBytes: maxBytes)
                continue
            }
            dropOldest(&state)
        }
    }

    /// A larger ring holding the live facts in order from its start.
    private static func grow(_ state: inout State, toHold needed: Int, maxBytes: Int) {
        var capacity = state.capacity
        while capacity < needed * 2 && capacity < maxBytes { capacity *= 2 }
        rebuild(&state, keeping: Array(state.slots), capacity: max(min(capacity, maxBytes), needed))
    }

    /// A fresh ring of `capacity` bytes holding the facts of `kept` (slots of `state`, oldest
    /// first) from its start, in order; the old ring is freed.
    private static func rebuild(_ state: inout State, keeping kept: [Slot], capacity: Int) {
        let ring = UnsafeMutableRawPointer.allocate(byteCount: capacity, alignment: 8)
        var offset = 0
        var moved = Deque<Slot>()
        for var slot in kept {
            (ring + offset).copyMemory(from: state.ring + slot.offset, byteCount: slot.length)
            slot.offset = offset
            moved.append(slot)
            offset += slot.length
        }
        state.ring.deallocate()
        state.ring = ring
        state.capacity = capacity
        state.slots = moved
        state.head = offset
        state.bytes = kept.reduce(0) { $0 + $1.bytes }
    }

    private static func entry(_ slot: Slot, in state: State) -> JournalEntry {
        JournalEntry(
            timeMs: slot.timeMs,
            request: JournalFacts(
                bytes: Array(UnsafeRawBufferPointer(start: state.ring + slot.offset, count: slot.length))),
            responseBody: slot.response?.takeUnretainedValue().bytes ?? [], status: slot.status,
            latencyMs: slot.latencyMs, body: slot.details?.takeUnretainedValue().body ?? .empty,
            outcome: slot.details?.takeUnretainedValue().outcome ?? JournalOutcome())
    }

    func entries(matching filter: Filter) -> (entries: [Kept], dropped: Int) {
        state.withLock { state in
            var matching: [Kept] = []
            for slot in state.slots where filter.status == nil || slot.status == filter.status {
                let entry = Self.entry(slot, in: state)
                guard
                    (filter.apiKey == nil || entry.apiKey == filter.apiKey)
                        && (filter.path == nil || Self.pathMatches(entry.request.path, filter.path!))
                        && (filter.testID == nil || entry.request.testID == filter.testID)
                else { continue }
                matching.append(Kept(sequence: slot.sequence, entry: entry, bytes: slot.bytes))
            }
            return (Array(matching.suffix(filter.limit)), state.dropped)
        }
    }

    static func pathMatches(_ path: String, _ pattern: String) -> Bool {
        pattern.hasSuffix("*") ? path.hasPrefix(pattern.dropLast()) : path == pattern
    }

    func reset(apiKey: String?) {
        state.withLock { state in
            var kept: [Slot] = []
            for slot in state.slots {
                if let apiKey, Self.entry(slot, in: state).apiKey != apiKey {
                    kept.append(slot)
                } else {
                    slot.release()
                }
            }
            Self.rebuild(&state, keeping: kept, capacity: state.capacity)
            for body in state.recentBodies { Self.unuse(body) }
            state.recentBodies.removeAll()
        }
    }

    var statistics: (count: Int, bytes: Int) { state.withLock { ($0.slots.count, $0.bytes) } }

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
