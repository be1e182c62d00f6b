import Dispatch
import Foundation
import OutboundHTTP
import Synchronization
import Testing

@Suite("OutboundHTTPClient against real loopback servers")
struct OutboundHTTPClientTests {
    let client = OutboundHTTPClient()

    @Test func postSendsJSONBodyByteExactWithContentType() throws {
        let server = try LoopbackHTTPServer { _ in .echo }
        defer { server.stop() }
        let json = Array(
            #"{"event_type":"ASYNC_TASK_RESULT","payload":{"task":{"task_id":"é✓"},"n":[1,2.5,null]}}"#.utf8)
        let result = client.send(
            OutboundRequest(
                method: "POST", url: server.url("/hook?x=1"),
                headers: [(name: "Content-Type", value: "application/json"), (name: "X-Custom", value: "v 1")],
                body: json, timeoutMs: 5000))
        let response = try result.get()
        #expect(response.status == 200)
        #expect(response.body == json)
        #expect(response.header("x-echo-method") == "POST")
        #expect(response.header("X-ECHO-TARGET") == "/hook?x=1")
        let received = try #require(server.received.first)
        #expect(received.method == "POST")
        #expect(received.version == "HTTP/1.1")
        #expect(received.body == json)
        #expect(received.headers(named: "Content-Type") == ["application/json"])
        #expect(received.header("Content-Length") == String(json.count))
        #expect(received.header("X-Custom") == "v 1")
        #expect(received.header("Expect") == nil)
        #expect(received.header("Host") == "127.0.0.1:\(server.port)")
    }

    @Test func putSendsBinaryBodyByteExact() throws {
        let server = try LoopbackHTTPServer { _ in .respond(status: 200) }
        defer { server.stop() }
        // Every byte value, NULs included, and large enough that many clients would ask for 100-continue.
        let body = (0..<(1_500_000)).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ $0 >> 8) }
        let response = try client.send(
            OutboundRequest(
                method: "PUT", url: server.url("/bucket/a%20b/%C3%BC.png"),
                headers: [(name: "Content-Type", value: "image/png")], body: body, timeoutMs: 10_000)
        ).get()
        #expect(response.status == 200)
        let received = try #require(server.received.first)
        #expect(received.method == "PUT")
        #expect(received.target == "/bucket/a%20b/%C3%BC.png")
        #expect(received.body == body)
        #expect(received.header("Content-Type") == "image/png")
        #expect(received.header("Content-Length") == "1500000")
        #expect(received.header("Expect") == nil)
    }

    @Test func bodyWithoutContentTypeIsNotLabelledFormEncoded() throws {
        let server = try LoopbackHTTPServer { _ in .respond(status: 204) }
        defer { server.stop() }
        let response = try client.send(OutboundRequest(method: "PUT", url: server.url("/empty"), body: [])).get()
        #expect(response.status == 204)
        let received = try #require(server.received.first)
        #expect(received.header("Content-Type") == nil)
        #expect(received.header("Content-Length") == "0")
        #expect(received.body.isEmpty)
    }

    @Test func getSendsNoBody() throws {
        let server = try LoopbackHTTPServer { _ in .echo }
        defer { server.stop() }
        let response = try client.send(OutboundRequest(method: "GET", url: server.url("/x"))).get()
        #expect(response.status == 200)
        let received = try #require(server.received.first)
        #expect(received.method == "GET")
        #expect(received.header("Content-Length") == nil)
        #expect(received.header("Content-Type") == nil)
    }

    @Test func serverErrorIsAResponseNotATransportError() throws {
        let server = try LoopbackHTTPServer { _ in
            .respond(status: 500, headers: [(name: "X-Reason", value: "boom")], body: Array("internal".utf8))
        }
        defer { server.stop() }
        let result = client.send(OutboundRequest(method: "POST", url: server.url(), body: Array("{}".utf8)))
        let response = try result.get()
        #expect(response.status == 500)
        #expect(response.body == Array("internal".utf8))
        #expect(response.header("X-Reason") == "boom")
    }

    @Test func redirectsAreNotFollowed() throws {
        let server = try LoopbackHTTPServer { request in
            request.target == "/start" ? .respond(status: 302, headers: [(name: "Location", value: "/next")]) : .echo
        }
        defer { server.stop() }
        let response = try client.send(OutboundRequest(method: "POST", url: server.url("/start"))).get()
        #expect(response.status == 302)
        #expect(response.header("Location") == "/next")
        #expect(server.received.count == 1)
    }

    @Test func slowReceiverTimesOut() throws {
        // The receiver answers only when the test stops it, so `send` can only come back through
        // its own deadline: the result itself shows the timeout, with no stopwatch.
        let server = try LoopbackHTTPServer { _ in .delay(ms: 600_000, then: .respond(status: 200)) }
        defer { server.stop() }
        let result = client.send(OutboundRequest(method: "POST", url: server.url(), body: [1, 2, 3], timeoutMs: 300))
        #expect(result.failure == .timedOut(afterMs: 300))
    }

    @Test func refusedConnectionIsConnectionFailed() throws {
        let refusing = try RefusingPort()
        let result = client.send(OutboundRequest(method: "POST", url: "http://127.0.0.1:\(refusing.port)/hook"))
        guard case .connectionFailed(let message) = result.failure else {
            Issue.record("expected connectionFailed, got \(result)")
            return
        }
        #expect(message.contains("\(refusing.port)"))
    }

    @Test func unresolvableHostIsConnectionFailed() {
        // `.invalid` is reserved (RFC 2606) and never resolves; the resolver answers locally.
        let result = client.send(OutboundRequest(method: "GET", url: "http://no-such-host.invalid/", timeoutMs: 5000))
        guard case .connectionFailed = result.failure else {
            Issue.record("expected connectionFailed, got \(result)")
            return
        }
    }

    @Test(arguments: [
        "ftp://127.0.0.1/file", "not a url", "http://", "", "http://exa mple.com/", "file:///etc/passwd",
        "http://[::1/",
    ])
    func badURLIsInvalidURL(url: String) {
        let result = client.send(OutboundRequest(method: "GET", url: url, timeoutMs: 1000))
        #expect(result.failure == .invalidURL(url))
    }

    /// The error says what is wrong with the URL, in the parser's words.
    @Test func anInvalidURLSaysWhy() {
        let url = "http://user:pw@127.0.0.1:9/hook"
        let description = OutboundError.invalidURL(url).description
        #expect(description.hasPrefix("invalid URL \"\(url)\": "))
        #expect(description.contains("user information"), "\(description)")
    }

    @Test func connectionClosedMidResponseFails() throws {
        let server = try LoopbackHTTPServer { _ in .closeMidResponse }
        defer { server.stop() }
        let result = client.send(OutboundRequest(method: "POST", url: server.url(), body: [0]))
        guard case .failed(let message) = result.failure else {
            Issue.record("expected failed, got \(result)")
            return
        }
        #expect(!message.isEmpty)
    }

    @Test func responseBodyIsCappedKeepingTheFirstPart() throws {
        let big = (0..<(3 << 20)).map { UInt8(truncatingIfNeeded: $0 >> 4) }
        let server = try LoopbackHTTPServer { _ in .respond(status: 200, body: big) }
        defer { server.stop() }
        let response = try client.send(OutboundRequest(method: "GET", url: server.url(), timeoutMs: 10_000)).get()
        #expect(response.body.count == OutboundHTTPClient.defaultMaxResponseBodyBytes)
        #expect(response.body == Array(big.prefix(1 << 20)))

        let small = try OutboundHTTPClient(maxResponseBodyBytes: 10)
            .send(OutboundRequest(method: "GET", url: server.url(), timeoutMs: 10_000)).get()
        #expect(small.body == Array(big.prefix(10)))
    }

    @Test func headerValuesCannotInjectLines() {
        let result = client.send(
            OutboundRequest(
                method: "POST", url: "http://127.0.0.1:1/", headers: [(name: "X-A", value: "1\r\nX-Injected: 2")]))
        guard case .failed = result.failure else {
            Issue.record("expected failed, got \(result)")
            return
        }
    }

    @Test func fiftyConcurrentSendsFromDifferentThreadsAllSucceed() throws {
        let server = try LoopbackHTTPServer { _ in .echo }
        defer { server.stop() }
        let client = self.client
        let results = Mutex<[Int: Result<OutboundResponse, OutboundError>]>([:])
        let group = DispatchGroup()
        for index in 0..<50 {
            group.enter()
            Thread.detachNewThread {
                let body = Array("{\"n\":\(index)}".utf8)
                let result = client.send(
                    OutboundRequest(
                        method: "POST", url: server.url("/n/\(index)"),
                        headers: [(name: "Content-Type", value: "application/json")], body: body, timeoutMs: 10_000))
                results.withLock { $0[index] = result }
                group.leave()
            }
        }
        #expect(group.wait(timeout: .now() + 30) == .success)
        let collected = results.withLock { $0 }
        #expect(collected.count == 50)
        for (index, result) in collected {
            let response = try result.get()
            #expect(response.status == 200)
            #expect(response.body == Array("{\"n\":\(index)}".utf8))
            #expect(response.header("X-Echo-Target") == "/n/\(index)")
        }
        #expect(server.received.count == 50)
    }
}

extension Result {
    var failure: Failure? {
        if case .failure(let error) = self { return error }
        return nil
    }
}
