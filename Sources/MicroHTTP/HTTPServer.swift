import CMicroHTTPD
import Glibc
import Synchronization

/// An HTTP/1.1 server on libmicrohttpd: a few polling threads parse requests and call `handler`,
/// which answers at once or hands long work to background threads (`HTTPReply`).
///
/// Keep a reference for as long as the server should run: the last release shuts it down with no
/// grace period.
public final class HTTPServer: Sendable {
    /// The port the server listens on: the configured one, or the one the kernel picked for 0.
    public let port: Int

    private struct Running {
        var daemon: OpaquePointer
        var context: Unmanaged<ServerContext>
        /// The certificate and key handed to libmicrohttpd, freed once it has stopped.
        var tlsStrings: TLSStrings?
    }

    /// C copies of a `TLSIdentity`, alive for as long as the daemon may read them.
    private struct TLSStrings: @unchecked Sendable {  // owned pointers, freed once, after the daemon stopped
        let certificate: UnsafeMutablePointer<CChar>
        let key: UnsafeMutablePointer<CChar>

        init?(_ identity: TLSIdentity?) {
            guard let identity, let certificate = strdup(identity.certificatePEM) else { return nil }
            guard let key = strdup(identity.privateKeyPEM) else {
                Glibc.free(certificate)
                return nil
            }
            self.certificate = certificate
            self.key = key
        }

        func free() {
            Glibc.free(certificate)
            Glibc.free(key)
        }
    }

    /// Whether the linked libmicrohttpd can serve HTTPS (built with GnuTLS).
    public static var supportsTLS: Bool { cmhd_supports_tls() != 0 }

    /// The smallest connection pool given to libmicrohttpd: less leaves no room for an ordinary
    /// request head and its answer's.
    static let minimumConnectionMemory = 4 << 10

    private static func markingSecure(
        _ handler: @escaping @Sendable (HTTPRequest) -> HTTPReply
    ) -> @Sendable (HTTPRequest) -> HTTPReply {
        { request in
            var request = request
            request.isSecure = true
            return handler(request)
        }
    }

    /// True when this server speaks HTTPS.
    public let isTLS: Bool

    private let context: ServerContext
    /// Nil once shutdown has begun.
    private let running: Mutex<Running?>
    /// Held for the whole of a shutdown, so a concurrent second call returns only once it is done.
    private let stopping = Mutex(())

    /// Starts listening at once.
    /// - Parameters:
    ///   - handler: called on a polling thread for every request; it must be quick and return
    ///     `.later` for anything slow.
    ///   - earlyResponder: asked before `handler` about every request, to answer from the head
    ///     alone (see `EarlyResponder`).
    /// - Throws: `HTTPServerError.startFailed` when the address is not numeric, the port is taken, …
    public init(
        configuration: HTTPServerConfiguration, earlyResponder: (any EarlyResponder)? = nil,
        handler: @escaping @Sendable (HTTPRequest) -> HTTPReply
    ) throws(HTTPServerError) {
        guard (0...65535).contains(configuration.port) else {
            throw .startFailed("port \(configuration.port) is out of range")
        }
        let host = configuration.host == "localhost" ? "127.0.0.1" : configuration.host
        let tlsStrings = TLSStrings(configuration.tls)
        if configuration.tls != nil {
            guard Self.supportsTLS else { throw .startFailed("this libmicrohttpd was built without TLS support") }
            guard tlsStrings != nil else { throw .startFailed("no memory for the TLS certificate") }
        }
        let secure = tlsStrings != nil
        let handler = secure ? Self.markingSecure(handler) : handler
        let context = ServerContext(
            handler: handler, earlyResponder: earlyResponder, maxBodyBytes: configuration.maxBodyBytes,
            maxBufferedBodyBytes: max(configuration.maxBufferedBodyBytes, 0))
        let retained = Unmanaged.passRetained(context)
        var result: Int32 = 0
        let daemon = cmhd_start_daemon(
            host, host.contains(":") ? 1 : 0, UInt16(configuration.port),
            AccessHandler.callback, retained.toOpaque(),
            AccessHandler.completed, retained.toOpaque(),
            UInt32(clamping: max(configuration.pollThreads, 1)),
            UInt32(clamping: max(configuration.connectionTimeoutSeconds, 0)),
            UInt32(clamping: max(configuration.connectionLimit, 1)),
            max(configuration.connectionMemoryBytes, Self.minimumConnectionMemory),
            tlsStrings?.certificate, tlsStrings?.key,
            &result)
        guard let daemon else {
            let code = errno  // before anything else can change it
            retained.release()
            tlsStrings?.free()
            if result == CMHD_START_BAD_ADDRESS {
                throw .startFailed("host \(configuration.host) is not a numeric IPv4 or IPv6 address")
            }
            let reason = String(cString: strerror(code))
            if secure {
                // GnuTLS refusing the pair leaves errno alone: say what else it can be.
                throw .startFailed(
                    "libmicrohttpd could not serve HTTPS on \(configuration.host):\(configuration.port) ("
                        + (code == 0 ? "" : "\(reason), or ") + "the certificate and key are not a matching PEM pair)")
            }
            throw .startFailed(
                "libmicrohttpd could not listen on \(configuration.host):\(configuration.port) (\(reason))")
        }
        self.context = context
        self.isTLS = secure
        self.port = Int(cmhd_bind_port(daemon))
        self.running = Mutex(Running(daemon: daemon, context: retained, tlsStrings: tlsStrings))
    }

    deinit {
        shutdown(graceSeconds: 0)
    }

    /// Request body bytes the server holds right now (uploads in progress and requests not yet
    /// completed), counted against `maxBufferedBodyBytes`.
    public var bufferedBodyBytes: Int { context.bufferedBodyBytes.load(ordering: .relaxed) }

    /// Stops the server gracefully: stops accepting (the port is free when this returns), lets
    /// requests in flight finish for up to `graceSeconds`, then closes every connection.
    ///
    /// Idempotent: later calls return once the server is stopped. Never call it from a handler.
    public func shutdown(graceSeconds: Double = 10) {
        stopping.withLock { _ in stop(graceSeconds: graceSeconds) }
    }

    private func stop(graceSeconds: Double) {
        guard let running = running.withLock({ $0.take() }) else { return }
        context.isDraining.store(true, ordering: .relaxed)
        // Stop listening now rather than at MHD_stop_daemon: new clients are refused while the
        // requests in flight drain. Shut down, not closed, until MHD has stopped: a poll thread
        // may still take the socket out of its epoll set after the quiesce returns, and on a
        // closed (or reused) descriptor that fails and libmicrohttpd aborts the process
        // ("Failed to remove listen FD from epoll set", seen under a loaded test run).
        let listenSocket = MHD_quiesce_daemon(running.daemon)
        if listenSocket >= 0 { _ = Glibc.shutdown(listenSocket, Int32(SHUT_RDWR)) }

        let clock = ContinuousClock()
        // NaN, negative or absurd graces must not trap the conversion below.
        let grace = graceSeconds.isNaN ? 0 : min(max(graceSeconds, 0), 10_000_000)
        let deadline = clock.now + .milliseconds(Int64(grace * 1000))
        while context.inFlightCount > 0, clock.now < deadline {
            usleep(5_000)
        }
        // MHD must not stop with suspended connections: wake the stragglers so it closes them.
        for request in context.suspendableRequests {
            request.abandon()
        }
        MHD_stop_daemon(running.daemon)
        if listenSocket >= 0 { close(listenSocket) }
        // Only now can no callback run any more.
        running.context.release()
        running.tlsStrings?.free()
    }
}

extension HTTPServer {
    /// Requests that reached the handler stage and are not yet complete (tests check for leaks).
    var inFlightRequestCount: Int { context.inFlightCount }
}
