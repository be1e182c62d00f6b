import CMicroHTTPD
import Glibc

/// Answers some requests from their head alone, before the server copies anything out of
/// libmicrohttpd: no request object, no strings, no handler call. For the one answer that must
/// cost what the server itself costs (docs/architecture.md "Request path": a finished task's poll).
///
/// The server asks `mayAnswer` about every request once its header is parsed, and `respond` about
/// those it may answer once the request is complete (no body came) and while the server is not
/// draining; a request it declines goes the usual way, untouched. Both run on poll threads, on
/// all of them at once: they must be quick (`mayAnswer` a comparison or two) and never block.
public protocol EarlyResponder: AnyObject, Sendable {
    /// Whether the request may be one `respond` answers (its method and path, say).
    func mayAnswer(_ head: BorrowedRequestHead) -> Bool
    /// Either queues an answer with `head.queue(_:)` (at most once) and says so, or declines.
    func respond(to head: BorrowedRequestHead) -> EarlyAnswer
}

/// What an `EarlyResponder` did with a request.
public enum EarlyAnswer: Sendable {
    /// Nothing: the server reads the request and runs its handler as usual.
    case declined
    /// A response is queued; the request is answered.
    case queued
    /// Queueing failed (libmicrohttpd refused it): the server closes the connection.
    case failed
}

/// A request's head as libmicrohttpd holds it, borrowed: valid only during the `EarlyResponder`
/// call it is given to, never to be kept. Values are the bytes MHD
/// parsed (query values percent-decoded), not copies.
public struct BorrowedRequestHead {
    let connection: OpaquePointer
    let url: UnsafePointer<CChar>
    let method: UnsafePointer<CChar>

    /// Whether the method is exactly `name`.
    public func methodIs(_ name: StaticString) -> Bool {
        strcmp(method, UnsafeRawPointer(name.utf8Start).assumingMemoryBound(to: CChar.self)) == 0
    }

    /// Whether the (percent-decoded) path is exactly `path`.
    public func pathIs(_ path: StaticString) -> Bool {
        strcmp(url, UnsafeRawPointer(path.utf8Start).assumingMemoryBound(to: CChar.self)) == 0
    }

    /// Whether the (percent-decoded) path starts with `prefix`.
    public func pathHasPrefix(_ prefix: StaticString) -> Bool {
        strncmp(url, UnsafeRawPointer(prefix.utf8Start).assumingMemoryBound(to: CChar.self), prefix.utf8CodeUnitCount)
            == 0
    }

    /// The (percent-decoded) path's bytes, borrowed like the rest of the head.
    public var path: UnsafeRawBufferPointer {
        UnsafeRawBufferPointer(start: url, count: strlen(url))
    }

    /// Lists the header fields as sent, in order, into `room`; returns how many there are (when
    /// more than `room` holds, only the first `room.count` are listed).
    public func listHeaders(into room: UnsafeMutableBufferPointer<BorrowedField>) -> Int {
        list(.HEADER_KIND, into: room)
    }

    /// Lists the query parameters, in order, values percent-decoded (a name without `=` has an
    /// empty value), into `room`; returns how many there are, as `listHeaders`.
    public func listQueryParameters(into room: UnsafeMutableBufferPointer<BorrowedField>) -> Int {
        list(.GET_ARGUMENT_KIND, into: room)
    }

    /// Lists the header fields and query parameters into room on the stack (`headerRoom` and
    /// `queryRoom` of them) and gives both to `body`; a request with more of either than that
    /// is declined without calling it (clients send far fewer: such a request is the pipeline's).
    public func withFields(
        headerRoom: Int, queryRoom: Int,
        _ body: (_ headers: UnsafeBufferPointer<BorrowedField>, _ query: UnsafeBufferPointer<BorrowedField>) ->
            EarlyAnswer
    ) -> EarlyAnswer {
        withUnsafeTemporaryAllocation(of: BorrowedField.self, capacity: headerRoom) { headers in
            let headerCount = listHeaders(into: headers)
            guard headerCount <= headers.count else { return .declined }
            return withUnsafeTemporaryAllocation(of: BorrowedField.self, capacity: queryRoom) { query in
                let queryCount = listQueryParameters(into: query)
                guard queryCount <= query.count else { return .declined }
                return body(
                    UnsafeBufferPointer(rebasing: headers[..<headerCount]),
                    UnsafeBufferPointer(rebasing: query[..<queryCount]))
            }
        }
    }

    /// One C call, no callback into Swift per value.
    private func list(_ kind: MHD_ValueKind, into room: UnsafeMutableBufferPointer<BorrowedField>) -> Int {
        guard let base = room.baseAddress else { return cmhd_values(connection, kind, nil, 0) }
        return UnsafeMutableRawPointer(base).withMemoryRebound(to: cmhd_value.self, capacity: room.count) {
            cmhd_values(connection, kind, $0, room.count)
        }
    }

    /// Queues `prepared` as the answer. The caller keeps `prepared` alive until this returns;
    /// libmicrohttpd holds its own reference from then on.
    public func queue(_ prepared: PreparedResponse) -> EarlyAnswer {
        MHD_queue_response(connection, UInt32(prepared.status), prepared.handle) == .YES ? .queued : .failed
    }
}

/// A header field or query parameter as libmicrohttpd holds it (see `BorrowedRequestHead`): laid
/// out as the C listing writes it, so a room of them is filled in place.
public struct BorrowedField {
    private let raw: cmhd_value

    public var name: UnsafeRawBufferPointer {
        UnsafeRawBufferPointer(start: raw.name, count: raw.name == nil ? 0 : raw.name_size)
    }

    public var value: UnsafeRawBufferPointer {
        UnsafeRawBufferPointer(start: raw.value, count: raw.value == nil ? 0 : raw.value_size)
    }
}
