/// One outbound HTTP request: a webhook delivery or an S3 upload.
public struct OutboundRequest: Sendable {
    /// An HTTP method token such as `POST` or `PUT`.
    public var method: String
    /// An absolute `http` or `https` URL, already percent-encoded.
    public var url: String
    /// Sent in order, as given. `Content-Length`, `Host` and `Expect` are set by the client.
    public var headers: [(name: String, value: String)]
    /// Sent byte for byte.
    public var body: [UInt8]
    /// Limit on the whole transfer (connect, send, wait, receive), in milliseconds.
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
