/// A blocking HTTP/1.1 client for the mock's outbound traffic (webhooks, S3 uploads): plain TCP
/// sockets, and GnuTLS for `https` (libmicrohttpd links GnuTLS already, so TLS adds nothing to
/// the runtime image).
///
/// `send` blocks its calling thread until the response is complete or the request's deadline
/// passes, so callers run it on their own threads, never on the request path. It is safe to call
/// from many threads at once: every call opens its own connection (`Connection: close`) and
/// shares only the read-only trust store. Redirects are not followed, proxies are not used, and
/// a response body longer than `maxResponseBodyBytes` keeps its first part, so a hostile
/// receiver cannot exhaust memory.
public final class OutboundHTTPClient: Sendable {
    /// 1 MiB: far more than any webhook receiver's or S3 error's answer.
    public static let defaultMaxResponseBodyBytes = 1 << 20

    /// Bodies up to this size are copied behind the head and sent in one write.
    private static let bodyBytesJoinedToHead = 64 * 1024

    /// Response bodies are cut to this many bytes.
    public let maxResponseBodyBytes: Int
    /// Nil: the process-wide default trust (`SSL_CERT_FILE`, else the system store).
    private let trust: TLSTrust?

    /// - Parameter trustedCertificatesFile: a PEM file of the only certificate authorities https
    ///   servers may present; nil uses `SSL_CERT_FILE` or the system store.
    public init(
        maxResponseBodyBytes: Int = OutboundHTTPClient.defaultMaxResponseBodyBytes,
        trustedCertificatesFile: String? = nil
    ) {
        self.maxResponseBodyBytes = max(0, maxResponseBodyBytes)
        trust = trustedCertificatesFile.map { TLSTrust(certificatesFile: $0) }
    }

    /// Performs one request and waits for its response.
    ///
    /// - Returns: the response for any HTTP status, or why none arrived.
    public func send(_ request: OutboundRequest) -> Result<OutboundResponse, OutboundError> {
        guard let url = OutboundURL(request.url) else { return .failure(.invalidURL(request.url)) }
        guard Self.isToken(request.method) else {
            return .failure(.failed("invalid HTTP method \"\(request.method)\""))
        }
        for header in request.headers where !Self.isToken(header.name) || !Self.isFieldValue(header.value) {
            return .failure(.failed("invalid header \"\(header.name)\": names are tokens, values have no line breaks"))
        }
        let timeoutMs = max(1, request.timeoutMs)
        do {
            return .success(try exchange(request, url: url, deadline: Deadline(afterMs: timeoutMs)))
        } catch {
            switch error {
            case .timedOut: return .failure(.timedOut(afterMs: timeoutMs))
            case .connectFailed(let message): return .failure(.connectionFailed(message))
            case .failed(let message): return .failure(.failed(message))
            }
        }
    }

    private func exchange(_ request: OutboundRequest, url: OutboundURL, deadline: Deadline)
        throws(TransportFailure) -> OutboundResponse
    {
        // The trust store loads on the first https request, not before: plain http never pays for it.
        let trust = url.usesTLS ? self.trust ?? TLSTrust.system : nil
        // Checked before connecting: a trust store that failed to load is the one TLS error to report.
        if let problem = trust?.problem { throw .failed("TLS: \(problem)") }
        let socket = try SocketStream.connect(host: url.host, port: url.port, before: deadline)
        let stream: any ByteStream =
            if let trust {
                try TLSStream(
                    over: socket, host: url.host, sendServerName: !url.hostIsAddress, trust: trust, before: deadline)
            } else {
                socket
            }

        // A small body goes out with the head in one write (one segment for a webhook event).
        let bodyJoinsHead = request.body.count <= Self.bodyBytesJoinedToHead
        let head = Self.head(of: request, url: url) + (bodyJoinsHead ? request.body : [])
        // A receiver may answer (413, 401 …) and close before taking the whole body: its answer
        // says more than the broken pipe, so look for it before reporting the send failure.
        let sendFailure =
            Self.write(head, to: stream, before: deadline)
            ?? (bodyJoinsHead ? nil : Self.write(request.body, to: stream, before: deadline))
        if sendFailure == .timedOut { throw .timedOut }
        var reader = ResponseReader(stream: stream, deadline: deadline, maxBodyBytes: maxResponseBodyBytes)
        do {
            return try reader.readResponse(bodyless: request.method == "HEAD")
        } catch {
            throw sendFailure ?? error
        }
    }

    private static func write(_ bytes: [UInt8], to stream: any ByteStream, before deadline: Deadline)
        -> TransportFailure?
    {
        bytes.withUnsafeBytes { buffer -> TransportFailure? in
            do throws(TransportFailure) {
                try stream.write(buffer, before: deadline)
                return nil
            } catch {
                return error
            }
        }
    }

    /// The request line and header fields. The caller's fields go out in order; the client owns
    /// `Content-Length`, `Transfer-Encoding`, `Connection` and `Expect`, and adds `Host` when the
    /// caller gave none (SigV4 signs the one it gives).
    static func head(of request: OutboundRequest, url: OutboundURL) -> [UInt8] {
        var text = "\(request.method) \(url.target) HTTP/1.1\r\n"
        let owned: Set<String> = ["content-length", "transfer-encoding", "connection", "expect"]
        if !request.headers.contains(where: { $0.name.lowercased() == "host" }) {
            text += "Host: \(url.hostHeader)\r\n"
        }
        for header in request.headers where !owned.contains(header.name.lowercased()) {
            text += "\(header.name): \(header.value)\r\n"
        }
        // GET and HEAD without a body say nothing about one; everything else states its length.
        let method = request.method
        if !(method == "HEAD" || (method == "GET" && request.body.isEmpty)) {
            text += "Content-Length: \(request.body.count)\r\n"
        }
        text += "Connection: close\r\n\r\n"
        return Array(text.utf8)
    }

    /// RFC 9110 token: visible ASCII without delimiters.
    static func isToken(_ text: String) -> Bool {
        !text.isEmpty
            && text.utf8.allSatisfy { byte in
                byte > 0x20 && byte < 0x7F && !"\"(),/:;<=>?@[\\]{}".utf8.contains(byte)
            }
    }

    /// No CR, LF or NUL: a value must not be able to start another header line.
    static func isFieldValue(_ text: String) -> Bool {
        !text.utf8.contains { $0 == 0x0D || $0 == 0x0A || $0 == 0x00 }
    }
}
