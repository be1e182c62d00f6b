/// Why a request got no HTTP response.
public enum OutboundError: Error, Sendable, Equatable {
    /// The URL as given: not an absolute `http`/`https` URL with a host (see `OutboundURL`).
    case invalidURL(String)
    /// The whole transfer took longer than the request's `timeoutMs` (the value carried here).
    case timedOut(afterMs: Int)
    /// The host did not resolve or no address accepted the connection; what went wrong, per address.
    case connectionFailed(String)
    /// Anything else: a reset or close mid-response, a TLS failure, a malformed response, bad
    /// request headers.
    case failed(String)
}

extension OutboundError: CustomStringConvertible {
    /// One sentence for logs and the webhook journal.
    public var description: String {
        switch self {
        case .invalidURL(let url):
            switch OutboundURL.parse(url) {
            case .failure(let problem): "invalid URL \"\(url)\": \(problem)"
            case .success: "invalid URL \"\(url)\""
            }
        case .timedOut(let ms): "timed out after \(ms) ms"
        case .connectionFailed(let message): "connection failed: \(message)"
        case .failed(let message): "request failed: \(message)"
        }
    }
}
