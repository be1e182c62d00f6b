import Dispatch
import Foundation
import Glibc
import Synchronization

/// A request as the test server read it off the wire.
struct ReceivedRequest: Sendable {
    var method: String
    var target: String
    var version: String
    var headers: [(name: String, value: String)]
    var body: [UInt8]

    func header(_ name: String) -> String? {
        headers.first { $0.name.lowercased() == name.lowercased() }?.value
    }

    func headers(named name: String) -> [String] {
        headers.filter { $0.name.lowercased() == name.lowercased() }.map(\.value)
    }
}

/// What the test server does with a request.
indirect enum ServerReply: Sendable {
    /// A complete response with a Content-Length.
    case respond(status: Int, headers: [(name: String, value: String)] = [], body: [UInt8] = [])
    /// 200 with the request body, and the method and target in `X-Echo-Method`/`X-Echo-Target`.
    case echo
    /// Waits (waking early when the server stops), then replies.
    case delay(ms: Int, then: ServerReply)
    /// Promises 1000 bytes, sends 10, closes.
    case closeMidResponse
    /// Sends these bytes as they are (any framing, or none), then closes.
    case raw([UInt8])
}

/// A tiny HTTP/1.1 server on an ephemeral loopback port: one thread accepts, one thread per
/// connection answers one request and closes. `stop()` wakes every thread (sleeping ones too)
/// through a pipe and waits for all of them.
final class LoopbackHTTPServer: Sendable {
    let port: UInt16
    private let listenFD: Int32
    private let wakeRead: Int32
    private let wakeWrite: Int32
    private let threads = DispatchGroup()
    private let requests = Mutex<[ReceivedRequest]>([])
    private let handler: @Sendable (ReceivedRequest) -> ServerReply
    private let stopped = Mutex(false)

    init(handler: @escaping @Sendable (ReceivedRequest) -> ServerReply) throws {
        self.handler = handler
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw SocketError("socket", errno) }
        var address = Self.loopback(port: 0)
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        guard bound == 0, listen(fd, 128) == 0 else {
            let code = errno
            close(fd)
            throw SocketError("bind/listen", code)
        }
        var pipeFDs: [Int32] = [0, 0]
        guard pipe(&pipeFDs) == 0 else {
            close(fd)
            throw SocketError("pipe", errno)
        }
        listenFD = fd
        wakeRead = pipeFDs[0]
        wakeWrite = pipeFDs[1]
        port = Self.boundPort(fd)
        threads.enter()
        Thread.detachNewThread { [self] in
            acceptLoop()
            threads.leave()
        }
    }

    /// `http://127.0.0.1:<port><path>`
    func url(_ path: String = "/") -> String { "http://127.0.0.1:\(port)\(path)" }

    var received: [ReceivedRequest] { requests.withLock { $0 } }

    /// Wakes and joins every server thread (bounded), then closes the sockets. Idempotent.
    func stop() {
        let first = stopped.withLock { wasStopped in
            defer { wasStopped = true }
            return !wasStopped
        }
        guard first else { return }
        var byte: UInt8 = 1
        _ = write(wakeWrite, &byte, 1)  // the pipe stays readable: every poll on it returns at once
        _ = threads.wait(timeout: .now() + 5)
        close(listenFD)
        close(wakeRead)
        close(wakeWrite)
    }

    deinit { stop() }

    private func acceptLoop() {
        while true {
            var fds = [
                pollfd(fd: listenFD, events: Int16(POLLIN), revents: 0),
                pollfd(fd: wakeRead, events: Int16(POLLIN), revents: 0),
            ]
            guard poll(&fds, 2, -1) >= 0 || errno == EINTR else { return }
            if fds[1].revents != 0 { return }
            guard fds[0].revents & Int16(POLLIN) != 0 else { continue }
            let connection = accept(listenFD, nil, nil)
            guard connection >= 0 else { continue }
            threads.enter()
            Thread.detachNewThread { [self] in
                serve(connection)
                close(connection)
                threads.leave()
            }
        }
    }

    private func serve(_ fd: Int32) {
        guard let request = readRequest(fd) else { return }
        requests.withLock { $0.append(request) }
        perform(handler(request), for: request, on: fd)
    }

    private func perform(_ reply: ServerReply, for request: ReceivedRequest, on fd: Int32) {
        switch reply {
        case .respond(let status, let headers, let body):
            var head = "HTTP/1.1 \(status) Status\r\nContent-Length: \(body.count)\r\nConnection: close\r\n"
            for header in headers { head += "\(header.name): \(header.value)\r\n" }
            sendAll(fd, Array((head + "\r\n").utf8) + body)
        case .echo:
            let headers = [
                (name: "X-Echo-Method", value: request.method), (name: "X-Echo-Target", value: request.target),
                (name: "Content-Type", value: "application/octet-stream"),
            ]
            perform(.respond(status: 200, headers: headers, body: request.body), for: request, on: fd)
        case .delay(let ms, let then):
            if !waitForWake(ms: ms) { perform(then, for: request, on: fd) }
        case .closeMidResponse:
            sendAll(fd, Array("HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\n0123456789".utf8))
        case .raw(let bytes):
            sendAll(fd, bytes)
        }
    }

    /// True when the server is stopping.
    private func waitForWake(ms: Int) -> Bool {
        var fds = [pollfd(fd: wakeRead, events: Int16(POLLIN), revents: 0)]
        return poll(&fds, 1, Int32(ms)) > 0
    }

    private func readRequest(_ fd: Int32) -> ReceivedRequest? {
        var buffer: [UInt8] = []
        let separator = Array("\r\n\r\n".utf8)
        var headEnd: Int?
        var expectedLength = 0
        while true {
            if headEnd == nil, let range = buffer.firstRange(of: separator) {
                headEnd = range.upperBound
                let head = String(decoding: buffer[..<range.lowerBound], as: UTF8.self)
                for line in head.split(separator: "\r\n").dropFirst() {
                    let parts = line.split(separator: ":", maxSplits: 1)
                    if parts.count == 2, parts[0].lowercased() == "content-length" {
                        expectedLength = Int(parts[1].trimmingCharacters(in: .whitespaces)) ?? 0
                    }
                }
            }
            if let headEnd, buffer.count - headEnd >= expectedLength { break }
            var fds = [
                pollfd(fd: fd, events: Int16(POLLIN), revents: 0),
                pollfd(fd: wakeRead, events: Int16(POLLIN), revents: 0),
            ]
            guard poll(&fds, 2, 10_000) > 0, fds[1].revents == 0 else { return nil }
            var chunk = [UInt8](repeating: 0, count: 64 * 1024)
            let count = recv(fd, &chunk, chunk.count, 0)
            guard count > 0 else { return nil }
            buffer.append(contentsOf: chunk[..<count])
        }
        guard let headEnd else { return nil }
        let head = String(decoding: buffer[..<(headEnd - 4)], as: UTF8.self)
        let lines = head.split(separator: "\r\n", omittingEmptySubsequences: false)
        let requestLine = lines[0].split(separator: " ")
        guard requestLine.count == 3 else { return nil }
        var headers: [(name: String, value: String)] = []
        for line in lines.dropFirst() {
            let parts = line.split(separator: ":", maxSplits: 1, omittingEmptySubsequences: false)
            guard parts.count == 2 else { continue }
            headers.append((String(parts[0]), parts[1].trimmingCharacters(in: .whitespaces)))
        }
        return ReceivedRequest(
            method: String(requestLine[0]), target: String(requestLine[1]), version: String(requestLine[2]),
            headers: headers, body: Array(buffer[headEnd..<(headEnd + expectedLength)]))
    }

    private func sendAll(_ fd: Int32, _ bytes: [UInt8]) {
        var offset = 0
        while offset < bytes.count {
            // MSG_NOSIGNAL: a client that hung up must not SIGPIPE the test process.
            let sent = bytes[offset...].withUnsafeBytes { send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            guard sent > 0 else { return }
            offset += sent
        }
    }

    static func loopback(port: UInt16) -> sockaddr_in {
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = port.bigEndian
        address.sin_addr.s_addr = UInt32(0x7F00_0001).bigEndian
        return address
    }

    static func boundPort(_ fd: Int32) -> UInt16 {
        var address = sockaddr_in()
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
        }
        return UInt16(bigEndian: address.sin_port)
    }
}

/// A loopback port that is bound but never listens, so connecting to it is refused — and
/// stays refused for as long as this value lives (no other test can take the port meanwhile).
final class RefusingPort {
    let port: UInt16
    private let fd: Int32

    init() throws {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw SocketError("socket", errno) }
        var address = LoopbackHTTPServer.loopback(port: 0)
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        guard bound == 0 else {
            close(fd)
            throw SocketError("bind", errno)
        }
        self.fd = fd
        port = LoopbackHTTPServer.boundPort(fd)
    }

    deinit { close(fd) }
}

struct SocketError: Error, CustomStringConvertible {
    let description: String
    init(_ call: String, _ code: Int32) { description = "\(call) failed: errno \(code)" }
}
