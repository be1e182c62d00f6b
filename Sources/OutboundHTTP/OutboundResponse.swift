/// What the receiver answered. Any status, 4xx and 5xx included, is a response, not an error.
public struct OutboundResponse: Sendable {
    public var status: Int
    /// The final response's header fields in arrival order, names as the receiver spelled them.
    public var headers: [(name: String, value: String)]
    /// The body's first `OutboundHTTPClient.maxResponseBodyBytes` bytes; the rest is read and dropped.
    public var body: [UInt8]

    public init(status: Int, headers: [(name: String, value: String)], body: [UInt8]) {
        self.status = status
        self.headers = headers
        self.body = body
    }

    /// The first header with this name, compared case-insensitively.
    public func header(_ name: String) -> String? {
        let wanted = name.lowercased()
        return headers.first { $0.name.lowercased() == wanted }?.value
    }
}
