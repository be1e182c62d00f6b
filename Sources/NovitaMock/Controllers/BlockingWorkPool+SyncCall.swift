import MicroHTTP

extension BlockingWorkPool {
    /// A synchronous endpoint's reply (docs/contract.md §12): `work` runs here, never on a poll
    /// thread (429 when `limit` jobs already wait), and answers with its response and the
    /// milliseconds the whole call is modelled to take; the reply waits out what the work did
    /// not already spend.
    func syncCallReply(limit: Int, _ work: @escaping @Sendable () -> (HTTPResponse, Int64)) -> HTTPReply {
        guard queuedCount < limit else { return .now(APIError.workQueueFull().response) }
        let started = ContinuousClock.now
        return .deferred { [self] deliver in
            submit {
                let (response, modelledMs) = work()
                let elapsed = ContinuousClock.now - started
                let spent = Int(
                    elapsed.components.seconds * 1000 + elapsed.components.attoseconds / 1_000_000_000_000_000)
                let wait = max(0, Int(modelledMs) - spent)
                deliver(wait > 0 ? .after(milliseconds: wait, .now(response)) : .now(response))
            }
        }
    }
}
