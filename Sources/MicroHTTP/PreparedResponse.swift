import CMicroHTTPD

/// A libmicrohttpd response object made once and queued for every request it answers: for
/// answers that do not change between requests (a finished task's result, a cached image).
/// libmicrohttpd counts the references of a response object under its own lock, so one object may
/// be queued on many connections and poll threads at once; each queue costs a reference count
/// instead of an allocation, a copy of the body and one call per header.
///
/// Attach it to the `HTTPResponse` it was made from (`HTTPResponse(prepared:)`). The server sends
/// the object only while the response still says exactly what it says — same status, same
/// headers, the same body storage, no slow body, no `Connection: close` — and builds a fresh
/// response otherwise, so whoever changes the response on its way (a fault, a warning header)
/// never needs to know.
public final class PreparedResponse: @unchecked Sendable {  // immutable after init; MHD counts its references
    public let status: Int
    public let headers: HTTPHeaders
    public let body: HTTPBody
    let handle: OpaquePointer

    /// Nil when libmicrohttpd refuses the object (out of memory) or the status is not a status.
    public init?(status: Int, headers: HTTPHeaders, body: HTTPBody) {
        guard (100...999).contains(status), let handle = MHDResponse.makeBuffer(MHDResponse.clamped(body)) else {
            return nil
        }
        for field in headers {
            // As for any response: MHD refuses what it must own (Content-Length) and malformed fields.
            _ = MHD_add_response_header(handle, field.name, field.value)
        }
        self.status = status
        self.headers = headers
        self.body = body
        self.handle = handle
    }

    deinit {
        // Connections it is still queued on hold their own references.
        MHD_destroy_response(handle)
    }

    /// Whether `response` says exactly what this object sends.
    public func matches(_ response: HTTPResponse) -> Bool {
        guard response.status == status, response.bodyBytesPerSecond == nil, !response.closeConnection,
            !response.dropConnection, Self.sameStorage(response.body, body)
        else { return false }
        return response.headers == headers
    }

    /// The same bytes by identity, not by content: comparing contents would cost what the
    /// object saves. An `Array` shares its storage until it is changed, and this object keeps a
    /// reference, so equal base addresses mean unchanged bytes.
    private static func sameStorage(_ left: HTTPBody, _ right: HTTPBody) -> Bool {
        switch (left, right) {
        case (.bytes(let a), .bytes(let b)):
            return a.count == b.count
                && a.withUnsafeBufferPointer { x in b.withUnsafeBufferPointer { y in x.baseAddress == y.baseAddress } }
        case (.shared(let a, let aRange), .shared(let b, let bRange)):
            return a === b && aRange == bRange
        default:
            return false
        }
    }
}

extension HTTPResponse {
    /// The response `prepared` sends; the server queues the prepared object as long as nothing
    /// about the response is changed.
    public init(prepared: PreparedResponse) {
        self.init(status: prepared.status, headers: prepared.headers, body: prepared.body)
        self.prepared = prepared
    }
}
