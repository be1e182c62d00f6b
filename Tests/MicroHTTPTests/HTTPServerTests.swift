import Dispatch
import Foundation
import FoundationNetworking
import Glibc
import Synchronization
import Testing

@testable import MicroHTTP

/// Live tests: a real server on a kernel-picked port, real HTTP over loopback.
@Suite struct HTTPServerTests {
    static func startServer(
        maxBodyBytes: Int = 8 << 20, handler: @escaping @Sendable (HTTPRequest) -> HTTPReply = TestRoutes.handle
    ) throws -> HTTPServer {
        var configuration = HTTPServerConfiguration()
        configuration.host = "127.0.0.1"
        configuration.port = 0
        configuration.maxBodyBytes = maxBodyBytes
        return try HTTPServer(configuration: configuration, handler: handler)
    }

    static func fetch(
        _ server: HTTPServer, _ pathAndQuery: String, method: String = "GET", body: Data? = nil,
        headers: [String: String] = [:]
    ) async throws -> (status: Int, body: Data, response: HTTPURLResponse) {
        var request = URLRequest(url: URL(string: "http://127.0.0.1:\(server.port)\(pathAndQuery)")!)
        request.httpMethod = method
        request.httpBody = body
        for (name, value) in headers { request.setValue(value, forHTTPHeaderField: name) }
        let session = URLSession(configuration: .ephemeral)
        defer { session.finishTasksAndInvalidate() }
        let (data, response) = try await session.data(for: request)
        let http = try #require(response as? HTTPURLResponse)
        return (http.statusCode, data, http)
    }

    @Test func portZeroPicksAFreePort() throws {
        let server = try Self.startServer()
        defer { server.shutdown(graceSeconds: 0) }
        #expect(server.port > 0)
    }

    @Test func badHostFailsToStart() {
        var configuration = HTTPServerConfiguration()
        configuration.host = "not-an-address"
        configuration.port = 0
        #expect(throws: HTTPServerError.self) { try HTTPServer(configuration: configuration) { _ in .now(.drop) } }
    }

    @Test func takenPortFailsToStart() throws {
        let first = try Self.startServer()
        defer { first.shutdown(graceSeconds: 0) }
        var configuration = HTTPServerConfiguration()
        configuration.host = "127.0.0.1"
        configuration.port = first.port
        #expect(throws: HTTPServerError.self) { try HTTPServer(configuration: configuration) { _ in .now(.drop) } }
    }

    @Test(arguments: [("::1", "::1", "::1"), ("::", "127.0.0.1", "127.0.0.1")])
    func ipv6Serves(bind: String, connectTo: String, expectedRemote: String) throws {
        var configuration = HTTPServerConfiguration()
        configuration.host = bind
        configuration.port = 0
        guard let server = try? HTTPServer(configuration: configuration, handler: TestRoutes.handle) else {
            return  // No IPv6 on this machine: nothing to check.
        }
        defer { server.shutdown(graceSeconds: 0) }
        let client = try RawClient(port: server.port, host: connectTo)
        try client.send("GET /echo HTTP/1.1\r\nHost: t\r\n\r\n")
        let response = try client.readResponse()
        #expect(response.status == 200)
        #expect(response.header("X-Remote") == expectedRemote)
    }

    @Test func getDecodesPathAndQueryInOrderWithRepeatedKeys() async throws {
        let server = try Self.startServer()
        defer { server.shutdown(graceSeconds: 0) }
        let (status, body, _) = try await Self.fetch(server, "/query?x=1&y=a+b%26c%3D&x=2&flag&empty=&u=%C3%A9")
        #expect(status == 200)
        #expect(String(decoding: body, as: UTF8.self) == "/query\nx=1\ny=a b&c=\nx=2\nflag=\nempty=\nu=é\n")
    }

    @Test func pathIsPercentDecoded() async throws {
        let server = try Self.startServer { request in
            .now(HTTPResponse(status: 200, body: Array(request.path.utf8)))
        }
        defer { server.shutdown(graceSeconds: 0) }
        let (_, body, _) = try await Self.fetch(server, "/a%20b/c%2Fd?q=1")
        #expect(String(decoding: body, as: UTF8.self) == "/a b/c/d")
    }

    @Test func postBodyRoundTripsFiveMegabytes() async throws {
        let server = try Self.startServer()
        defer { server.shutdown(graceSeconds: 0) }
        let payload = Data((0..<(5 << 20)).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ 7) })
        let (status, body, response) = try await Self.fetch(server, "/echo", method: "POST", body: payload)
        #expect(status == 200)
        #expect(body == payload)
        #expect(response.value(forHTTPHeaderField: "X-Method") == "POST")
        #expect(response.value(forHTTPHeaderField: "X-Remote") == "127.0.0.1")
    }

    @Test func requestHeadersAreCaseInsensitive() async throws {
        let server = try Self.startServer()
        defer { server.shutdown(graceSeconds: 0) }
        let (_, body, response) = try await Self.fetch(server, "/header", headers: ["X-CUSTOM-Header": "v1"])
        #expect(String(decoding: body, as: UTF8.self) == "v1")
        #expect(response.value(forHTTPHeaderField: "x-seen") == "v1")
    }

    @Test(arguments: [200, 201, 204, 206, 400, 404, 418, 429, 500, 503, 599])
    func anyStatusPassesThrough(status: Int) throws {
        let server = try Self.startServer()
        defer { server.shutdown(graceSeconds: 0) }
        let client = try RawClient(port: server.port)
        try client.send("GET /status/\(status) HTTP/1.1\r\nHost: t\r\n\r\n")
        let response = try client.readResponse()
        #expect(response.status == status)
    }

    @Test func declaredOversizedBodyIsAnsweredAtOnceAndTheConnectionClosed() throws {
        let server = try Self.startServer(maxBodyBytes: 1 << 20)
        defer { server.shutdown(graceSeconds: 0) }
        let client = try RawClient(port: server.port, timeoutSeconds: 5)
        // 2 GB announced, not a byte of it sent: the answer must not wait for the body.
        try client.send("POST /echo HTTP/1.1\r\nHost: t\r\nContent-Length: 2147483648\r\n\r\n")
        let started = ContinuousClock.now
        let response = try client.readResponse()
        #expect(response.status == 413)
        #expect(String(decoding: response.body, as: UTF8.self) == "too large")
        #expect(client.waitForClose())
        #expect(ContinuousClock.now - started < .seconds(3))
    }

    @Test func declaredOversizedBodyWorksWithLaterReplies() throws {
        let server = try Self.startServer(maxBodyBytes: 100) { request in
            .later { HTTPResponse(status: request.bodyTooLarge ? 413 : 200) }
        }
        defer { server.shutdown(graceSeconds: 0) }
        let client = try RawClient(port: server.port, timeoutSeconds: 5)
        try client.send("PUT /x HTTP/1.1\r\nHost: t\r\nContent-Length: 1000000\r\n\r\n")
        #expect(try client.readResponse().status == 413)
        #expect(client.waitForClose())
    }

    @Test func chunkedOversizedBodyIsDiscardedAndAnswered413() throws {
        let server = try Self.startServer(maxBodyBytes: 1000)
        defer { server.shutdown(graceSeconds: 0) }
        let client = try RawClient(port: server.port)
        try client.send("POST /echo HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n")
        let chunk = "400\r\n" + String(repeating: "a", count: 0x400) + "\r\n"
        for _ in 0..<64 { try client.send(chunk) }
        try client.send("0\r\n\r\n")
        let response = try client.readResponse()
        #expect(response.status == 413)
    }

    @Test func chunkedBodyUnderTheLimitIsKept() throws {
        let server = try Self.startServer(maxBodyBytes: 1000)
        defer { server.shutdown(graceSeconds: 0) }
        let client = try RawClient(port: server.port)
        try client.send(
            "POST /echo HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n"
        )
        let response = try client.readResponse()
        #expect(response.status == 200)
        #expect(String(decoding: response.body, as: UTF8.self) == "hello world")
    }

    @Test func clientVanishingMidUploadLeaksNothing() async throws {
        let server = try Self.startServer()
        defer { server.shutdown(graceSeconds: 0) }
        do {
            let client = try RawClient(port: server.port)
            try client.send("POST /echo HTTP/1.1\r\nHost: t\r\nContent-Length: 1000000\r\n\r\n")
            try client.send([UInt8](repeating: 1, count: 100_000))
            try await Task.sleep(for: .milliseconds(100))
            #expect(server.inFlightRequestCount == 1)
            client.reset()
        }
        for _ in 0..<200 where server.inFlightRequestCount > 0 {
            try await Task.sleep(for: .milliseconds(10))
        }
        #expect(server.inFlightRequestCount == 0)
    }

    @Test func laterRunsOffThePollThreadsAndAnswers() async throws {
        let server = try Self.startServer()
        defer { server.shutdown(graceSeconds: 0) }
        let (status, body, _) = try await Self.fetch(server, "/later")
        #expect(status == 201)
        #expect(String(decoding: body, as: UTF8.self) == "later")
    }

    @Test func laterDoesNotBlockOtherRequests() async throws {
        // One poll thread: if `.later` work held it, the quick request would wait the full 3 s.
        // (A wide margin: the point is ordering, not speed, and machines here are shared.)
        var configuration = HTTPServerConfiguration()
        configuration.host = "127.0.0.1"
        configuration.port = 0
        configuration.pollThreads = 1
        let server = try HTTPServer(configuration: configuration, handler: TestRoutes.handle)
        defer { server.shutdown(graceSeconds: 0) }
        let slow = try RawClient(port: server.port)
        try slow.send("GET /slow-later?ms=3000 HTTP/1.1\r\nHost: t\r\n\r\n")
        try await Task.sleep(for: .milliseconds(50))
        let started = ContinuousClock.now
        let (status, _, _) = try await Self.fetch(server, "/echo")
        #expect(status == 200)
        #expect(ContinuousClock.now - started < .milliseconds(2500))
        #expect(try slow.readResponse().status == 200)
    }

    @Test func afterWaitsThenAnswers() async throws {
        let server = try Self.startServer()
        defer { server.shutdown(graceSeconds: 0) }
        let started = ContinuousClock.now
        let (status, body, _) = try await Self.fetch(server, "/after")
        #expect(status == 202)
        #expect(String(decoding: body, as: UTF8.self) == "after")
        #expect(ContinuousClock.now - started >= .milliseconds(180))
        let (chainStatus, chainBody, _) = try await Self.fetch(server, "/after-chain")
        #expect(chainStatus == 200)
        #expect(String(decoding: chainBody, as: UTF8.self) == "chain")
    }

    @Test func sharedBodyAndSubRange() async throws {
        let server = try Self.startServer()
        defer { server.shutdown(graceSeconds: 0) }
        let expected = TestRoutes.pattern.bytes
        let (status, body, _) = try await Self.fetch(server, "/shared")
        #expect(status == 200)
        #expect(Array(body) == expected)
        let (rangeStatus, rangeBody, response) = try await Self.fetch(server, "/shared-range")
        #expect(rangeStatus == 206)
        #expect(Array(rangeBody) == Array(expected[1000..<2000]))
        #expect(response.value(forHTTPHeaderField: "Content-Length") == "1000")
    }

    @Test func sharedBytesAreReleasedAfterTheResponse() async throws {
        final class WeakBox: Sendable {
            let reference = Mutex<WeakReference>(WeakReference())
        }
        struct WeakReference { weak var shared: SharedBytes? }
        let box = WeakBox()
        let server = try Self.startServer { _ in
            let shared = SharedBytes([1, 2, 3, 4, 5])
            box.reference.withLock { $0.shared = shared }
            return .now(HTTPResponse(status: 200, body: .shared(shared, range: 1..<4)))
        }
        defer { server.shutdown(graceSeconds: 0) }
        let (_, body, _) = try await Self.fetch(server, "/")
        #expect(Array(body) == [2, 3, 4])
        for _ in 0..<100 where box.reference.withLock({ $0.shared }) != nil {
            try await Task.sleep(for: .milliseconds(10))
        }
        #expect(box.reference.withLock { $0.shared } == nil)
    }

    @Test func headGetsHeadersWithoutBody() throws {
        let server = try Self.startServer()
        defer { server.shutdown(graceSeconds: 0) }
        let client = try RawClient(port: server.port)
        try client.send("HEAD /shared-range HTTP/1.1\r\nHost: t\r\n\r\n")
        let head = try client.readResponse(isHead: true)
        #expect(head.status == 206)
        #expect(head.header("Content-Length") == "1000")
        // The next response on the same connection must start right away: no body bytes in between.
        try client.send("GET /status/200 HTTP/1.1\r\nHost: t\r\n\r\n")
        let next = try client.readResponse()
        #expect(next.status == 200)
        #expect(String(decoding: next.body, as: UTF8.self) == "status 200")
    }

    @Test func keepAliveServesTwoRequestsOnOneConnection() throws {
        let server = try Self.startServer()
        defer { server.shutdown(graceSeconds: 0) }
        let client = try RawClient(port: server.port)
        try client.send("POST /echo HTTP/1.1\r\nHost: t\r\nContent-Length: 3\r\n\r\nabc")
        let first = try client.readResponse()
        try client.send("GET /later HTTP/1.1\r\nHost: t\r\n\r\n")
        let second = try client.readResponse()
        #expect(first.status == 200)
        #expect(String(decoding: first.body, as: UTF8.self) == "abc")
        #expect(second.status == 201)
    }

    @Test func closeConnectionClosesAfterTheResponse() throws {
        let server = try Self.startServer()
        defer { server.shutdown(graceSeconds: 0) }
        let client = try RawClient(port: server.port)
        try client.send("GET /close HTTP/1.1\r\nHost: t\r\n\r\n")
        let response = try client.readResponse()
        #expect(response.status == 200)
        #expect(response.header("Connection")?.lowercased() == "close")
        #expect(client.waitForClose())
    }

    @Test func dropClosesWithoutAnswering() throws {
        let server = try Self.startServer()
        defer { server.shutdown(graceSeconds: 0) }
        let client = try RawClient(port: server.port)
        try client.send("GET /drop HTTP/1.1\r\nHost: t\r\n\r\n")
        #expect(throws: RawClient.Failure.self) { try client.readResponse() }
    }

    @Test func slowBodyIsDribbledAtAboutTheRate() throws {
        let server = try Self.startServer()
        defer { server.shutdown(graceSeconds: 0) }
        let client = try RawClient(port: server.port)
        let started = ContinuousClock.now
        // 6 KB at 20 KB/s: about 0.3 s.
        try client.send("GET /slow?bytes=6000&rate=20000 HTTP/1.1\r\nHost: t\r\n\r\n")
        let response = try client.readResponse()
        let elapsed = ContinuousClock.now - started
        #expect(response.body == [UInt8](repeating: UInt8(ascii: "s"), count: 6000))
        #expect(elapsed >= .milliseconds(200))
        #expect(elapsed < .seconds(5))
    }

    @Test func slowHeadSendsNoBody() throws {
        let server = try Self.startServer()
        defer { server.shutdown(graceSeconds: 0) }
        let client = try RawClient(port: server.port)
        try client.send("HEAD /slow?bytes=60000&rate=1000 HTTP/1.1\r\nHost: t\r\n\r\n")
        let head = try client.readResponse(isHead: true)
        #expect(head.status == 200)
        #expect(head.header("Content-Length") == "60000")
    }

    @Test func shutdownDrainsInFlightWorkThenRefusesConnections() async throws {
        let server = try Self.startServer()
        let port = server.port
        let client = try RawClient(port: port)
        try client.send("GET /slow-later?ms=500 HTTP/1.1\r\nHost: t\r\n\r\n")
        try await Task.sleep(for: .milliseconds(100))
        let stopped = Task.detached { server.shutdown(graceSeconds: 10) }
        let response = try client.readResponse()
        #expect(response.status == 200)
        #expect(String(decoding: response.body, as: UTF8.self) == "finished")
        await stopped.value
        #expect(RawClient.isRefused(port: port))
        server.shutdown()  // idempotent
    }

    @Test func shutdownAbandonsWorkPastTheGracePeriod() async throws {
        let server = try Self.startServer()
        let later = try RawClient(port: server.port)
        try later.send("GET /slow-later?ms=3000 HTTP/1.1\r\nHost: t\r\n\r\n")
        let slow = try RawClient(port: server.port)
        try slow.send("GET /slow?bytes=100000&rate=1000 HTTP/1.1\r\nHost: t\r\n\r\n")
        try await Task.sleep(for: .milliseconds(200))
        let started = ContinuousClock.now
        server.shutdown(graceSeconds: 0.3)
        #expect(ContinuousClock.now - started < .seconds(2))
        #expect(later.waitForClose())
        #expect(slow.waitForClose())
        #expect(RawClient.isRefused(port: server.port))
    }

    @Test func twoHundredConcurrentRequestsFromSixteenThreadsAreAllAnswered() async throws {
        let server = try Self.startServer()
        defer { server.shutdown(graceSeconds: 0) }
        let port = server.port
        let answered = Mutex(0)
        let group = DispatchGroup()
        for thread in 0..<16 {
            group.enter()
            Thread.detachNewThread {
                defer { group.leave() }
                let count = thread < 8 ? 13 : 12  // 8 × 13 + 8 × 12 = 200
                for index in 0..<count {
                    do {
                        let client = try RawClient(port: port)
                        let path = index % 3 == 0 ? "/later" : (index % 3 == 1 ? "/after-chain" : "/echo")
                        try client.send("GET \(path) HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n")
                        let response = try client.readResponse()
                        if (200...201).contains(response.status) { answered.withLock { $0 += 1 } }
                    } catch {}
                }
            }
        }
        await withCheckedContinuation { continuation in
            group.notify(queue: .global()) { continuation.resume() }
        }
        #expect(answered.withLock { $0 } == 200)
    }
}
