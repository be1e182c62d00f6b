/// One HTTP request as the domain sees it: copied out of libmicrohttpd, owned, immutable.
public struct HTTPRequest: Sendable {
    /// The method as sent, e.g. `GET`.
    public var method: String
    /// The percent-decoded path without the query string, e.g. `/v3/async/task-result`.
    public var path: String
    /// The query parameters, percent-decoded (`+` as space), in the order sent; a key may repeat.
    public var query: [(name: String, value: String)]
    public var headers: HTTPHeaders
    public var body: [UInt8]
    /// True when the body was larger than the server's limit: `body` is then empty and the
    /// handler is expected to answer 413. The rest of the body is never read.
    public var bodyTooLarge: Bool
    /// True when the server already held `maxBufferedBodyBytes` of other requests' bodies: `body`
    /// is then empty and the handler is expected to ask the client to retry shortly.
    public var bodyOverBudget: Bool
    /// The client's address, e.g. `127.0.0.1`, or empty when unknown.
    public var remoteAddress: String
    /// True when the request came over TLS (a server with `HTTPServerConfiguration.tls`).
    public var isSecure = false

    public init(
        method: String, path: String, query: [(name: String, value: String)] = [], headers: HTTPHeaders = [:],
        body: [UInt8] = [], bodyTooLarge: Bool = false, bodyOverBudget: Bool = false, remoteAddress: String = ""
    ) {
        self.method = method
        self.path = path
        self.query = query
        self.headers = headers
        self.body = body
        self.bodyTooLarge = bodyTooLarge
        self.bodyOverBudget = bodyOverBudget
        self.remoteAddress = remoteAddress
    }

    /// The first value of query parameter `name`, or nil.
    public func queryValue(_ name: String) -> String? {
        query.first { $0.name == name }?.value
    }
}
