import OutboundHTTP
import Testing

/// Responses framed every way HTTP/1.1 allows, as receivers really send them.
@Suite("OutboundHTTPClient reads every response framing")
struct ResponseFramingTests {
    let client = OutboundHTTPClient()

    private func response(to raw: String, method: String = "POST", client: OutboundHTTPClient? = nil) throws
        -> Result<OutboundResponse, OutboundError>
    {
        let server = try LoopbackHTTPServer { _ in .raw(Array(raw.utf8)) }
        defer { server.stop() }
        return (client ?? self.client).send(
            OutboundRequest(method: method, url: server.url("/hook"), body: Array("{}".utf8), timeoutMs: 5000))
    }

    @Test func chunkedBodyIsReassembledWithExtensionsAndTrailers() throws {
        let raw =
            "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nX-Kind: chunked\r\n\r\n"
            + "5;name=value\r\nhello\r\n1\r\n \r\nA\r\nwebhook ok\r\n0\r\nX-Trailer: t\r\n\r\n"
        let response = try response(to: raw).get()
        #expect(response.status == 200)
        #expect(String(decoding: response.body, as: UTF8.self) == "hello webhook ok")
        #expect(response.header("x-kind") == "chunked")
    }

    @Test func chunkedBodyIsCappedLikeAnyOther() throws {
        let raw = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n4\r\nabcd\r\n4\r\nefgh\r\n0\r\n\r\n"
        let response = try response(to: raw, client: OutboundHTTPClient(maxResponseBodyBytes: 6)).get()
        #expect(response.body == Array("abcdef".utf8))
    }

    @Test func chunkedBodyCutShortFails() throws {
        let result = try response(to: "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n10\r\nonly-eight")
        guard case .failed(let message) = result.failure else {
            Issue.record("expected failed, got \(result)")
            return
        }
        #expect(message.contains("chunked"))
    }

    @Test func bodyWithoutLengthRunsToTheClose() throws {
        let response = try response(to: "HTTP/1.0 200 OK\r\nContent-Type: text/plain\r\n\r\nuntil the close").get()
        #expect(response.status == 200)
        #expect(String(decoding: response.body, as: UTF8.self) == "until the close")
    }

    @Test func interimContinueIsSkippedForTheFinalResponse() throws {
        let raw =
            "HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 201 Created\r\nContent-Length: 2\r\nLocation: /x\r\n\r\nok"
        let response = try response(to: raw).get()
        #expect(response.status == 201)
        #expect(response.header("Location") == "/x")
        #expect(response.body == Array("ok".utf8))
    }

    @Test func bareLineFeedsAndFoldedHeadersAreTolerated() throws {
        let response = try response(to: "HTTP/1.1 202 Accepted\nX-Long: first\n  second\nContent-Length: 1\n\n!")
            .get()
        #expect(response.status == 202)
        #expect(response.header("X-Long") == "first second")
        #expect(response.body == Array("!".utf8))
    }

    @Test func noContentHasNoBodyEvenWithoutFraming() throws {
        let response = try response(to: "HTTP/1.1 204 No Content\r\nX-A: 1\r\n\r\n").get()
        #expect(response.status == 204)
        #expect(response.body.isEmpty)
    }

    @Test(arguments: [
        ("", "closed before a response"),
        ("SSH-2.0-OpenSSH_9.2\r\n", "status line"),
        ("HTTP/1.1 200 OK\r\nContent-Length: nope\r\n\r\n", "Content-Length"),
        ("HTTP/1.1 200 OK\r\nContent-Length: 3\r\nContent-Length: 4\r\n\r\nabcd", "Content-Length"),
        ("HTTP/1.1 200 OK\r\nContent-Length: +5\r\n\r\nhello", "Content-Length"),
        ("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n-1\r\n", "chunk size"),
        ("HTTP/1.1 200 OK\r\nno colon here\r\n\r\n", "header line"),
        ("HTTP/1.1 200 OK\r\nX-A: 1\r\n", "inside its header"),
    ])
    func malformedResponsesFailSayingWhy(raw: String, expected: String) throws {
        let result = try response(to: raw)
        guard case .failed(let message) = result.failure else {
            Issue.record("expected failed, got \(result)")
            return
        }
        #expect(message.contains(expected), "\(message)")
    }

    @Test func endlessHeaderIsRefusedNotBuffered() throws {
        let raw = "HTTP/1.1 200 OK\r\nX-Big: " + String(repeating: "a", count: 100_000) + "\r\n\r\n"
        let result = try response(to: raw)
        guard case .failed(let message) = result.failure else {
            Issue.record("expected failed, got status \((try? result.get())?.status ?? 0)")
            return
        }
        #expect(message.contains("too large"))
    }

    @Test func headRequestReadsNoBodyDespiteContentLength() throws {
        let response = try response(to: "HTTP/1.1 200 OK\r\nContent-Length: 1234\r\n\r\n", method: "HEAD").get()
        #expect(response.status == 200)
        #expect(response.header("Content-Length") == "1234")
        #expect(response.body.isEmpty)
    }

    @Test func anEnormousTimeoutIsClampedNotOverflowed() {
        let result = client.send(OutboundRequest(method: "GET", url: "http://127.0.0.1:1/", timeoutMs: .max))
        guard case .connectionFailed = result.failure else {
            Issue.record("expected connectionFailed, got \(result)")
            return
        }
    }

    @Test func ipv6LiteralIsParsedAndDialled() throws {
        // Only where the machine has IPv6 loopback; the refusal still proves the address parsed.
        let result = client.send(OutboundRequest(method: "GET", url: "http://[::1]:1/", timeoutMs: 2000))
        guard case .connectionFailed(let message) = result.failure else {
            Issue.record("expected connectionFailed, got \(result)")
            return
        }
        #expect(message.contains("::1"))
    }
}
