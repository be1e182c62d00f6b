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

/// A request's head as libmicrohttpd holds it, borrowed: valid only during the
/// `EarlyResponder.respond(to:)` call it is given to, never to be kept. Values are the bytes MHD
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

    /// Calls `body` with each header field as sent, in order: name and value bytes.
    public func forEachHeader(_ body: (UnsafeRawBufferPointer, UnsafeRawBufferPointer) -> Void) {
        forEach(.HEADER_KIND, body)
    }

    /// Calls `body` with each query parameter, in order: name and percent-decoded value bytes (a
    /// name without `=` has an empty value).
    public func forEachQueryParameter(_ body: (UnsafeRawBufferPointer, UnsafeRawBufferPointer) -> Void) {
        forEach(.GET_ARGUMENT_KIND, body)
    }

    private func forEach(_ kind: MHD_ValueKind, _ body: (UnsafeRawBufferPointer, UnsafeRawBufferPointer) -> Void) {
        // Listed in one C call into room on the stack (a request with more values: on the heap).
        withUnsafeTemporaryAllocation(of: cmhd_value.self, capacity: 32) { room in
            let count = cmhd_values(connection, kind, room.baseAddress, room.count)
            guard count > room.count else {
                for item in room[..<count] {
                    body(Self.bytes(item.name, item.name_size), Self.bytes(item.value, item.value_size))
                }
                return
            }
            var all = [cmhd_value](repeating: cmhd_value(), count: count)
            let listed = all.withUnsafeMutableBufferPointer { cmhd_values(connection, kind, $0.baseAddress, $0.count) }
            for item in all.prefix(listed) {
                body(Self.bytes(item.name, item.name_size), Self.bytes(item.value, item.value_size))
            }
        }
    }

    private static func bytes(_ pointer: UnsafePointer<CChar>?, _ count: Int) -> UnsafeRawBufferPointer {
        UnsafeRawBufferPointer(start: pointer, count: pointer == nil ? 0 : count)
    }

    /// Queues `prepared` as the answer. The caller keeps `prepared` alive until this returns;
    /// libmicrohttpd holds its own reference from then on.
    public func queue(_ prepared: PreparedResponse) -> EarlyAnswer {
        MHD_queue_response(connection, UInt32(prepared.status), prepared.handle) == .YES ? .queued : .failed
    }
}
