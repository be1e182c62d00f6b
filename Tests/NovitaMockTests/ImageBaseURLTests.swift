import MicroHTTP
import Testing

@testable import NovitaMock

/// Where image URLs point when the request has no `Host` header: the address and port the
/// server is bound to, as a client can dial them.
@Suite("Image base URL without a Host header")
struct ImageBaseURLTests {
    static let hostless = HTTPRequest(method: "POST", path: "/v3/async/img2img")

    @Test(arguments: [
        ("0.0.0.0", "http://127.0.0.1:8080"),
        ("127.0.0.1", "http://127.0.0.1:8080"),
        ("::1", "http://[::1]:8080"),
        ("::", "http://[::1]:8080"),
        ("fe80::1", "http://[fe80::1]:8080"),
    ])
    func usesTheBindAddressIPv6InBrackets(host: String, expected: String) {
        let harness = ServiceHarness { $0.host = host }
        #expect(harness.service.imageBaseURL(for: Self.hostless) == expected)
    }

    /// Under `--port 0` the kernel picks the port: the URL must carry that one, not 0.
    @Test func usesThePortTheServerWasBoundTo() {
        let harness = ServiceHarness {
            $0.host = "::1"
            $0.port = 0
        }
        harness.service.serverDidBind(port: 54321)
        #expect(harness.service.imageBaseURL(for: Self.hostless) == "http://[::1]:54321")
    }
}
