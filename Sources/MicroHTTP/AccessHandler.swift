import CMicroHTTPD
import Dispatch
import Synchronization

/// libmicrohttpd's entry points. They are C function pointers, so they capture nothing and find
/// the server through `cls` and the request through `con_cls`.
enum AccessHandler {
    /// Called at least three times per request: once the header is parsed (`con_cls` still nil),
    /// once per body chunk, and with no data once the body is complete, until a response is
    /// queued. Also called again after each resume of a suspended connection.
    static let callback: MHD_AccessHandlerCallback = {
        cls, connection, url, method, _, uploadData, uploadDataSize, requestPointer in
        guard let cls, let connection, let uploadDataSize, let requestPointer else { return .NO }
        // Borrowed, not retained: the server holds its context until MHD has stopped, and a count
        // here would be taken on every call, by every poll thread, on one cache line.
        return Unmanaged<ServerContext>.fromOpaque(cls)._withUnsafeGuaranteedRef { server in
            handle(
                server: server, connection: connection, url: url, method: method, uploadData: uploadData,
                uploadDataSize: uploadDataSize, requestPointer: requestPointer)
        }
    }

    private static func handle(
        server: ServerContext, connection: OpaquePointer, url: UnsafePointer<CChar>?,
        method: UnsafePointer<CChar>?, uploadData: UnsafePointer<CChar>?,
        uploadDataSize: UnsafeMutablePointer<Int>, requestPointer: UnsafeMutablePointer<UnsafeMutableRawPointer?>
    ) -> MHD_Result {
        guard var existing = requestPointer.pointee else {
            if let url, let method,
                server.earlyResponder?.mayAnswer(BorrowedRequestHead(connection: connection, url: url, method: method))
                    == true
            {
                // Answered at the next call, once the request is complete: an answer queued now,
                // before MHD knows there is no body, would close the connection. Counted in flight
                // like any request, so a drain waits for the answer to go out.
                requestPointer.pointee = earlyAnswerMarker
                server.requestStarted()
                return .YES
            }
            return begin(connection: connection, url: url, method: method, server: server, at: requestPointer).answer
        }
        if existing == earlyAnswerMarker {
            if uploadDataSize.pointee == 0, let url, let method, !server.isDraining.load(ordering: .relaxed) {
                switch server.earlyResponder?.respond(
                    to: BorrowedRequestHead(connection: connection, url: url, method: method))
                {
                case .queued: return .YES
                case .failed: return .NO
                case .declined, nil: break
                }
            }
            // Declined, or a body came: the usual way from here, the request read now.
            server.requestCompleted()
            let (answer, request) = begin(
                connection: connection, url: url, method: method, server: server, at: requestPointer)
            if request.declaredRefused { return answer }
            existing = Unmanaged.passUnretained(request).toOpaque()
        }
        let request = Unmanaged<RequestContext>.fromOpaque(existing).takeUnretainedValue()

        if uploadDataSize.pointee > 0 {
            if let uploadData {
                request.append(
                    UnsafeRawBufferPointer(start: uploadData, count: uploadDataSize.pointee), server: server)
            }
            uploadDataSize.pointee = 0
            return .YES
        }
        return advance(request, server: server, connection: connection)
    }

    /// Copies the request's head and makes its context (the first call of a request the early
    /// responder does not take). Too large by its own account, or more than the budget left: it
    /// is answered before a byte of its body is read; MHD then refuses the upload and closes the
    /// connection after the response.
    private static func begin(
        connection: OpaquePointer, url: UnsafePointer<CChar>?, method: UnsafePointer<CChar>?, server: ServerContext,
        at requestPointer: UnsafeMutablePointer<UnsafeMutableRawPointer?>
    ) -> (answer: MHD_Result, request: RequestContext) {
        let head = RequestHead(connection: connection, url: url, method: method)
        let request = RequestContext(connection: connection, head: head, server: server)
        requestPointer.pointee = Unmanaged.passRetained(request).toOpaque()
        server.requestStarted()
        return (request.declaredRefused ? advance(request, server: server, connection: connection) : .YES, request)
    }

    /// Fires once per request that reached the access handler, whether it completed, timed out or
    /// the client vanished mid-upload: the one place the request context is released.
    static let completed: MHD_RequestCompletedCallback = { cls, _, requestPointer, _ in
        guard let cls, let requestPointer, let existing = requestPointer.pointee else { return }
        requestPointer.pointee = nil
        Unmanaged<ServerContext>.fromOpaque(cls)._withUnsafeGuaranteedRef { server in
            if existing == earlyAnswerMarker {
                server.requestCompleted()
                return
            }
            let request = Unmanaged<RequestContext>.fromOpaque(existing).takeRetainedValue()
            let (reservedBytes, wasSuspendable) = request.complete()
            server.releaseBodyBytes(reservedBytes)
            if wasSuspendable { server.unregisterSuspendable(request) }
            server.requestCompleted()
        }
    }

    /// What a request answered by the early responder holds instead of a context (never
    /// dereferenced: no object lives at address 1).
    private static var earlyAnswerMarker: UnsafeMutableRawPointer { UnsafeMutableRawPointer(bitPattern: 1)! }

    /// A day: longer `.after` delays are clamped rather than risk overflowing the timer's clock.
    private static let maxDelayMilliseconds = 86_400_000

    private static func advance(
        _ request: RequestContext, server: ServerContext, connection: OpaquePointer
    ) -> MHD_Result {
        switch request.nextStep() {
        case .runHandler(let httpRequest):
            return process(server.handler(httpRequest), request: request, server: server, connection: connection)
        case .process(let reply):
            return process(reply, request: request, server: server, connection: connection)
        case .keepWaiting:
            return .YES
        case .close:
            return .NO
        }
    }

    private static func process(
        _ reply: HTTPReply, request: RequestContext, server: ServerContext, connection: OpaquePointer
    ) -> MHD_Result {
        switch reply {
        case .now(let response):
            // An unread body or a draining server leaves the connection unusable for another request.
            let forceClose = request.declaredRefused || server.isDraining.load(ordering: .relaxed)
            return MHDResponse.queue(response, on: connection, request: request, forceClose: forceClose)
        case .later(let work):
            guard request.suspendForWork() else { return .NO }
            DispatchQueue.global().async {
                request.deliver(.now(work()))
            }
            return .YES
        case .deferred(let start):
            guard request.suspendForWork() else { return .NO }
            start { reply in request.deliver(reply) }
            return .YES
        case .after(let milliseconds, let next):
            guard request.suspendForWork() else { return .NO }
            let delay = DispatchTimeInterval.milliseconds(min(max(milliseconds, 0), maxDelayMilliseconds))
            DispatchQueue.global().asyncAfter(deadline: .now() + delay) {
                request.deliver(next)
            }
            return .YES
        }
    }
}
