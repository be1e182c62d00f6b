import OutboundHTTP
import Testing

@testable import NovitaMock

/// `extra.webhook.url` is checked by the outbound client's own parser: a URL accepted at submit
/// time is one a delivery can be sent to, and one refused is one it could not.
@Suite("Webhook URL validation")
struct WebhookURLValidationTests {
    static func submit(webhook url: String) -> ServiceHarness.Reply {
        ServiceHarness().submit(Fixtures.body(extra: ["webhook": ["url": .string(url)]]))
    }

    @Test(arguments: [
        ("http://user:pw@127.0.0.1:9/hook", "user information"),
        ("http://127.0.0.1:+9/hook", "port"),
        ("http://[zz]:9/hook", "IPv6"),
        ("http://127.0.0.1:0/hook", "port"),
        ("ftp://127.0.0.1/hook", "http"),
    ])
    func refusesWhatTheClientCannotDeliverTo(url: String, reason: String) {
        #expect(OutboundURL(url) == nil)
        let reply = Self.submit(webhook: url)
        #expect(reply.status == 400)
        #expect(reply.message?.contains("webhook.url") == true, "\(reply.message ?? "")")
        #expect(reply.message?.contains(reason) == true, "\(reply.message ?? "")")
    }

    @Test(arguments: [
        "http://127.0.0.1:9/hook", "HTTPS://hooks.example.com?q=1#frag", "http://[::1]:8080/a/b", "http://localhost",
    ])
    func acceptsWhatTheClientCanDeliverTo(url: String) {
        #expect(OutboundURL(url) != nil)
        #expect(Self.submit(webhook: url).status == 200)
    }
}
