import Glibc

/// Why a transfer stopped before a response was complete; `OutboundHTTPClient` maps it to
/// `OutboundError`.
enum TransportFailure: Error, Equatable {
    case timedOut
    case connectFailed(String)
    case failed(String)
}

/// The one time limit of a request (connect, TLS handshake, send, receive), on the monotonic clock.
struct Deadline {
    private let endNanoseconds: Int64

    /// A day at most: longer limits are clamped rather than overflow the nanosecond arithmetic.
    static let maxMilliseconds = 86_400_000

    init(afterMs milliseconds: Int) {
        endNanoseconds = Self.now() + Int64(min(max(milliseconds, 0), Self.maxMilliseconds)) * 1_000_000
    }

    /// Milliseconds left, rounded up so that a positive remainder never polls for 0 ms.
    var remainingMs: Int32 {
        let left = endNanoseconds - Self.now()
        guard left > 0 else { return 0 }
        return Int32(min((left + 999_999) / 1_000_000, Int64(Int32.max)))
    }

    private static func now() -> Int64 {
        var time = timespec()
        clock_gettime(CLOCK_MONOTONIC, &time)
        return Int64(time.tv_sec) * 1_000_000_000 + Int64(time.tv_nsec)
    }
}

/// A connected byte stream with a deadline on every wait: a plain TCP socket or TLS over one.
protocol ByteStream: AnyObject {
    /// Sends every byte or throws.
    func write(_ bytes: UnsafeRawBufferPointer, before deadline: Deadline) throws(TransportFailure)
    /// Reads at least one byte into `buffer`; 0 means the peer closed the stream.
    func read(into buffer: UnsafeMutableRawBufferPointer, before deadline: Deadline) throws(TransportFailure) -> Int
}

/// Waits until `fd` is ready for `events` (POLLIN / POLLOUT) or the deadline passes.
func waitForSocket(_ fd: Int32, events: Int16, before deadline: Deadline) throws(TransportFailure) {
    while true {
        let remaining = deadline.remainingMs
        guard remaining > 0 else { throw .timedOut }
        var descriptor = pollfd(fd: fd, events: events, revents: 0)
        let ready = poll(&descriptor, 1, remaining)
        if ready > 0 { return }  // ready, or an error/hang-up the next call reports
        if ready < 0 && errno != EINTR { throw .failed("poll failed: \(errorText(errno))") }
    }
}

func errorText(_ code: Int32) -> String { String(cString: strerror(code)) }

/// A non-blocking TCP connection. The descriptor is closed when the stream is released.
final class SocketStream: ByteStream {
    let fd: Int32

    private init(fd: Int32) {
        self.fd = fd
    }

    deinit { close(fd) }

    /// Resolves `host` (no longer than the deadline allows) and connects to its addresses in the
    /// resolver's order until one accepts.
    static func connect(host: String, port: UInt16, before deadline: Deadline) throws(TransportFailure) -> SocketStream
    {
        let addresses = try NameResolver.resolve(host: host, port: port, before: deadline)
        var failures: [String] = []
        for address in addresses {
            let fd = socket(
                address.family, Int32(SOCK_STREAM.rawValue | SOCK_NONBLOCK.rawValue | SOCK_CLOEXEC.rawValue),
                address.socketProtocol)
            guard fd >= 0 else {
                failures.append(errorText(errno))
                continue
            }
            let stream = SocketStream(fd: fd)
            var noDelay: Int32 = 1
            setsockopt(fd, Int32(IPPROTO_TCP), TCP_NODELAY, &noDelay, socklen_t(MemoryLayout<Int32>.size))
            let connected = address.address.withUnsafeBytes { bytes in
                Glibc.connect(fd, bytes.baseAddress!.assumingMemoryBound(to: sockaddr.self), socklen_t(bytes.count))
            }
            if connected == 0 { return stream }
            guard errno == EINPROGRESS else {
                failures.append(errorText(errno))
                continue
            }
            try waitForSocket(fd, events: Int16(POLLOUT), before: deadline)
            var socketError: Int32 = 0
            var length = socklen_t(MemoryLayout<Int32>.size)
            getsockopt(fd, SOL_SOCKET, SO_ERROR, &socketError, &length)
            if socketError == 0 { return stream }
            failures.append(errorText(socketError))
        }
        let reasons = failures.isEmpty ? "no address" : failures.joined(separator: "; ")
        throw .connectFailed("connect to \(host) port \(port) failed: \(reasons)")
    }

    func write(_ bytes: UnsafeRawBufferPointer, before deadline: Deadline) throws(TransportFailure) {
        var offset = 0
        while offset < bytes.count {
            // MSG_NOSIGNAL: a receiver that hung up must not SIGPIPE the whole mock.
            let sent = send(fd, bytes.baseAddress! + offset, bytes.count - offset, Int32(MSG_NOSIGNAL))
            if sent > 0 {
                offset += sent
            } else if sent < 0 && (errno == EAGAIN || errno == EWOULDBLOCK) {
                try waitForSocket(fd, events: Int16(POLLOUT), before: deadline)
            } else if sent < 0 && errno == EINTR {
                continue
            } else {
                throw .failed("sending failed after \(offset) of \(bytes.count) bytes: \(errorText(errno))")
            }
        }
    }

    func read(into buffer: UnsafeMutableRawBufferPointer, before deadline: Deadline) throws(TransportFailure) -> Int {
        while true {
            let received = recv(fd, buffer.baseAddress, buffer.count, 0)
            if received >= 0 { return received }
            switch errno {
            case EAGAIN, EWOULDBLOCK: try waitForSocket(fd, events: Int16(POLLIN), before: deadline)
            case EINTR: continue
            default: throw .failed("receiving failed: \(errorText(errno))")
            }
        }
    }
}
