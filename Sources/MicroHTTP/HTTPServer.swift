/// Placeholder: the libmicrohttpd server is being written in its own change.
public struct HTTPServerConfiguration: Sendable {
    public var host: String = "0.0.0.0"
    public var port: Int = 8080
    public var pollThreads: Int = 2
    public var maxBodyBytes: Int = 64 << 20
    public var connectionTimeoutSeconds: Int = 30
    public var connectionLimit: Int = 4096
    public init() {}
}

public enum HTTPServerError: Error, Sendable, Equatable {
    case startFailed(String)
}

public final class HTTPServer: Sendable {
    public let port: Int
    public init(
        configuration: HTTPServerConfiguration, handler: @escaping @Sendable (HTTPRequest) -> HTTPReply
    ) throws(HTTPServerError) {
        throw .startFailed("not implemented yet")
    }
    public func shutdown(graceSeconds: Double = 10) {}
}
