import MicroHTTP
import Testing

@testable import NovitaMock

/// The journal's ring: entries of every size kept in order, the newest within the entry and byte
/// limits, whatever wrapping, growing and resetting happened on the way.
@Suite("Request journal ring")
struct RequestJournalTests {
    /// Facts whose path says which append made them and whose response body is `size` bytes.
    static func facts(_ index: Int, key: String, size: Int) -> PipelineFacts {
        PipelineFacts(
            method: "GET", path: "/v3/async/task-result", apiKey: key, testID: "t\(index)",
            query: [("task_id", "task-\(index)")], headers: ["Host": "mock", "X-Index": String(index)],
            responseBody: Array(repeating: UInt8(ascii: "a") + UInt8(index % 26), count: size))
    }

    static func check(_ kept: RequestJournal.Kept, index: Int, key: String, size: Int) {
        let request = kept.entry.request
        #expect(request.testID == "t\(index)")
        #expect(request.apiKey == key)
        #expect(request.query.first?.value == "task-\(index)")
        #expect(request.headers.last?.value == String(index))
        #expect(request.responseBody == Array(repeating: UInt8(ascii: "a") + UInt8(index % 26), count: size))
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
            journal.append(
                Self.facts(index, key: "k\(index % 3)", size: size), timeMs: Int64(index), status: 200 + index % 100,
                latencyMs: 1)
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
        journal.append(Self.facts(3_000, key: "k0", size: 10), timeMs: 0, status: 200, latencyMs: 1)
        #expect(journal.entries(matching: RequestJournal.Filter(limit: 1)).entries.first?.sequence == 3_001)
        journal.reset(apiKey: nil)
        #expect(journal.statistics.count == 0)
    }
}
