import Foundation
import OutboundHTTP
import Testing

@testable import MicroHTTP

/// One libmicrohttpd response object queued for many requests, and the fallback to a fresh one
/// whenever the response no longer says what the object says.
@Suite struct PreparedResponseTests {
    static let body = Array(#"{"task":{"status":"TASK_STATUS_SUCCEED"}}"#.utf8)

    static func prepared() throws -> PreparedResponse {
        try #require(PreparedResponse(status: 200, headers: ["Content-Type": "application/json"], body: .bytes(body)))
    }

    @Test func matchesOnlyWhatItSends() throws {
        let prepared = try Self.prepared()
        let response = HTTPResponse(prepared: prepared)
        #expect(prepared.matches(response))

        var withHeader = response
        withHeader.headers.add("X-Extra", "1")
        #expect(!prepared.matches(withHeader))

        var otherStatus = response
        otherStatus.status = 201
        #expect(!prepared.matches(otherStatus))

        // Same bytes, other storage: not the object's body (comparing contents would cost what
        // the object saves), so a fresh response is built.
        var copied = response
        copied.body = .bytes(Self.body.map { $0 })
        #expect(!prepared.matches(copied))

        var changed = response
        if case .bytes(var bytes) = changed.body {
            bytes[0] = UInt8(ascii: "[")
            changed.body = .bytes(bytes)
        }
        #expect(!prepared.matches(changed))

        var closing = response
        closing.closeConnection = true
        #expect(!prepared.matches(closing))

        var slow = response
        slow.bodyBytesPerSecond = 1000
        #expect(!prepared.matches(slow))
    }

    @Test func refusesWhatIsNotAStatus() {
        #expect(PreparedResponse(status: 0, headers: [:], body: .bytes([])) == nil)
    }

    @Test func oneObjectAnswersManyRequestsAndChangedCopiesAnswerTheirOwn() async throws {
        let prepared = try Self.prepared()
        let server = try HTTPServerTests.startServer { request in
            var response = HTTPResponse(prepared: prepared)
            if request.path == "/changed" { response.headers.set("X-Changed", "yes") }
            return .now(response)
        }
        defer { server.shutdown(graceSeconds: 1) }
        try await withThrowingTaskGroup(of: Void.self) { group in
            for index in 0..<40 {
                group.addTask {
                    let path = index % 4 == 0 ? "/changed" : "/prepared"
                    let (status, body, response) = try await HTTPServerTests.fetch(server, path)
                    #expect(status == 200)
                    #expect(Array(body) == Self.body)
                    #expect(response.header("Content-Type") == "application/json")
                    #expect(response.header("X-Changed") == (index % 4 == 0 ? "yes" : nil))
                }
            }
            try await group.waitForAll()
        }
    }
}
