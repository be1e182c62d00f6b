import MicroHTTP
import Testing

@testable import NovitaMock

/// Every refused request (4xx) is logged at debug, with its reason and a redacted key.
@Suite("Refusal logging")
struct RefusalLoggingTests {
    static func service(level: LogLevel, lines: LogLines) throws -> MockService {
        var configuration = MockConfiguration()
        configuration.clockMode = .virtual
        return try MockService(configuration: configuration, logger: lines.logger(level: level))
    }

    @Test func eachRefusalIsLoggedAtDebugWithItsReason() throws {
        let lines = LogLines()
        let service = try Self.service(level: .debug, lines: lines)
        let invalid = HTTPRequest(
            method: "POST", path: "/v3/async/img2img",
            headers: ["Authorization": "Bearer secret-key-123", "Content-Type": "application/json"],
            body: Array(#"{"request": {"width": 1}}"#.utf8))
        #expect(ServiceHarness.resolve(service.handle(invalid)).status == 400)
        _ = ServiceHarness.resolve(service.handle(HTTPRequest(method: "GET", path: "/v3/nowhere")))

        let refusals = lines.all.filter { $0.contains("request refused") }
        try #require(refusals.count == 2, "\(lines.all)")
        #expect(refusals[0].contains(" DEBUG request refused "))
        #expect(refusals[0].contains("method=POST"))
        #expect(refusals[0].contains("path=/v3/async/img2img"))
        #expect(refusals[0].contains("status=400"))
        #expect(refusals[0].contains("reason=INVALID_REQUEST_BODY"))
        #expect(refusals[0].contains("error_message=request.width"), "\(refusals[0])")
        #expect(refusals[0].contains("api_key=secr…"))
        #expect(!refusals[0].contains("secret-key-123"))
        #expect(refusals[1].contains("status=404") && refusals[1].contains("reason=API_NOT_FOUND"))
    }

    @Test func refusalsAreNotLoggedAboveDebug() throws {
        let lines = LogLines()
        let service = try Self.service(level: .info, lines: lines)
        _ = ServiceHarness.resolve(service.handle(HTTPRequest(method: "GET", path: "/v3/nowhere")))
        #expect(!lines.all.contains { $0.contains("request refused") })
    }
}
