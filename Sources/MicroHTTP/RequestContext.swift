import CMicroHTTPD
import Dispatch
import Synchronization

/// One request's state from its first access-handler call to MHD's completion notice.
///
/// The poll thread owns most transitions; background work, timers and shutdown only ever wake a
/// suspended connection. Every suspend and resume happens under `state`'s lock together with the
/// flag that records it, so a connection is never resumed twice, never resumed after MHD
/// reported it complete, and shutdown sees exactly which connections still sleep.
final class RequestContext: Sendable {
    enum Phase {
        /// Reading the body; the handler has not run yet.
        case receiving
        /// Handler or timer work is running; the connection is suspended.
        case waiting
        /// The work finished: go on with this reply at the next access-handler call.
        case ready(HTTPReply)
        /// A response is queued (or nothing more will be sent).
        case responded
    }

    struct State {
        /// Nil once MHD reported the request complete: it must not be touched afterwards.
        var connection: Connection?
        var phase = Phase.receiving
        var isSuspended = false
        /// Set by shutdown after the grace period: answer nothing more, close.
        var isAbandoned = false
        var body: [UInt8] = []
        var bodyTooLarge: Bool
        var bodyOverBudget: Bool
        /// Bytes of the server's body budget this request holds (released at completion).
        var reservedBytes = 0
        /// Whether the server lists this request among those shutdown must wake.
        var isRegistered = false
    }

    let head: RequestHead
    /// True when `Content-Length` alone exceeded the limit or the budget left: the body is never
    /// read, the request is answered at once and the connection closed.
    let declaredRefused: Bool
    private let state: Mutex<State>
    private let server: ServerContext

    init(connection: OpaquePointer, head: RequestHead, server: ServerContext) {
        self.head = head
        self.server = server
        let tooLarge = head.contentLength.map { $0 > UInt64(max(server.maxBodyBytes, 0)) } ?? false
        let overBudget = !tooLarge && head.contentLength.map { !server.budgetFits($0) } ?? false
        self.declaredRefused = tooLarge || overBudget
        var body: [UInt8] = []
        if !declaredRefused, let length = head.contentLength {
            // Trust a declared length only so far: a client could claim the limit and send nothing.
            body.reserveCapacity(Int(min(length, 1 << 20)))
        }
        self.state = Mutex(
            State(
                connection: Connection(connection), body: body, bodyTooLarge: tooLarge, bodyOverBudget: overBudget))
    }

    // MARK: Body

    /// Keeps an uploaded chunk, or drops the body once it is over the server's per-request limit
    /// or its shared budget (never storing more, and giving back what it held).
    func append(_ chunk: UnsafeRawBufferPointer, server: ServerContext) {
        state.withLock { state in
            guard case .receiving = state.phase, !state.bodyTooLarge, !state.bodyOverBudget else { return }
            if state.body.count + chunk.count > server.maxBodyBytes {
                state.bodyTooLarge = true
            } else if !server.reserveBodyBytes(chunk.count) {
                state.bodyOverBudget = true
            } else {
                state.reservedBytes += chunk.count
                state.body.append(contentsOf: chunk)
                return
            }
            state.body = []
            server.releaseBodyBytes(state.reservedBytes)
            state.reservedBytes = 0
        }
    }

    // MARK: Answering

    /// What the access handler should do on a call without upload data.
    enum Step {
        case runHandler(HTTPRequest)
        case process(HTTPReply)
        case keepWaiting
        case close
    }

    func nextStep() -> Step {
        state.withLock { state in
            if state.isAbandoned { return .close }
            switch state.phase {
            case .receiving:
                state.phase = .responded
                let body = state.body
                state.body = []
                return .runHandler(
                    HTTPRequest(
                        method: head.method, path: head.path, query: head.query, headers: head.headers,
                        body: body, bodyTooLarge: state.bodyTooLarge, bodyOverBudget: state.bodyOverBudget,
                        remoteAddress: head.remoteAddress))
            case .ready(let reply):
                state.phase = .responded
                return .process(reply)
            case .waiting, .responded:
                return .keepWaiting
            }
        }
    }

    /// Suspends the connection until `deliver` or `abandon`. Poll thread only.
    /// Returns false when the request is abandoned.
    func suspendForWork() -> Bool {
        state.withLock { state in
            guard !state.isAbandoned, !state.isSuspended, let connection = state.connection else { return false }
            registerOnce(&state)
            state.phase = .waiting
            state.isSuspended = true
            MHD_suspend_connection(connection.pointer)
            return true
        }
    }

    /// Hands the result of background work or a timer to the poll thread and wakes the connection.
    func deliver(_ reply: HTTPReply) {
        state.withLock { state in
            guard case .waiting = state.phase, state.isSuspended, !state.isAbandoned,
                let connection = state.connection
            else { return }
            state.phase = .ready(reply)
            state.isSuspended = false
            MHD_resume_connection(connection.pointer)
        }
    }

    /// Suspends while a slow body waits for its next slot. Poll thread only (content reader).
    func suspendForSlowBody() -> Bool {
        state.withLock { state in
            guard !state.isAbandoned, !state.isSuspended, let connection = state.connection else { return false }
            registerOnce(&state)
            state.isSuspended = true
            MHD_suspend_connection(connection.pointer)
            return true
        }
    }

    /// Lists the request with the server before its first suspend, so shutdown can wake it.
    private func registerOnce(_ state: inout State) {
        guard !state.isRegistered else { return }
        state.isRegistered = true
        server.registerSuspendable(self)
    }

    /// Wakes a connection suspended by `suspendForSlowBody`.
    func resumeSlowBody() {
        state.withLock { state in
            guard state.isSuspended, !state.isAbandoned, let connection = state.connection else { return }
            state.isSuspended = false
            MHD_resume_connection(connection.pointer)
        }
    }

    var isAbandoned: Bool { state.withLock { $0.isAbandoned } }

    /// Shutdown ran out of grace: wake the connection so MHD can close it before it stops
    /// (stopping with suspended connections is undefined behaviour in libmicrohttpd).
    func abandon() {
        state.withLock { state in
            state.isAbandoned = true
            if state.isSuspended, let connection = state.connection {
                state.isSuspended = false
                MHD_resume_connection(connection.pointer)
            }
        }
    }

    /// MHD is done with the connection's request; late work and timers must leave it alone.
    /// Returns the body budget it held, for the server to take back, and whether the server
    /// lists it (see `registerOnce`).
    func complete() -> (reservedBytes: Int, isRegistered: Bool) {
        state.withLock { state in
            state.connection = nil
            state.isSuspended = false
            state.body = []
            defer {
                state.reservedBytes = 0
                state.isRegistered = false
            }
            return (state.reservedBytes, state.isRegistered)
        }
    }
}
