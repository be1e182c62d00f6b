import MicroHTTP
import Testing

@testable import NovitaMock

@Suite("Authenticator reads the key")
struct AuthenticatorTests {
    @Test(arguments: [
        ("Bearer abc", "abc"),
        ("bearer  abc \t", "abc"),
        ("BEARER abc", "abc"),
        ("  abc  ", "abc"),  // the JS SDK sends the bare key
        ("Bearerabc", "Bearerabc"),  // not the scheme: the whole value is the key
        ("Bearer\tabc", "Bearer\tabc"),  // the scheme is followed by a space, as before
        ("Bearer ключ-🔑", "ключ-🔑"),
        ("Bearer a b", "a b"),
    ])
    func keyFromHeader(header: String, key: String) {
        let request = HTTPRequest(method: "GET", path: "/", headers: ["authorization": header])
        #expect(Authenticator.key(from: request) == key)
    }

    @Test(arguments: ["", "   ", "Bearer", "bearer   ", "\tBearer\t"])
    func noKey(header: String) {
        let request = HTTPRequest(method: "GET", path: "/", headers: ["Authorization": header])
        #expect(Authenticator.key(from: request) == nil)
    }

    @Test func missingHeaderIsNoKey() {
        #expect(Authenticator.key(from: HTTPRequest(method: "GET", path: "/")) == nil)
    }
}
