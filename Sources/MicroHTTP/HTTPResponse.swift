/// Immutable bytes that a response can hand to the server without copying them per request
/// (cached images). Thread-safe because it is never mutated after init.
///
/// The bytes live in one allocation whose address never changes, so the server can send them
/// straight from it while a response is in flight (an `Array`'s storage address is only
/// guaranteed inside `withUnsafeBufferPointer`).
public final class SharedBytes: @unchecked Sendable {  // storage is written once in init, only read after
    private let storage: UnsafeMutableRawBufferPointer

    public init(_ bytes: [UInt8]) {
        storage = UnsafeMutableRawBufferPointer.allocate(byteCount: bytes.count, alignment: 16)
        bytes.withUnsafeBytes { storage.copyMemory(from: $0) }
    }

    deinit { storage.deallocate() }

    /// A fresh copy of the bytes. Costs O(count) on every access: prefer `withUnsafeBytes` or
    /// `subscript` on hot paths.
    public var bytes: [UInt8] { Array(UnsafeRawBufferPointer(storage)) }

    public var count: Int { storage.count }

    /// The byte at `index`.
    public subscript(index: Int) -> UInt8 { UnsafeRawBufferPointer(storage)[index] }

    /// Calls `body` with the bytes, without copying them. The pointer must not escape `body`.
    public func withUnsafeBytes<Result, Failure: Error>(
        _ body: (UnsafeRawBufferPointer) throws(Failure) -> Result
    ) throws(Failure) -> Result {
        try body(UnsafeRawBufferPointer(storage))
    }

    /// The start of the storage, stable for the object's lifetime: the server retains `self`
    /// for as long as libmicrohttpd may read from it.
    var stableBaseAddress: UnsafeRawPointer? { UnsafeRawPointer(storage.baseAddress) }
}

/// The body of a response.
public enum HTTPBody: Sendable {
    case bytes([UInt8])
    /// Shared immutable bytes, optionally a sub-range of them (for `Range` requests).
    case shared(SharedBytes, range: Range<Int>)

    public var count: Int {
        switch self {
        case .bytes(let b): b.count
        case .shared(_, let range): range.count
        }
    }
}

/// One HTTP response. The server adds `Content-Length` itself.
public struct HTTPResponse: Sendable {
    public var status: Int
    public var headers: HTTPHeaders
    public var body: HTTPBody
    /// When set, the body is sent at about this many bytes per second (fault injection), without
    /// holding a poll thread or spinning a core.
    public var bodyBytesPerSecond: Int?
    /// When true, the server closes the connection after this response.
    public var closeConnection: Bool
    /// When true, no response is sent at all: the connection is closed (fault injection).
    public var dropConnection: Bool
    /// Facts about this answer for the server's own journal and logs (a task id, an error's
    /// reason), set by whoever made it so nobody parses the body again; never sent.
    public var annotations: [String: String] = [:]
    /// A libmicrohttpd object made once for this very answer (see `PreparedResponse`); used only
    /// while the response still matches it.
    public var prepared: PreparedResponse?

    public init(
        status: Int, headers: HTTPHeaders = [:], body: HTTPBody = .bytes([]), bodyBytesPerSecond: Int? = nil,
        closeConnection: Bool = false
    ) {
        self.status = status
        self.headers = headers
        self.body = body
        self.bodyBytesPerSecond = bodyBytesPerSecond
        self.closeConnection = closeConnection
        self.dropConnection = false
    }

    public init(status: Int, headers: HTTPHeaders = [:], body: [UInt8]) {
        self.init(status: status, headers: headers, body: .bytes(body))
    }

    /// A response that closes the connection without answering.
    public static var drop: HTTPResponse {
        var response = HTTPResponse(status: 0)
        response.dropConnection = true
        return response
    }
}

/// What a handler returns: an answer now, or work to run off the poll threads.
public enum HTTPReply: Sendable {
    /// Answer at once, on the poll thread (cheap handlers only).
    case now(HTTPResponse)
    /// Run `work` on a background thread while the connection is suspended, then answer.
    case later(@Sendable () -> HTTPResponse)
    /// Wait `milliseconds` without holding any thread, then go on with `next`.
    indirect case after(milliseconds: Int, HTTPReply)
    /// The handler runs the work itself (on its own bounded pool) and calls `deliver` once with
    /// the reply; the connection is suspended until then and no thread is held meanwhile.
    case deferred(@Sendable (_ deliver: @escaping @Sendable (HTTPReply) -> Void) -> Void)
}
