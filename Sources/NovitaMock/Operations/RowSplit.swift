/// A full-size pass of an operation split across cores the way rendering is (docs/architecture.md
/// "Threads", `BlockingWorkPool.renderHelpers`): the lower half of the rows on a helper pool while
/// the caller runs the upper half, then the caller waits for it. Each row's result must depend on
/// its own inputs only, so the bytes are the same split or not, on any number of cores.
enum RowSplit {
    /// Below this many rows the hand-off costs more than the half it saves.
    static let minimumRows = 128

    /// Runs `body` over `0..<rows` — in two halves when `helpers` is given and there are enough
    /// rows. `body` must write only the rows it is given. Never pass the pool the caller runs on
    /// (its threads could all end up waiting for their own halves).
    static func run(rows: Int, helpers: BlockingWorkPool?, _ body: (Range<Int>) -> Void) {
        guard let helpers, rows >= minimumRows else {
            body(0..<rows)
            return
        }
        let split = rows / 2
        withoutActuallyEscaping(body) { body in
            let lower = SharedBody(body)
            let pending = Pending(on: helpers) { lower.runOnce(split..<rows) }
            body(0..<split)
            pending.take()
        }
    }
}

/// `RowSplit.run`'s body, handed to the helper thread.
// @unchecked: the two halves write disjoint rows; `runOnce` lets go of the body before the helper
// reports its half done, and `RowSplit.run` waits for that report before it returns — so the
// body, and what it captured, is never used or held past its scope (`withoutActuallyEscaping`
// checks the last part).
private final class SharedBody: @unchecked Sendable {
    private var body: ((Range<Int>) -> Void)?

    init(_ body: @escaping (Range<Int>) -> Void) {
        self.body = body
    }

    func runOnce(_ rows: Range<Int>) {
        let body = self.body.take()!
        body(rows)
    }
}
