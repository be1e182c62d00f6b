import MicroHTTP
import Testing

@testable import NovitaMock

/// The journal's rings: entries of every size kept in order, the newest within the entry and byte
/// limits, whatever wrapping, growing, sharing of facts, spreading over shares and resetting
/// happened on the way.
@Suite("Request journal ring")
struct RequestJournalTests {
    /// Appends facts whose test id says which append made them (`factsIndex`: the same for a
    /// run of appends that send the same head), with a response body of `size` bytes.
    static func append(
        _ index: Int, factsIndex: Int? = nil, key: String, size: Int, to journal: RequestJournal, timeMs: Int64 = 0,
        status: Int = 200, share: Int? = nil
    ) {
        let factsIndex = factsIndex ?? index
        let facts = PipelineFacts(
            method: "GET", path: "/v3/async/task-result", apiKey: key, testID: "t\(factsIndex)",
            query: [("task_id", "task-\(factsIndex)")], headers: ["Host": "mock", "X-Index": String(factsIndex)])
        body(index, size: size).withUnsafeBytes { body in
            journal.append(facts, responseBody: body, timeMs: timeMs, status: status, latencyMs: 1, share: share)
        }
    }

    static func body(_ index: Int, size: Int) -> [UInt8] {
        Array(repeating: UInt8(ascii: "a") + UInt8(index % 26), count: size)
    }

    static func check(_ kept: RequestJournal.Kept, index: Int, factsIndex: Int? = nil, key: String, size: Int) {
        let request = kept.entry.request
        let factsIndex = factsIndex ?? index
        #expect(request.testID == "t\(factsIndex)")
        #expect(request.apiKey == key)
        #expect(request.query.first?.value == "task-\(factsIndex)")
        #expect(request.headers.last?.value == String(factsIndex))
        #expect(kept.entry.responseBody == body(index, size: size))
        #expect(kept.entry.status == 200 + index % 100)
    }

    /// How appends are spread: over how many shares (a pseudo-random choice, most to the first,
    /// as when one poll thread takes most calls), and how many appends in a row send one head.
    struct Spread: Sendable, CustomStringConvertible {
        let shares: Int
        let run: Int
        var description: String { "\(shares) shares, heads repeated \(run)×" }
    }

    @Test(
        arguments: [(entries: 50, bytes: 16 << 20), (entries: 10_000, bytes: 64 << 10), (entries: 7, bytes: 4_000)],
        [Spread(shares: 1, run: 1), Spread(shares: 1, run: 4), Spread(shares: 3, run: 1), Spread(shares: 3, run: 4)])
    func keepsTheNewestEntriesWholeInOrder(limits: (entries: Int, bytes: Int), spread: Spread) {
        let journal = RequestJournal(maxEntries: limits.entries, maxBytes: limits.bytes, shareCount: spread.shares)
        var random = SplitMix64(seed: 7)
        var sizes: [Int] = []
        // Appends in a run of one head share a key too: a head holds its key.
        func key(_ index: Int) -> String { "k\(index / spread.run % 3)" }
        for index in 0..<3_000 {
            // Mostly poll-sized, now and then a large body: wraps at every offset.
            let size = random.next() % 10 == 0 ? Int(random.next() % 20_000) : Int(random.next() % 900)
            sizes.append(size)
            let share = random.next() % 10 < 7 ? 0 : Int(random.next() % UInt64(spread.shares))
            Self.append(
                index, factsIndex: index / spread.run, key: key(index), size: size, to: journal, timeMs: Int64(index),
                status: 200 + index % 100, share: share)
        }
        let (kept, dropped) = journal.entries(matching: RequestJournal.Filter(limit: .max))
        #expect(!kept.isEmpty)
        #expect(kept.count <= limits.entries)
        #expect(kept.count + dropped == 3_000)
        let first = 3_000 - kept.count
        for (offset, entry) in kept.enumerated() {
            let index = first + offset
            #expect(entry.sequence == index + 1)
            Self.check(entry, index: index, factsIndex: index / spread.run, key: key(index), size: sizes[index])
        }
        let statistics = journal.statistics
        #expect(statistics.count == kept.count)
        #expect(statistics.bytes <= max(limits.bytes, kept.last?.bytes ?? 0))
        // Filters read the same bytes.
        let one = journal.entries(matching: RequestJournal.Filter(testID: "t\(2_999 / spread.run)"))
        #expect(one.entries.last?.sequence == 3_000)
        // A reset of one key keeps the others' entries, whole, and appending goes on.
        journal.reset(apiKey: "k1")
        let after = journal.entries(matching: RequestJournal.Filter(limit: .max)).entries
        #expect(after.map(\.sequence) == kept.filter { $0.entry.apiKey != "k1" }.map(\.sequence))
        for entry in after {
            let index = entry.sequence - 1
            Self.check(entry, index: index, factsIndex: index / spread.run, key: key(index), size: sizes[index])
        }
        Self.append(3_000, key: "k0", size: 10, to: journal)
        #expect(journal.entries(matching: RequestJournal.Filter(limit: 1)).entries.first?.sequence == 3_001)
        journal.reset(apiKey: nil)
        #expect(journal.statistics.count == 0)
    }

    /// Poll threads appending at once, each to whichever share its CPU has: every entry is kept
    /// whole with its own facts and body, numbered without gaps, the newest within the limit.
    @Test func threadsAppendingAtOnceKeepEveryEntryWhole() async {
        let journal = RequestJournal(maxEntries: 20_000, maxBytes: 16 << 20)
        let threads = 4
        let perThread = 4_000
        await withTaskGroup(of: Void.self) { group in
            for thread in 0..<threads {
                group.addTask {
                    for round in 0..<perThread {
                        // Runs of four appends with one head, so that some share their facts.
                        let index = thread * perThread + round
                        Self.append(
                            index, factsIndex: index / 4, key: "k\(thread)", size: 50 + index % 200, to: journal,
                            status: 200 + index % 100)
                    }
                }
            }
        }
        let (kept, dropped) = journal.entries(matching: RequestJournal.Filter(limit: .max))
        #expect(kept.count == threads * perThread)
        #expect(dropped == 0)
        #expect(kept.map(\.sequence) == Array(1...(threads * perThread)))
        for entry in kept {
            let index = Int(entry.entry.request.headers.last!.value)! * 4
            let thread = index / perThread
            // Which of the run of four it was: the body's length says.
            let body = entry.entry.responseBody
            let exact = (index..<index + 4).first {
                50 + $0 % 200 == body.count && 200 + $0 % 100 == entry.entry.status
            }
            #expect(exact != nil)
            if let exact {
                Self.check(entry, index: exact, factsIndex: exact / 4, key: "k\(thread)", size: 50 + exact % 200)
            }
        }
        // Reads settle the shares to the limit: the newest kept, numbered on.
        let small = RequestJournal(maxEntries: 100, maxBytes: 16 << 20)
        await withTaskGroup(of: Void.self) { group in
            for thread in 0..<threads {
                group.addTask {
                    for round in 0..<1_000 { Self.append(thread * 1_000 + round, key: "k", size: 10, to: small) }
                }
            }
        }
        let newest = small.entries(matching: RequestJournal.Filter(limit: .max))
        #expect(newest.entries.map(\.sequence) == Array(3_901...4_000))
        #expect(newest.dropped == 3_900)
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
