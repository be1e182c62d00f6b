import Testing

@testable import OutboundHTTP

@Suite("OutboundURL")
struct OutboundURLTests {
    // The same cases AWSSignatureV4Tests signs: the Host sent must be the Host signed.
    @Test(
        arguments: [
            ("http://127.0.0.1:5000/b/k", "127.0.0.1", 5000, "127.0.0.1:5000", "/b/k"),
            ("http://Example.COM:80/b/k?x=1", "Example.COM", 80, "example.com", "/b/k?x=1"),
            ("https://example.com:443/", "example.com", 443, "example.com", "/"),
            ("https://example.com:8443", "example.com", 8443, "example.com:8443", "/"),
            ("HTTPS://example.com?q=1#frag", "example.com", 443, "example.com", "/?q=1"),
            ("http://[::1]:9000/b?acl#frag", "::1", 9000, "[::1]:9000", "/b?acl"),
            ("http://[2001:db8::7]/", "2001:db8::7", 80, "[2001:db8::7]", "/"),
        ] as [(String, String, Int, String, String)])
    func splitsWhatTheRequestNeeds(url: String, host: String, port: Int, hostHeader: String, target: String) throws {
        let parsed = try #require(OutboundURL(url))
        #expect(parsed.host == host)
        #expect(Int(parsed.port) == port)
        #expect(parsed.hostHeader == hostHeader)
        #expect(parsed.target == target)
    }

    @Test(
        arguments: [
            ("http://127.0.0.1:5000/b/k", "/b/k", ""),
            ("http://Example.COM:80/b/k?x=1", "/b/k", "x=1"),
            ("https://example.com:8443", "/", ""),
            ("http://[::1]:9000/b?acl#frag", "/b", "acl"),
            ("http://h/b?", "/b", ""),
        ] as [(String, String, String)])
    func splitsTheTargetIntoPathAndQueryForSigning(url: String, path: String, query: String) throws {
        let parsed = try #require(OutboundURL(url))
        #expect(parsed.path == path)
        #expect(parsed.query == query)
    }

    @Test(arguments: [
        "http://user:pw@example.com/", "http://example.com:0/", "http://example.com:65536/", "http://example.com:/",
        "http://example.com:8x/", "http://[::1/", "http://[::1]x/", "http://[zz::1]/", "http://:80/", "https://",
        "http://127.0.0.1:+9/hook", "http://[zz]:9/hook", "http://[]/", "http://a:b:80/", "ftp://example.com/",
        "http://exa mple.com/",
    ])
    func refusesWhatItCannotSendHonestly(url: String) {
        #expect(OutboundURL(url) == nil)
    }

    /// Each refusal says what is wrong, for the validator's error message.
    @Test func refusalsSayWhy() {
        func problem(_ url: String) -> String? {
            if case .failure(let problem) = OutboundURL.parse(url) { return problem.description }
            return nil
        }
        #expect(problem("http://user:pw@127.0.0.1:9/hook")?.contains("user information") == true)
        #expect(problem("http://127.0.0.1:+9/hook")?.contains("port") == true)
        #expect(problem("http://[zz]:9/hook")?.contains("IPv6") == true)
        #expect(problem("ws://example.com/")?.contains("http") == true)
        #expect(problem("http://127.0.0.1:9/hook") == nil)
    }

    @Test func addressesAreToldApartFromNames() throws {
        #expect(try #require(OutboundURL("https://10.0.0.1/")).hostIsAddress)
        #expect(try #require(OutboundURL("https://[::1]/")).hostIsAddress)
        #expect(try !#require(OutboundURL("https://s3.amazonaws.com/")).hostIsAddress)
    }
}
