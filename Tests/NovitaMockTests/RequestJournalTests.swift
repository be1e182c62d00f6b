import MicroHTTP
import Testing

@testable import NovitaMock

/// The journal's ring: entries of every size kept in order, the newest within the entry and byte
/// limits, whatever wrapping, growing and resetting happened on the way.
@Suite("Request journal ring")
struct RequestJournalTests {
    /// Appends facts whose test id says which append made them, with a response body of `size`
    /// bytes.
    static func append(
        _ index: Int, key: String, size: Int, to journal: RequestJournal, timeMs: Int64 = 0, status: Int = 200
    ) {
        let facts = PipelineFacts(
            method: "GET", path: "/v3/async/task-result", apiKey: key, testID: "t\(index)",
            query: [("task_id", "task-\(index)")], headers: ["Host": "mock", "X-Index": String(index)])
        body(index, size: size).withUnsafeBytes { body in
            journal.append(facts, responseBody: body, timeMs: timeMs, status: status, latencyMs: 1)
        }
    }

    static func body(_ index: Int, size: Int) -> [UInt8] {
        Array(repeating: UInt8(ascii: "a") + UInt8(index % 26), count: size)
    }

    static func check(_ kept: RequestJournal.Kept, index: Int, key: String, size: Int) {
        let request = kept.entry.request
        #expect(request.testID == "t\(index)")
        #expect(request.apiKey == key)
        #expect(request.query.first?.value == "task-\(index)")
        #expect(request.headers.last?.value == String(index))
        #expect(kept.entry.responseBody == body(index, size: size))
        #expect(kept.entry.status == 200 + index % 100)
    }

    @Test(arguments: [(entries: 50, bytes: 16 << 20), (entries: 10_000, bytes: 64 << 10), (entries: 7, bytes: 4_000)])
    func keepsTheNewestEntriesWholeInOrder(limits: (entries: Int, bytes: Int)) {
        let journal = RequestJournal(maxEntries: limits.entries, maxBytes: limits.bytes)
        var random = SplitMix64(seed: 7)
        var sizes: [Int] = []
        for index in 0..<3_000 {
            // Mostly poll-sized, now and then a large body: wraps at every offset.
            let size = random.next() % 10 == 0 ? Int(random.next() % 20_000) : Int(random.next() % 900)
            sizes.append(size)
            Self.append(
                index, key: "k\(index % 3)", size: size, to: journal, timeMs: Int64(index), status: 200 + index % 100)
        }
        let (kept, dropped) = journal.entries(matching: RequestJournal.Filter(limit: .max))
        #expect(!kept.isEmpty)
        #expect(kept.count <= limits.entries)
        #expect(kept.count + dropped == 3_000)
        let first = 3_000 - kept.count
        for (offset, entry) in kept.enumerated() {
            let index = first + offset
            #expect(entry.sequence == index + 1)
            Self.check(entry, index: index, key: "k\(index % 3)", size: sizes[index])
        }
        let statistics = journal.statistics
        #expect(statistics.count == kept.count)
        #expect(statistics.bytes <= max(limits.bytes, kept.last?.bytes ?? 0))
        // Filters read the same bytes.
        let one = journal.entries(matching: RequestJournal.Filter(testID: "t2999"))
        #expect(one.entries.map(\.sequence) == [3_000])
        // A reset of one key keeps the others' entries, whole, and appending goes on.
        journal.reset(apiKey: "k1")
        let after = journal.entries(matching: RequestJournal.Filter(limit: .max)).entries
        #expect(after.map(\.sequence) == kept.filter { $0.entry.apiKey != "k1" }.map(\.sequence))
        for entry in after {
            Self.check(
                entry, index: entry.sequence - 1, key: "k\((entry.sequence - 1) % 3)", size: sizes[entry.sequence - 1])
        }
        Self.append(3_000, key: "k0", size: 10, to: journal)
        #expect(journal.entries(matching: RequestJournal.Filter(limit: 1)).entries.first?.sequence == 3_001)
        journal.reset(apiKey: nil)
        #expect(journal.statistics.count == 0)
    }

    /// Entries that sent the same bytes share one kept copy; bodies of the same length that differ
    /// in one byte, or that come back after others, are never taken for one another.
    @Test func equalBodiesAreKeptOnceAndNeverConfused() {
        let journal = RequestJournal(maxEntries: 100, maxBytes: 16 << 20)
        let first = Array("{\"task\":{\"task_id\":\"a\"}}".utf8)
        var second = first
        second[second.count - 4] = UInt8(ascii: "b")
        let third = Array("{}".utf8)
        // In turns, more distinct bodies than the journal compares with, then the first again.
        var sent: [[UInt8]] = [first, second, first, first, second, third]
        for i in 0..<6 { sent.append(Array("{\"n\":\(i)}".utf8)) }
        sent += [first, [], second]
        let facts = PipelineFacts(
            method: "GET", path: "/v3/async/task-result", apiKey: "k", testID: nil, query: [], headers: [:])
        for body in sent {
            body.withUnsafeBytes { journal.append(facts, responseBody: $0, timeMs: 0, status: 200, latencyMs: 1) }
        }
        let kept = journal.entries(matching: RequestJournal.Filter(limit: .max)).entries
        #expect(kept.map(\.entry.responseBody) == sent)
        // A reset empties what is compared with; entries after it still keep what they sent.
        journal.reset(apiKey: nil)
        second.withUnsafeBytes { journal.append(facts, responseBody: $0, timeMs: 0, status: 200, latencyMs: 1) }
        #expect(
            journal.entries(matching: RequestJournal.Filter(limit: .max)).entries.map(\.entry.responseBody) == [second])
    }

    /// The pipeline's body summary and outcome, and the shared body, stay with each entry through
    /// a reset of another key, the ring's growth and the oldest entries' dropping.
    @Test func bodiesAndDetailsStayWithTheirEntries() {
        let journal = RequestJournal(maxEntries: 40, maxBytes: 16 << 20)
        func append(_ index: Int, key: String) {
            let facts = PipelineFacts(
                method: "POST", path: "/v3/async/txt2img", apiKey: key, testID: nil, query: [], headers: [:])
            let shared = Array("{\"task_id\":\"shared\"}".utf8)
            shared.withUnsafeBytes { body in
                journal.append(
                    facts, responseBody: body, timeMs: 0, status: 200, latencyMs: 1,
                    body: index % 2 == 0 ? .summaryText("{\"n\":\(index)}") : .empty,
                    outcome: JournalOutcome(taskID: index % 3 == 0 ? "task-\(index)" : nil))
            }
        }
        for index in 0..<30 { append(index, key: index % 2 == 0 ? "even" : "odd") }
        journal.reset(apiKey: "odd")
        for index in 30..<100 where index % 2 == 0 { append(index, key: "even") }
        let kept = journal.entries(matching: RequestJournal.Filter(limit: .max)).entries
        #expect(kept.count == 40)
        for entry in kept {
            // Every append is numbered: after the first 30, only the even indexes were appended.
            let index = entry.sequence <= 30 ? entry.sequence - 1 : 30 + 2 * (entry.sequence - 31)
            #expect(entry.entry.apiKey == "even")
            #expect(entry.entry.responseBody == Array("{\"task_id\":\"shared\"}".utf8))
            #expect(entry.entry.body.json == .object(["n": .number(JSONNumber(index))]))
            #expect(entry.entry.outcome.taskID == (index % 3 == 0 ? "task-\(index)" : nil))
        }
    }
}
