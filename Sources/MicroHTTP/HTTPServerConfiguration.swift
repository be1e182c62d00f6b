/// How an `HTTPServer` listens and what it accepts.
public struct HTTPServerConfiguration: Sendable {
    /// The numeric address to bind: `0.0.0.0`, `127.0.0.1`, `::` (dual stack: IPv4 clients too),
    /// `::1`, … An address containing `:` is IPv6. `localhost` means `127.0.0.1`.
    public var host: String = "0.0.0.0"
    /// The TCP port; 0 lets the kernel pick a free one (read it back from `HTTPServer.port`).
    public var port: Int = 8080
    /// The number of libmicrohttpd polling threads (its thread pool size). They only parse,
    /// route and send: long work runs elsewhere (`HTTPReply.later`). Values below 1 mean 1.
    public var pollThreads: Int = 2
    /// The largest request body kept in memory. A larger declared `Content-Length` is answered at
    /// once without reading the body; a larger chunked body is discarded as it arrives. Either
    /// way the handler sees `HTTPRequest.bodyTooLarge`.
    public var maxBodyBytes: Int = 64 << 20
    /// The most body bytes held at once across every request still uploading or being answered,
    /// so many concurrent uploads cannot exhaust memory. A request whose declared
    /// `Content-Length` does not fit what is left is answered at once without reading its body;
    /// one that outgrows it while uploading is read to its end and discarded. Either way the
    /// handler sees `HTTPRequest.bodyOverBudget`.
    public var maxBufferedBodyBytes: Int = 1 << 30
    /// Seconds of inactivity after which libmicrohttpd closes a connection (0: never).
    /// Suspended connections (waiting for `.later` work or `.after` timers) do not time out.
    public var connectionTimeoutSeconds: Int = 30
    /// The most simultaneous connections; further clients wait in the kernel's listen backlog
    /// (and are refused once it is full) until one closes.
    public var connectionLimit: Int = 4096
    /// Each connection's libmicrohttpd memory pool. It holds the request head as read (a head
    /// that does not fit is refused with 431; at 16 KiB, 14 KB of headers still fit), body bytes
    /// as they arrive and the response head. libmicrohttpd zeroes the whole pool before each
    /// request of a kept-alive connection: at its default of 32 KiB that was the largest single
    /// cost of a poll (docs/architecture.md, "Pitfalls").
    public var connectionMemoryBytes: Int = 16 << 10
    /// Serve HTTPS with this certificate and key (libmicrohttpd's GnuTLS support) instead of
    /// plain HTTP. Requests then carry `HTTPRequest.isSecure`.
    public var tls: TLSIdentity?

    public init() {}
}

/// A server certificate (PEM, optionally followed by its chain) and its private key (PEM).
public struct TLSIdentity: Sendable {
    public var certificatePEM: String
    public var privateKeyPEM: String

    public init(certificatePEM: String, privateKeyPEM: String) {
        self.certificatePEM = certificatePEM
        self.privateKeyPEM = privateKeyPEM
    }
}
