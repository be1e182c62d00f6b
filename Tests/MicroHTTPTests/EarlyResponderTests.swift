import Synchronization
import Testing

@testable import MicroHTTP

/// `EarlyResponder`: answers from the borrowed head on the request's completing call, keeps the
/// connection open, and leaves every request it declines — or that brings a body — to the handler,
/// whole.
@Suite struct EarlyResponderTests {
    /// Answers `GET /early?name=…` with one prepared response when it carries `X-Early: yes`;
    /// records what it saw of the head.
    final class Responder: EarlyResponder {
        let prepared = PreparedResponse(
            status: 200, headers: ["Content-Type": "text/plain"], body: .bytes(Array("early".utf8)))!
        let seen = Mutex<[String]>([])

        func mayAnswer(_ head: BorrowedRequestHead) -> Bool {
            head.pathIs("/early")
        }

        func respond(to head: BorrowedRequestHead) -> EarlyAnswer {
            guard head.methodIs("GET") else { return .declined }
            var wanted = false
            var fields: [String] = []
            for field in Self.listed(head.listHeaders(into:)) {
                let name = String(decoding: field.name, as: UTF8.self)
                let value = String(decoding: field.value, as: UTF8.self)
                fields.append("\(name)=\(value)")
                if name.lowercased() == "x-early", value == "yes" { wanted = true }
            }
            for field in Self.listed(head.listQueryParameters(into:)) {
                fields.append(
                    "?\(String(decoding: field.name, as: UTF8.self))=\(String(decoding: field.value, as: UTF8.self))")
            }
            seen.withLock { $0.append(fields.joined(separator: " ")) }
            return wanted ? head.queue(prepared) : .declined
        }

        /// Every field, however many: a small room first, then one of the size the count said.
        static func listed(_ list: (UnsafeMutableBufferPointer<BorrowedField>) -> Int) -> [BorrowedField] {
            let room = UnsafeMutableBufferPointer<BorrowedField>.allocate(capacity: 4)
            defer { room.deallocate() }
            let count = list(room)
            if count <= room.count { return Array(room[..<count]) }
            let larger = UnsafeMutableBufferPointer<BorrowedField>.allocate(capacity: count)
            defer { larger.deallocate() }
            #expect(list(larger) == count)
            return Array(larger)
        }
    }

    static func start(_ responder: Responder) throws -> HTTPServer {
        var configuration = HTTPServerConfiguration()
        configuration.host = "127.0.0.1"
        configuration.port = 0
        return try HTTPServer(configuration: configuration, earlyResponder: responder) { request in
            .now(
                HTTPResponse(
                    status: 200, body: Array("handler \(request.method) \(request.path) \(request.body.count)".utf8)))
        }
    }

    @Test func answersOnAKeptConnectionAndDeclinesToTheHandler() async throws {
        let responder = Responder()
        let server = try Self.start(responder)
        defer { server.shutdown(graceSeconds: 1) }
        let client = try RawClient(port: server.port)
        for _ in 0..<3 {
            try client.send("GET /early?name=a%20b HTTP/1.1\r\nHost: x\r\nX-Early: yes\r\n\r\n")
            let answer = try client.readResponse()
            #expect(answer.status == 200)
            #expect(String(decoding: answer.body, as: UTF8.self) == "early")
            #expect(answer.header("Connection")?.lowercased() != "close")
        }
        // Declined, on the same connection: the handler answers.
        try client.send("GET /early HTTP/1.1\r\nHost: x\r\n\r\n")
        let declined = try client.readResponse()
        #expect(String(decoding: declined.body, as: UTF8.self) == "handler GET /early 0")
        // Never asked about other paths.
        try client.send("GET /other HTTP/1.1\r\nHost: x\r\nX-Early: yes\r\n\r\n")
        #expect(String(decoding: try client.readResponse().body, as: UTF8.self) == "handler GET /other 0")
        let seen = responder.seen.withLock { $0 }
        #expect(seen.count == 4)
        #expect(seen.first == "Host=x X-Early=yes ?name=a b")
        // Released once MHD reports each request complete (just after the answer went out).
        try await HTTPServerTests.waitUntil { server.inFlightRequestCount == 0 }
        #expect(server.inFlightRequestCount == 0)
    }

    @Test func aHeadWithMoreFieldsThanTheStackRoomIsReadWhole() async throws {
        let responder = Responder()
        let server = try Self.start(responder)
        defer { server.shutdown(graceSeconds: 1) }
        let client = try RawClient(port: server.port)
        let many = (0..<40).map { "X-H-\($0): \($0)\r\n" }.joined()
        try client.send("GET /early?a=1&b=2 HTTP/1.1\r\nHost: x\r\n\(many)X-Early: yes\r\n\r\n")
        #expect(String(decoding: try client.readResponse().body, as: UTF8.self) == "early")
        let fields = try #require(responder.seen.withLock { $0.first }).split(separator: " ")
        #expect(fields.count == 44)
        let numbered: [String] = (0..<40).map { "X-H-\($0)=\($0)" }
        #expect(fields.dropFirst().prefix(40).map(String.init) == numbered)
    }

    @Test func aRequestWithABodyReachesTheHandlerWhole() async throws {
        let responder = Responder()
        let server = try Self.start(responder)
        defer { server.shutdown(graceSeconds: 1) }
        let client = try RawClient(port: server.port)
        try client.send("GET /early HTTP/1.1\r\nHost: x\r\nX-Early: yes\r\nContent-Length: 5\r\n\r\nhello")
        #expect(String(decoding: try client.readResponse().body, as: UTF8.self) == "handler GET /early 5")
        try client.send("POST /early HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\n\r\nabc")
        #expect(String(decoding: try client.readResponse().body, as: UTF8.self) == "handler POST /early 3")
        // The responder was never asked to answer a request with a body.
        #expect(responder.seen.withLock { $0 }.isEmpty)
        // Released once MHD reports each request complete (just after the answer went out).
        try await HTTPServerTests.waitUntil { server.inFlightRequestCount == 0 }
        #expect(server.inFlightRequestCount == 0)
    }
}
