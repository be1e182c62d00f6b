import MicroHTTP

/// The server's one `EarlyResponder`: finished polls, then cached downloads, each asked only
/// about its own paths (docs/architecture.md "Request path").
final class EarlyAnswers: EarlyResponder {
    private let polls: FinishedPollResponder
    private let media: CachedMediaResponder

    init(polls: FinishedPollResponder, media: CachedMediaResponder) {
        self.polls = polls
        self.media = media
    }

    func mayAnswer(_ head: BorrowedRequestHead) -> Bool {
        polls.mayAnswer(head) || media.mayAnswer(head)
    }

    func respond(to head: BorrowedRequestHead) -> EarlyAnswer {
        // Only requests one of them may answer get here: a poll's path is not a download's.
        head.pathIs(FinishedPollResponder.path) ? polls.respond(to: head) : media.respond(to: head)
    }
}
