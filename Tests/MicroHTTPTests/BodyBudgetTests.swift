import Testing

@testable import MicroHTTP

/// `maxBufferedBodyBytes`: the bodies held across all requests stay under one budget.
@Suite("Shared body budget")
struct BodyBudgetTests {
    static func startServer(budget: Int) throws -> HTTPServer {
        var configuration = HTTPServerConfiguration()
        configuration.host = "127.0.0.1"
        configuration.port = 0
        configuration.maxBodyBytes = 1 << 20
        configuration.maxBufferedBodyBytes = budget
        return try HTTPServer(configuration: configuration) { request in
            .now(
                HTTPResponse(
                    status: request.bodyOverBudget ? 429 : 200, body: Array("\(request.body.count)".utf8)))
        }
    }

    /// Waits until the bytes of bodies the server holds satisfy `condition`. The 60 s limit only
    /// bounds a failing run: a loaded machine (the whole suite on two cores) can take seconds.
    static func waitUntil(_ server: HTTPServer, holds condition: (Int) -> Bool) async throws {
        let deadline = ContinuousClock.now + .seconds(60)
        while !condition(server.bufferedBodyBytes) && ContinuousClock.now < deadline {
            try await Task.sleep(for: .milliseconds(5))
        }
    }

    /// Waits until the server holds at least `bytes` of bodies.
    static func waitUntilHolding(_ server: HTTPServer, atLeast bytes: Int) async throws {
        try await waitUntil(server) { $0 >= bytes }
        try #require(server.bufferedBodyBytes >= bytes)
    }

    @Test func aDeclaredBodyPastTheBudgetLeftIsRefusedAtOnceAndServedOnceItFrees() async throws {
        let server = try Self.startServer(budget: 1_000_000)
        defer { server.shutdown(graceSeconds: 0) }
        // A holds 600 KB of a 900 KB upload.
        let uploader = try RawClient(port: server.port)
        try uploader.send("POST /a HTTP/1.1\r\nHost: t\r\nContent-Length: 900000\r\n\r\n")
        try uploader.send([UInt8](repeating: 1, count: 600_000))
        try await Self.waitUntilHolding(server, atLeast: 600_000)

        // B declares 500 KB: more than the 400 KB left, answered without reading its body.
        let refused = try RawClient(port: server.port, timeoutSeconds: 5)
        try refused.send("POST /b HTTP/1.1\r\nHost: t\r\nContent-Length: 500000\r\n\r\n")
        #expect(try refused.readResponse().status == 429)
        #expect(refused.waitForClose())
        // C declares 300 KB: it fits, and is served while A still uploads.
        let fits = try RawClient(port: server.port)
        try fits.send("POST /c HTTP/1.1\r\nHost: t\r\nContent-Length: 300000\r\n\r\n")
        try fits.send([UInt8](repeating: 2, count: 300_000))
        let served = try fits.readResponse()
        #expect(served.status == 200 && served.body == Array("300000".utf8))

        // C gives its 300 KB back when libmicrohttpd reports it complete, which can come a moment
        // after C's answer reached the client. A's last 300 KB fit only once it has: wait for the
        // server's own count to drop back to A's 600 KB before sending them.
        try await Self.waitUntil(server) { $0 == 600_000 }
        try #require(server.bufferedBodyBytes == 600_000)
        try uploader.send([UInt8](repeating: 1, count: 300_000))
        let finished = try uploader.readResponse()
        #expect(finished.status == 200 && finished.body == Array("900000".utf8))
        // Every byte is given back once the requests complete; B's size now fits.
        try await Self.waitUntil(server) { $0 == 0 }
        #expect(server.bufferedBodyBytes == 0)
        let retried = try RawClient(port: server.port)
        try retried.send("POST /b HTTP/1.1\r\nHost: t\r\nContent-Length: 500000\r\n\r\n")
        try retried.send([UInt8](repeating: 3, count: 500_000))
        #expect(try retried.readResponse().status == 200)
    }

    @Test func aChunkedBodyThatOutgrowsTheBudgetIsDiscardedAndRefused() async throws {
        let server = try Self.startServer(budget: 1_000_000)
        defer { server.shutdown(graceSeconds: 0) }
        let holder = try RawClient(port: server.port)
        try holder.send("POST /a HTTP/1.1\r\nHost: t\r\nContent-Length: 800000\r\n\r\n")
        try holder.send([UInt8](repeating: 1, count: 700_000))
        try await Self.waitUntilHolding(server, atLeast: 700_000)

        let chunked = try RawClient(port: server.port)
        try chunked.send("POST /b HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n")
        let chunk = "10000\r\n" + String(repeating: "c", count: 0x10000) + "\r\n"
        for _ in 0..<8 { try chunked.send(chunk) }  // 512 KiB: outgrows the 300 KB left
        try chunked.send("0\r\n\r\n")
        let response = try chunked.readResponse()
        #expect(response.status == 429)
        #expect(response.body == Array("0".utf8))  // nothing of it was kept
        // What it held was given back when it went over, before the answer: only A's 700 KB remain.
        #expect(server.bufferedBodyBytes == 700_000)

        try holder.send([UInt8](repeating: 1, count: 100_000))
        #expect(try holder.readResponse().status == 200)
    }
}
