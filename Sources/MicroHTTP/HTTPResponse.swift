/// Immutable bytes that a response can hand to the server without copying them per request
/// (cached images). Thread-safe because it is never mutated after init.
public final class SharedBytes: Sendable {
    public let bytes: [UInt8]
    public init(_ bytes: [UInt8]) { self.bytes = bytes }
    public var count: Int { bytes.count }
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
}
