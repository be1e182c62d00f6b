import Dispatch
import Foundation
import Glibc
import OutboundHTTP
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
    ) async throws -> (status: Int, body: Data, response: OutboundResponse) {
        let request = OutboundRequest(
            method: method, url: "http://127.0.0.1:\(server.port)\(pathAndQuery)",
            headers: headers.map { (name: $0.key, value: $0.value) }, body: body.map { Array($0) } ?? [],
            timeoutMs: 30_000)
        let response = try await OutboundHTTPClient(maxResponseBodyBytes: 1 << 30).response(to: request).get()
        return (response.status, Data(response.body), response)
    }

    /// Holds `.later` work until the test opens it, and counts the work that has arrived, so a
    /// test can order events ("the slow request is being worked on") without sleeping.
    final class Gate: Sendable {
        private let arrivals = Mutex(0)
        private let opened = DispatchSemaphore(value: 0)

        /// Runs on the work's thread: reports the arrival, then waits until the gate opens.
        func pass() {
            arrivals.withLock { $0 += 1 }
            opened.wait()
        }

        var arrived: Int { arrivals.withLock { $0 } }

        /// Lets `count` waiting (or future) passes through.
        func open(_ count: Int = 1) {
            for _ in 0..<count { opened.signal() }
        }
    }

    /// `TestRoutes`, plus `/gated`: `.later` work that waits at `gate`, then answers 200 "gated".
    static func startGatedServer(_ gate: Gate, pollThreads: Int = 2) throws -> HTTPServer {
        var configuration = HTTPServerConfiguration()
        configuration.host = "127.0.0.1"
        configuration.port = 0
        configuration.pollThreads = pollThreads
        return try HTTPServer(configuration: configuration) { request in
            guard request.path == "/gated" else { return TestRoutes.handle(request) }
            return .later {
                gate.pass()
                return HTTPResponse(status: 200, body: Array("gated".utf8))
            }
        }
    }

    /// Waits until `condition` holds, checking the server's own state every few milliseconds;
    /// gives up after 10 s (the caller's expectation then fails).
    /// Waits for `condition`; the minute's limit only bounds a failing run on a loaded machine.
    static func waitUntil(_ condition: () -> Bool) async throws {
        for _ in 0..<12_000 where !condition() {
            try await Task.sleep(for: .milliseconds(5))
        }
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
        #expect(response.header("X-Method") == "POST")
        #expect(response.header("X-Remote") == "127.0.0.1")
    }

    @Test func requestHeadersAreCaseInsensitive() async throws {
        let server = try Self.startServer()
        defer { server.shutdown(graceSeconds: 0) }
        let (_, body, response) = try await Self.fetch(server, "/header", headers: ["X-CUSTOM-Header": "v1"])
        #expect(String(decoding: body, as: UTF8.self) == "v1")
        #expect(response.header("x-seen") == "v1")
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

    /// The connection pool is 16 KiB (`HTTPServerConfiguration.connectionMemoryBytes`): 12 KB of
    /// headers are served, twice on one connection (the pool is reused); 20 KB are refused with
    /// 431 and the connection closed, and the next client is served as before.
    @Test func headsUpToThePoolAreServedAndLargerOnesRefusedWith431() throws {
        let server = try Self.startServer()
        defer { server.shutdown(graceSeconds: 0) }
        let fits = String(repeating: "a", count: 12_000)
        let client = try RawClient(port: server.port)
        for _ in 0..<2 {
            try client.send("GET /status/200 HTTP/1.1\r\nHost: t\r\nX-Big: \(fits)\r\n\r\n")
            #expect(try client.readResponse().status == 200)
        }
        let tooLarge = try RawClient(port: server.port)
        try tooLarge.send(
            "GET /status/200 HTTP/1.1\r\nHost: t\r\nX-Big: \(String(repeating: "a", count: 20_000))\r\n\r\n")
        #expect(try tooLarge.readResponse().status == 431)
        #expect(tooLarge.waitForClose())
        let next = try RawClient(port: server.port)
        try next.send("GET /status/204 HTTP/1.1\r\nHost: t\r\n\r\n")
        #expect(try next.readResponse().status == 204)
    }

    @Test func declaredOversizedBodyIsAnsweredAtOnceAndTheConnectionClosed() throws {
        let server = try Self.startServer(maxBodyBytes: 1 << 20)
        defer { server.shutdown(graceSeconds: 0) }
        let client = try RawClient(port: server.port, timeoutSeconds: 5)
        // 2 GB announced and not a byte of it ever sent: any answer at all proves the server did
        // not wait for the body.
        try client.send("POST /echo HTTP/1.1\r\nHost: t\r\nContent-Length: 2147483648\r\n\r\n")
        let response = try client.readResponse()
        #expect(response.status == 413)
        #expect(String(decoding: response.body, as: UTF8.self) == "too large")
        #expect(client.waitForClose())
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
            try await Self.waitUntil { server.inFlightRequestCount == 1 }
            #expect(server.inFlightRequestCount == 1)
            client.reset()
        }
        try await Self.waitUntil { server.inFlightRequestCount == 0 }
        #expect(server.inFlightRequestCount == 0)
    }

    @Test func laterRunsOffThePollThreadsAndAnswers() async throws {
        // The handler is called on a poll thread; its `.later` work must run on another one.
        let threads = Mutex<[pthread_t]>([])
        let server = try Self.startServer { _ in
            threads.withLock { $0.append(pthread_self()) }
            return .later {
                threads.withLock { $0.append(pthread_self()) }
                return HTTPResponse(status: 201, body: Array("later".utf8))
            }
        }
        defer { server.shutdown(graceSeconds: 0) }
        let (status, body, _) = try await Self.fetch(server, "/later")
        #expect(status == 201)
        #expect(String(decoding: body, as: UTF8.self) == "later")
        let seen = threads.withLock { $0 }
        try #require(seen.count == 2)
        #expect(pthread_equal(seen[0], seen[1]) == 0, "the work ran on the poll thread that called the handler")
    }

    @Test func laterDoesNotBlockOtherRequests() async throws {
        // One poll thread, and `.later` work held at a gate until the quick request is answered:
        // had the work held the poll thread, the quick request could never be answered (its read
        // times out and the test fails) — an ordering, not a timing.
        let gate = Gate()
        let server = try Self.startGatedServer(gate, pollThreads: 1)
        defer { server.shutdown(graceSeconds: 0) }
        let slow = try RawClient(port: server.port)
        try slow.send("GET /gated HTTP/1.1\r\nHost: t\r\n\r\n")
        try await Self.waitUntil { gate.arrived == 1 }
        try #require(gate.arrived == 1)
        let quick = try RawClient(port: server.port)
        try quick.send("GET /echo HTTP/1.1\r\nHost: t\r\n\r\n")
        #expect(try quick.readResponse().status == 200)
        #expect(gate.arrived == 1)  // the slow work is still held: it was answered while it waited
        gate.open()
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
        #expect(response.header("Content-Length") == "1000")
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

    @Test func slowBodyArrivesWholeAndNoFasterThanTheRate() throws {
        let server = try Self.startServer()
        defer { server.shutdown(graceSeconds: 0) }
        let client = try RawClient(port: server.port)
        let started = ContinuousClock.now
        // 6 KB at 20 KB/s goes out in 1 KB slots, the last one due 0.25 s after the first. Only
        // a lower bound: the server never sends early, while a loaded machine may well be late.
        try client.send("GET /slow?bytes=6000&rate=20000 HTTP/1.1\r\nHost: t\r\n\r\n")
        let response = try client.readResponse()
        #expect(response.body == [UInt8](repeating: UInt8(ascii: "s"), count: 6000))
        #expect(ContinuousClock.now - started >= .milliseconds(250))
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
        let gate = Gate()
        let server = try Self.startGatedServer(gate)
        let port = server.port
        let client = try RawClient(port: port)
        try client.send("GET /gated HTTP/1.1\r\nHost: t\r\n\r\n")
        try await Self.waitUntil { gate.arrived == 1 }
        try #require(gate.arrived == 1)
        let stopped = Task.detached { server.shutdown(graceSeconds: 60) }
        // Shutdown has begun once new connections are refused; the work is still held, so it
        // is in flight across the start of the drain. Only then is it let through.
        try await Self.waitUntil { RawClient.isRefused(port: port) }
        #expect(RawClient.isRefused(port: port))
        gate.open()
        let response = try client.readResponse()
        #expect(response.status == 200)
        #expect(String(decoding: response.body, as: UTF8.self) == "gated")
        await stopped.value
        #expect(RawClient.isRefused(port: port))
        server.shutdown()  // idempotent
    }

    @Test func shutdownAbandonsWorkPastTheGracePeriod() async throws {
        let gate = Gate()
        defer { gate.open() }  // let the held work end once the test is done with it
        let server = try Self.startGatedServer(gate)
        let later = try RawClient(port: server.port)
        try later.send("GET /gated HTTP/1.1\r\nHost: t\r\n\r\n")
        // 100 KB at 1 KB/s: a body that would take 100 s.
        let slow = try RawClient(port: server.port)
        try slow.send("GET /slow?bytes=100000&rate=1000 HTTP/1.1\r\nHost: t\r\n\r\n")
        try await Self.waitUntil { gate.arrived == 1 && server.inFlightRequestCount == 2 }
        try #require(server.inFlightRequestCount == 2)
        // The work stays held and the body unsent: shutdown can only return by abandoning both.
        server.shutdown(graceSeconds: 0.3)
        #expect(gate.arrived == 1)
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
