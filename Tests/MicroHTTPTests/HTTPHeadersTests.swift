import Testing

@testable import MicroHTTP

@Suite("HTTPHeaders")
struct HTTPHeadersTests {
    @Test func lookupIgnoresASCIICaseOnly() {
        var headers: HTTPHeaders = ["Content-Type": "a", "X-Tag": "1", "x-tag": "2", "É-Name": "e"]
        #expect(headers["content-type"] == "a")
        #expect(headers["CONTENT-TYPE"] == "a")
        #expect(headers["Content-Typ"] == nil)
        #expect(headers.values(for: "X-TAG") == ["1", "2"])
        #expect(headers["É-Name"] == "e")
        #expect(headers["é-name"] == nil)  // field names are ASCII tokens; nothing else is folded
        headers.remove("X-Tag")
        #expect(headers.values(for: "x-tag").isEmpty)
        headers.set("content-TYPE", "b")
        #expect(headers.values(for: "Content-Type") == ["b"])
    }
}
