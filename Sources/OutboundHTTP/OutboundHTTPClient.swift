// Placeholder: the libcurl client is written in its own change.
public struct OutboundRequest: Sendable {
    public var method: String
    public var url: String
    public var headers: [(name: String, value: String)]
    public var body: [UInt8]
    public var timeoutMs: Int
    public init(
        method: String, url: String, headers: [(name: String, value: String)] = [], body: [UInt8] = [],
        timeoutMs: Int = 5000
    ) {
        self.method = method
        self.url = url
        self.headers = headers
        self.body = body
        self.timeoutMs = timeoutMs
    }
}

public struct OutboundResponse: Sendable {
    public var status: Int
    public var headers: [(name: String, value: String)]
    public var body: [UInt8]
}

public enum OutboundError: Error, Sendable, Equatable {
    case invalidURL(String)
    case timedOut(afterMs: Int)
    case connectionFailed(String)
    case failed(String)
}

public final class OutboundHTTPClient: Sendable {
    public init() {}
    public func send(_ request: OutboundRequest) -> Result<OutboundResponse, OutboundError> {
        .failure(.failed("not implemented"))
    }
}
