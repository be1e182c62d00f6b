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
/// Every answered API call appends here, from every poll thread, so an append touches only the
/// calling CPU's share of the journal (`PerCPULocked`): one lock and memory no other poll thread
/// writes. With one journal under one lock, its cache lines moved between the poll threads' CPUs
/// on every poll, and now and then a thread slept on the lock. Entries are numbered from one
/// counter, under their share's lock, so that a read — which takes every share's lock — sees
/// every numbered entry complete; it merges the shares by number and drops what falls outside
/// the limits then.
///
/// An append of a poll allocates nothing and frees nothing, and writes little: an entry's facts
/// (`JournalFacts`) go into a ring of bytes its share owns — unless they are the bytes of the
/// share's newest entry (a client polling a task sends the same head every time), which it then
/// shares — and dropping the oldest entry moves an offset. The response body is kept once for
/// the entries that sent the same bytes (`KeptBody`, compared with the few kept last): a client
/// polling a finished task gets the same 0.8 KB every time, and copying it into the ring on
/// every poll was the journal's largest cost (its writes pushed the server's other memory out of
/// the caches). What is left per entry — its number, time, status, latency, body, and the
/// pipeline's request summary and outcome (nothing for a poll) — is a small slot in a `Deque`.
/// `JournalEntry` objects are made only when the journal is read.
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
    /// under its share's lock, and counted there by hand (`uses`): the poll threads append the
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

    /// One kept entry; its facts are `length` bytes of its share's ring at `offset`. It holds its
    /// body (one of its `uses`) and its details (retained once) by hand, until `release`: a slot
    /// is copied as plain bytes, and the ring's first and last slots are read on every append —
    /// counted references would be counted there.
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

    /// One CPU's share of the journal: its entries, oldest first (in the order of their numbers).
    private struct State {
        var slots = Deque<Slot>()
        /// The facts of the slots, oldest first, wrapping around; `head` is where the next ones go.
        /// Slots next to each other may share theirs (the same offset): the bytes are freed
        /// when the last of them is dropped, as the oldest slot's offset is where they start.
        var ring: UnsafeMutableRawPointer
        var capacity: Int
        /// Where an entry's facts are written before they are compared with the newest's.
        var scratch = UnsafeMutableRawPointer.allocate(byteCount: 1 << 10, alignment: 8)
        var scratchCapacity = 1 << 10
        var head = 0
        var bytes = 0
        var dropped = 0
        /// The number of the newest entry this share dropped for the limits: a read shows nothing
        /// older, from any share, so the journal never shows a gap where an entry fell out.
        var droppedThrough = 0
        /// The bodies appended last, newest first (`recentBodyCount` at most), for the next
        /// entries that send one of them again.
        var recentBodies: [Unmanaged<KeptBody>] = []
    }

    /// Polls of a few tasks in turn still share their bodies.
    private static let recentBodyCount = 4

    let maxEntries: Int
    let maxBytes: Int
    /// What one share may hold between reads: twice its part of `maxBytes` (a share may take
    /// more than its part of the calls), but no more than the whole. Reads bring the journal to
    /// `maxBytes`; between them it holds at most twice that.
    private let shareMaxBytes: Int
    private let shares: PerCPULocked<State>
    /// The next entry's number; taken under the appending share's lock.
    nonisolated(unsafe) private let nextSequence: UnsafeMutablePointer<Atomic<Int>>  // an atomic
    /// A ring's first size; it doubles, up to `shareMaxBytes`, when the budget allows more
    /// entries than fit (its bytes are touched only as entries reach them).
    private static let initialCapacity = 256 << 10

    /// - Parameter shareCount: one per CPU when nil (`PerCPULocked`).
    init(maxEntries: Int, maxBytes: Int, shareCount: Int? = nil) {
        self.maxEntries = maxEntries
        self.maxBytes = maxBytes
        let shareCount = max(shareCount ?? CurrentCPU.shareCount, 1)
        shareMaxBytes = min(maxBytes, max(maxBytes / shareCount * 2, 1))
        let capacity = max(1, min(Self.initialCapacity, shareMaxBytes))
        shares = PerCPULocked(count: shareCount) { _ in
            State(ring: .allocate(byteCount: capacity, alignment: 8), capacity: capacity)
        }
        // On a 128-byte line of its own: every append writes it.
        nextSequence = UnsafeMutableRawPointer.allocate(byteCount: 128, alignment: 128)
            .bindMemory(to: Atomic<Int>.self, capacity: 1)
        nextSequence.initialize(to: Atomic(1))
    }

    deinit {
        shares.withEvery { shares in
            for state in shares {
                for slot in state.pointee.slots { slot.release() }
                for body in state.pointee.recentBodies { Self.unuse(body) }
                state.pointee.ring.deallocate()
                state.pointee.scratch.deallocate()
            }
        }
        nextSequence.deinitialize(count: 1)
        nextSequence.deallocate()
    }

    /// Numbers the entry (sequences count every appended entry, kept or not) and keeps it,
    /// writing `facts` into its share under the lock (a copy of bytes: the source may be borrowed)
    /// and keeping `responseBody` (empty: none), shared with the entries before that sent the same.
    /// - Parameter share: the share it goes to; the calling CPU's when nil (tests choose).
    func append<Facts: JournalFactsSource>(
        _ facts: Facts, responseBody: UnsafeRawBufferPointer, timeMs: Int64, status: Int, latencyMs: Double,
        body: JournalBody = .empty, outcome: JournalOutcome = JournalOutcome(), share: Int? = nil
    ) {
        guard maxEntries > 0 else { return }
        let length = facts.byteCount
        let bytes = JournalEntry.approximateBytes(factsBytes: length + responseBody.count, body: body)
        shares.withValue(at: share ?? shares.currentIndex) { state in
            let sequence = nextSequence.pointee.wrappingAdd(1, ordering: .relaxed).oldValue
            // The facts are written aside first: when they are the bytes of the share's newest
            // entry (a client polling a task sends the same head every time), the entry shares
            // them, and the ring's memory is not written at all.
            Self.makeRoom(length, inScratchOf: &state)
            var writer = JournalFactsWriter(into: state.scratch)
            facts.write(&writer)
            let offset: Int
            if let newest = state.slots.last, newest.length == length,
                memcmp(state.ring + newest.offset, state.scratch, length) == 0
            {
                offset = newest.offset
            } else {
                // Room for the new entry first (the oldest go), then the limits.
                guard let room = Self.reserve(length, in: &state, maxBytes: shareMaxBytes) else {
                    state.dropped += 1
                    return
                }
                (state.ring + room).copyMemory(from: state.scratch, byteCount: length)
                state.head = room + length
                offset = room
            }
            state.slots.append(
                Slot(
                    sequence: sequence, offset: offset, length: length,
                    response: responseBody.isEmpty ? nil : Self.kept(responseBody, in: &state),
                    details: body.isEmpty && outcome.isEmpty
                        ? nil : .passRetained(Details(body: body, outcome: outcome)),
                    timeMs: timeMs, status: status, latencyMs: latencyMs, bytes: bytes))
            state.bytes += bytes
            while state.slots.count > maxEntries || (state.bytes > shareMaxBytes && state.slots.count > 1) {
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

    /// A scratch of at least `length` bytes.
    private static func makeRoom(_ length: Int, inScratchOf state: inout State) {
        guard length > state.scratchCapacity else { return }
        state.scratch.deallocate()
        state.scratchCapacity = max(length, state.scratchCapacity * 2)
        state.scratch = .allocate(byteCount: state.scratchCapacity, alignment: 8)
    }

    private static func dropOldest(_ state: inout State) {
        guard let oldest = state.slots.popFirst() else { return }
        oldest.release()
        state.bytes -= oldest.bytes
        state.dropped += 1
        state.droppedThrough = max(state.droppedThrough, oldest.sequence)
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
    /// first) from its start, in order, still shared where they were; the old ring is freed.
    private static func rebuild(_ state: inout State, keeping kept: [Slot], capacity: Int) {
        let ring = UnsafeMutableRawPointer.allocate(byteCount: capacity, alignment: 8)
        var offset = 0
        var moved = Deque<Slot>()
        // Only slots next to each other share, and those that share have the same key: a reset
        // keeps or removes all of them.
        var previous: (old: Int, new: Int)?
        for var slot in kept {
            if let previous, previous.old == slot.offset {
                slot.offset = previous.new
            } else {
                (ring + offset).copyMemory(from: state.ring + slot.offset, byteCount: slot.length)
                previous = (slot.offset, offset)
                slot.offset = offset
                offset += slot.length
            }
            moved.append(slot)
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

    /// Brings the shares to what the journal shows: the newest `maxEntries` entries within
    /// `maxBytes` (the newest one whatever its size), none older than one a share dropped. The
    /// rest is dropped now. Under every share's lock.
    private func settle(_ shares: [UnsafeMutablePointer<State>]) {
        let cut = shares.map(\.pointee.droppedThrough).max() ?? 0
        var newestFirst: [(sequence: Int, bytes: Int)] = []
        for state in shares {
            for slot in state.pointee.slots where slot.sequence > cut {
                newestFirst.append((slot.sequence, slot.bytes))
            }
        }
        newestFirst.sort { $0.sequence > $1.sequence }
        var count = 0
        var bytes = 0
        var oldestShown = cut + 1
        for entry in newestFirst {
            if count == maxEntries || (count > 0 && bytes + entry.bytes > maxBytes) { break }
            count += 1
            bytes += entry.bytes
            oldestShown = entry.sequence
        }
        for state in shares {
            while let oldest = state.pointee.slots.first, oldest.sequence < oldestShown {
                Self.dropOldest(&state.pointee)
            }
        }
    }

    func entries(matching filter: Filter) -> (entries: [Kept], dropped: Int) {
        shares.withEvery { shares in
            settle(shares)
            var matching: [Kept] = []
            for state in shares {
                for slot in state.pointee.slots where filter.status == nil || slot.status == filter.status {
                    let entry = Self.entry(slot, in: state.pointee)
                    guard
                        (filter.apiKey == nil || entry.apiKey == filter.apiKey)
                            && (filter.path == nil || Self.pathMatches(entry.request.path, filter.path!))
                            && (filter.testID == nil || entry.request.testID == filter.testID)
                    else { continue }
                    matching.append(Kept(sequence: slot.sequence, entry: entry, bytes: slot.bytes))
                }
            }
            matching.sort { $0.sequence < $1.sequence }
            return (Array(matching.suffix(filter.limit)), shares.reduce(0) { $0 + $1.pointee.dropped })
        }
    }

    static func pathMatches(_ path: String, _ pattern: String) -> Bool {
        pattern.hasSuffix("*") ? path.hasPrefix(pattern.dropLast()) : path == pattern
    }

    func reset(apiKey: String?) {
        shares.withEvery { shares in
            for state in shares {
                var kept: [Slot] = []
                for slot in state.pointee.slots {
                    if let apiKey, Self.entry(slot, in: state.pointee).apiKey != apiKey {
                        kept.append(slot)
                    } else {
                        slot.release()
                    }
                }
                Self.rebuild(&state.pointee, keeping: kept, capacity: state.pointee.capacity)
                for body in state.pointee.recentBodies { Self.unuse(body) }
                state.pointee.recentBodies.removeAll()
            }
        }
    }

    var statistics: (count: Int, bytes: Int) {
        shares.withEvery { shares in
            settle(shares)
            return shares.reduce((0, 0)) { ($0.0 + $1.pointee.slots.count, $0.1 + $1.pointee.bytes) }
        }
    }

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
