import MicroHTTP

/// The server's one `EarlyResponder`: finished polls, cached downloads and the control plane's
/// inspections of finished tasks, each asked only about its own paths (docs/architecture.md
/// "Request path").
final class EarlyAnswers: EarlyResponder {
    private let polls: FinishedPollResponder
    private let media: CachedMediaResponder
    private let inspections: InspectionResponder

    init(polls: FinishedPollResponder, media: CachedMediaResponder, inspections: InspectionResponder) {
        self.polls = polls
        self.media = media
        self.inspections = inspections
    }

    func mayAnswer(_ head: BorrowedRequestHead) -> Bool {
        polls.mayAnswer(head) || media.mayAnswer(head) || inspections.mayAnswer(head)
    }

    func respond(to head: BorrowedRequestHead) -> EarlyAnswer {
        // Only requests one of them may answer get here, and their paths do not overlap.
        if head.pathIs(FinishedPollResponder.path) { return polls.respond(to: head) }
        if head.pathHasPrefix(InspectionResponder.prefix) { return inspections.respond(to: head) }
        return media.respond(to: head)
    }
}
