#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// `novita-mock healthcheck [--port N] [--host ADDRESS] [--url http://host:port/path]`: asks the
/// local server's `GET /__mock/ready` and exits 0 on a `200` status line, else prints one line
/// to stderr and exits 1 — the contract of a container `HEALTHCHECK` (which reserves exit 2).
///
/// It speaks just enough HTTP/1.1 over a plain socket, on purpose: the runtime image has no curl,
/// and Foundation's networking would pull full Foundation (and ICU) into the shipped binary.
/// The whole probe — resolve, connect, send, read the status line — shares one deadline.
///
/// Defaults come from the server's own variables so the probe finds the server it sits next to:
/// the port from `NOVITA_MOCK_PORT` (else 8080), the address from `NOVITA_MOCK_HOST` when that
/// names one address (a wildcard bind such as `0.0.0.0` is probed on `127.0.0.1`).
enum Healthcheck {
    /// The overall time budget of one probe, in milliseconds (Docker's default timeout is 30 s;
    /// the image's `HEALTHCHECK --timeout` is a little longer than this).
    static let timeoutMilliseconds = 2_000

    /// Where the probe goes.
    struct Target: Equatable {
        var host: String
        var port: Int
        var path: String

        /// The `Host` header value (IPv6 literals in brackets).
        var authority: String { host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)" }
        var description: String { "http://\(authority)\(path)" }
    }

    /// Why the probe failed: the one line printed to stderr.
    struct Failure: Error {
        var reason: String
    }

    /// Runs the probe and returns the process exit code: 0 healthy, 1 otherwise.
    static func run(arguments: [String]) -> Int32 {
        do throws(Failure) {
            let target = try parse(arguments: arguments, environment: { getenv($0).map { String(cString: $0) } })
            try probe(target, timeoutMilliseconds: timeoutMilliseconds)
            return 0
        } catch {
            printError("novita-mock healthcheck: \(error.reason)")
            return 1
        }
    }

    /// Turns arguments and the environment into a target; a flag wins over its variable.
    static func parse(arguments: [String], environment: (String) -> String?) throws(Failure) -> Target {
        var target = Target(host: "127.0.0.1", port: 8080, path: "/__mock/ready")
        if let host = environment("NOVITA_MOCK_HOST"), !isWildcard(host) { target.host = host }
        if let text = environment("NOVITA_MOCK_PORT"), !text.isEmpty {
            target.port = try port(text, from: "NOVITA_MOCK_PORT")
        }

        var remaining = arguments[...]
        while let argument = remaining.popFirst() {
            let name: String
            var value: String?
            if let equals = argument.firstIndex(of: "=") {
                name = String(argument[..<equals])
                value = String(argument[argument.index(after: equals)...])
            } else {
                name = argument
            }
            guard ["--port", "--host", "--url"].contains(name) else {
                throw Failure(
                    reason: "unknown argument \(argument) (use --port N, --host ADDRESS or --url http://host:port/path)"
                )
            }
            if value == nil { value = remaining.popFirst() }
            guard let value, !value.isEmpty else { throw Failure(reason: "\(name) needs a value") }
            switch name {
            case "--port": target.port = try port(value, from: "--port")
            case "--host": target.host = isWildcard(value) ? "127.0.0.1" : value
            default: target = try parseURL(value)
            }
        }
        guard target.port > 0 else {
            throw Failure(reason: "port 0 means 'any free port': give the port the server logged with --port")
        }
        return target
    }

    /// Parses `http://host[:port][/path]`; only plain HTTP, the only scheme the server speaks.
    static func parseURL(_ text: String) throws(Failure) -> Target {
        guard text.hasPrefix("http://") else { throw Failure(reason: "--url must start with http://, got \(text)") }
        let rest = text.dropFirst("http://".count)
        let slash = rest.firstIndex(of: "/") ?? rest.endIndex
        let authority = rest[..<slash]
        let path = slash == rest.endIndex ? "/" : String(rest[slash...])
        var host = Substring(authority)
        var portText: Substring?
        if authority.hasPrefix("[") {
            guard let close = authority.firstIndex(of: "]") else { throw Failure(reason: "bad IPv6 host in \(text)") }
            host = authority[authority.index(after: authority.startIndex)..<close]
            let after = authority[authority.index(after: close)...]
            if after.hasPrefix(":") {
                portText = after.dropFirst()
            } else if !after.isEmpty {
                throw Failure(reason: "bad host in \(text)")
            }
        } else if let colon = authority.lastIndex(of: ":") {
            host = authority[..<colon]
            portText = authority[authority.index(after: colon)...]
        }
        guard !host.isEmpty else { throw Failure(reason: "no host in \(text)") }
        let port = try portText.map { (text) throws(Failure) in try Self.port(String(text), from: "--url") } ?? 80
        return Target(host: String(host), port: port, path: path)
    }

    /// Sends `GET path` and succeeds only on a `200` status line.
    static func probe(_ target: Target, timeoutMilliseconds: Int) throws(Failure) {
        let deadline = Deadline(milliseconds: timeoutMilliseconds)
        let descriptor = try openConnection(to: target, deadline: deadline)
        defer { close(descriptor) }

        let head = [
            "GET \(target.path) HTTP/1.1", "Host: \(target.authority)", "User-Agent: novita-mock-healthcheck",
            "Accept: */*", "Connection: close",
        ]
        let request = Array((head.joined(separator: "\r\n") + "\r\n\r\n").utf8)
        var sent = 0
        while sent < request.count {
            try wait(for: descriptor, events: POLLOUT, deadline: deadline, doing: "sending to \(target.description)")
            let count = request[sent...].withUnsafeBytes { send(descriptor, $0.baseAddress, $0.count, sendFlags) }
            if count < 0 {
                if errno == EINTR || errno == EAGAIN || errno == EWOULDBLOCK { continue }
                throw Failure(reason: "sending to \(target.description): \(systemError())")
            }
            sent += count
        }

        // Reads only as far as the status line; the body does not matter.
        var received: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 512)
        while !received.contains(UInt8(ascii: "\n")) && received.count < 4096 {
            try wait(for: descriptor, events: POLLIN, deadline: deadline, doing: "waiting for \(target.description)")
            let count = buffer.withUnsafeMutableBytes { recv(descriptor, $0.baseAddress, $0.count, 0) }
            if count < 0 {
                if errno == EINTR || errno == EAGAIN || errno == EWOULDBLOCK { continue }
                throw Failure(reason: "reading from \(target.description): \(systemError())")
            }
            if count == 0 { break }
            received += buffer[..<count]
        }
        let statusLine = String(
            decoding: received.prefix { $0 != UInt8(ascii: "\r") && $0 != UInt8(ascii: "\n") }, as: UTF8.self)
        guard !statusLine.isEmpty else {
            throw Failure(reason: "\(target.description) closed the connection without answering")
        }
        let fields = statusLine.split(separator: " ", maxSplits: 2)
        guard fields.count >= 2, fields[0].hasPrefix("HTTP/") else {
            throw Failure(reason: "\(target.description) answered a non-HTTP line: \(statusLine.prefix(80))")
        }
        guard fields[1] == "200" else {
            throw Failure(reason: "\(target.description) answered \(fields.dropFirst().joined(separator: " "))")
        }
    }

    /// Resolves the host and connects without blocking past the deadline, trying each address.
    private static func openConnection(to target: Target, deadline: Deadline) throws(Failure) -> Int32 {
        var hints = addrinfo()
        hints.ai_socktype = streamSocketType
        hints.ai_flags = AI_NUMERICSERV
        var list: UnsafeMutablePointer<addrinfo>?
        let status = getaddrinfo(target.host, String(target.port), &hints, &list)
        guard status == 0, let list else {
            throw Failure(reason: "cannot resolve \(target.host): \(String(cString: gai_strerror(status)))")
        }
        defer { freeaddrinfo(list) }

        var lastFailure = Failure(reason: "no address for \(target.host)")
        var entry: UnsafeMutablePointer<addrinfo>? = list
        while let address = entry?.pointee {
            entry = address.ai_next
            let descriptor = socket(address.ai_family, address.ai_socktype, address.ai_protocol)
            guard descriptor >= 0 else {
                lastFailure = Failure(reason: "socket: \(systemError())")
                continue
            }
            do throws(Failure) {
                _ = fcntl(descriptor, F_SETFD, FD_CLOEXEC)
                guard fcntl(descriptor, F_SETFL, fcntl(descriptor, F_GETFL, 0) | O_NONBLOCK) == 0 else {
                    throw Failure(reason: "fcntl: \(systemError())")
                }
                if connect(descriptor, address.ai_addr, address.ai_addrlen) != 0 {
                    guard errno == EINPROGRESS || errno == EINTR else {
                        throw Failure(reason: "connecting to \(target.description): \(systemError())")
                    }
                    try wait(
                        for: descriptor, events: POLLOUT, deadline: deadline,
                        doing: "connecting to \(target.description)")
                    var error: Int32 = 0
                    var length = socklen_t(MemoryLayout<Int32>.size)
                    guard getsockopt(descriptor, SOL_SOCKET, SO_ERROR, &error, &length) == 0, error == 0 else {
                        throw Failure(
                            reason: "connecting to \(target.description): \(String(cString: strerror(error)))")
                    }
                }
                return descriptor
            } catch {
                close(descriptor)
                lastFailure = error
                if deadline.remainingMilliseconds == 0 { break }
            }
        }
        throw lastFailure
    }

    /// Waits until `events` are ready on the socket or the deadline passes.
    private static func wait(for descriptor: Int32, events: Int32, deadline: Deadline, doing what: String)
        throws(Failure)
    {
        while true {
            let remaining = deadline.remainingMilliseconds
            guard remaining > 0 else { throw Failure(reason: "\(what): no answer within \(timeoutMilliseconds) ms") }
            var entry = pollfd(fd: descriptor, events: Int16(events), revents: 0)
            let ready = poll(&entry, 1, Int32(remaining))
            if ready > 0 { return }  // POLLERR/POLLHUP show up in the next call's result
            if ready < 0 && errno != EINTR { throw Failure(reason: "\(what): poll: \(systemError())") }
        }
    }

    /// A point on the monotonic clock.
    private struct Deadline {
        let end: Int

        init(milliseconds: Int) { end = Self.now() + milliseconds }

        var remainingMilliseconds: Int { max(0, end - Self.now()) }

        static func now() -> Int {
            var time = timespec()
            clock_gettime(CLOCK_MONOTONIC, &time)
            return Int(time.tv_sec) * 1000 + Int(time.tv_nsec) / 1_000_000
        }
    }

    private static func port(_ text: String, from source: String) throws(Failure) -> Int {
        guard let port = Int(text), (0...65535).contains(port) else {
            throw Failure(reason: "\(source) must be a port number in 0…65535, got \(text)")
        }
        return port
    }

    private static func isWildcard(_ host: String) -> Bool { ["", "0.0.0.0", "::", "[::]", "*"].contains(host) }

    private static func systemError() -> String { String(cString: strerror(errno)) }

    /// Writes straight to file descriptor 2: C's `stderr` is a global variable Swift 6 refuses.
    private static func printError(_ line: String) {
        let bytes = Array((line + "\n").utf8)
        _ = bytes.withUnsafeBytes { write(2, $0.baseAddress, $0.count) }
    }

    #if os(Linux)
        /// `MSG_NOSIGNAL`: a peer that closed early yields EPIPE rather than killing the probe.
        private static let sendFlags = Int32(MSG_NOSIGNAL)
        private static let streamSocketType = Int32(SOCK_STREAM.rawValue)
    #else
        private static let sendFlags: Int32 = 0
        private static let streamSocketType = SOCK_STREAM
    #endif
}
