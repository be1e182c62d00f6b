import Dispatch

extension HTTPReply {
    /// The same reply with `transform` applied to its response once that is known, whichever
    /// way it arrives (now, after background work, after a timer).
    public func mapResponse(_ transform: @escaping @Sendable (HTTPResponse) -> HTTPResponse) -> HTTPReply {
        switch self {
        case .now(let response):
            return .now(transform(response))
        case .later(let work):
            return .later { transform(work()) }
        case .after(let ms, let next):
            return .after(milliseconds: ms, next.mapResponse(transform))
        case .deferred(let start):
            return .deferred { deliver in start { deliver($0.mapResponse(transform)) } }
        }
    }

    /// Runs the reply to completion on the calling thread and returns its response, skipping
    /// timers. For background threads and tests only: it blocks.
    public func waitForResponse() -> HTTPResponse {
        switch self {
        case .now(let response):
            return response
        case .later(let work):
            return work()
        case .after(_, let next):
            return next.waitForResponse()
        case .deferred(let start):
            let done = DispatchSemaphore(value: 0)
            let box = ReplyBox()
            start { reply in
                box.reply = reply
                done.signal()
            }
            done.wait()
            return box.reply?.waitForResponse() ?? HTTPResponse(status: 500, body: [])
        }
    }
}

/// Carries a reply from the delivering thread to the waiting one; the semaphore orders the two.
private final class ReplyBox: @unchecked Sendable {
    var reply: HTTPReply?
}
