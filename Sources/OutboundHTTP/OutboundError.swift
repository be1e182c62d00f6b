/// Why a request got no HTTP response.
public enum OutboundError: Error, Sendable, Equatable {
    /// The URL as given: not an absolute `http`/`https` URL libcurl accepts.
    case invalidURL(String)
    /// The whole transfer took longer than the request's `timeoutMs` (the value carried here).
    case timedOut(afterMs: Int)
    /// The host did not resolve or refused the connection; libcurl's message.
    case connectionFailed(String)
    /// Anything else (reset mid-response, TLS failure, bad request headers); libcurl's message.
    case failed(String)
}

extension OutboundError: CustomStringConvertible {
    /// One sentence for logs and the webhook journal.
    public var description: String {
        switch self {
        case .invalidURL(let url): "invalid URL \"\(url)\": only absolute http and https URLs are accepted"
        case .timedOut(let ms): "timed out after \(ms) ms"
        case .connectionFailed(let message): "connection failed: \(message)"
        case .failed(let message): "request failed: \(message)"
        }
    }
}
