import Foundation
import Glibc
import Testing

/// `--connection-limit` (here through `NOVITA_MOCK_CONNECTION_LIMIT`) on the real binary: the
/// server holds at most that many connections; the next client waits until one closes.
@Suite("--connection-limit")
struct ConnectionLimitTests {
    @Test func aClientPastTheLimitIsServedOnceAConnectionCloses() throws {
        let mock = try MockProcess([], environment: ["NOVITA_MOCK_CONNECTION_LIMIT": "2"])
        defer { _ = mock.terminate() }
        let idle = try [RawConnection(port: mock.port), RawConnection(port: mock.port)]
        // Both idle connections are accepted (an answered request proves it) and stay open.
        for connection in idle {
            try connection.send("GET /__mock/health HTTP/1.1\r\nHost: mock\r\n\r\n")
            #expect(try connection.readResponse(waitingMs: 5000)?.hasPrefix("HTTP/1.1 200") == true)
        }
        let third = try RawConnection(port: mock.port)
        try third.send("GET /__mock/health HTTP/1.1\r\nHost: mock\r\nConnection: close\r\n\r\n")
        #expect(try third.readResponse(waitingMs: 500) == nil, "a third connection was served past a limit of 2")
        idle[0].close()
        #expect(try third.readResponse(waitingMs: 10_000)?.hasPrefix("HTTP/1.1 200") == true)
    }

    @Test func aLimitBelowOneIsRefusedAtStart() throws {
        #expect(throws: (any Error).self) { try MockProcess(["--connection-limit", "0"]) }
    }
}

/// A plain TCP client for tests that need to hold connections open or read with a deadline.
final class RawConnection {
    private var fd: Int32

    init(port: Int) throws {
        fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                Glibc.connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        guard connected == 0 else { throw CocoaError(.fileReadUnknown) }
    }

    deinit { close() }

    func send(_ text: String) throws {
        let bytes = Array(text.utf8)
        guard Glibc.send(fd, bytes, bytes.count, Int32(MSG_NOSIGNAL)) == bytes.count else {
            throw CocoaError(.fileWriteUnknown)
        }
    }

    /// What arrived within `waitingMs` (nil: nothing did).
    func readResponse(waitingMs: Int32) throws -> String? {
        var descriptor = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
        guard poll(&descriptor, 1, waitingMs) > 0 else { return nil }
        var buffer = [UInt8](repeating: 0, count: 4096)
        let count = recv(fd, &buffer, buffer.count, 0)
        return count > 0 ? String(decoding: buffer[..<count], as: UTF8.self) : nil
    }

    func close() {
        if fd >= 0 { Glibc.close(fd) }
        fd = -1
    }
}
