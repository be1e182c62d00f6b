import Testing

@testable import NovitaMock

/// `JSONWriter.writeString` copies unescaped runs in bulk; every escape must still land where
/// the byte was, at the start, middle and end of a string and between runs.
@Suite("JSON string writing")
struct JSONWriterStringTests {
    static func written(_ text: String) -> String {
        var out: [UInt8] = []
        JSONWriter.writeString(text, into: &out)
        return String(decoding: out, as: UTF8.self)
    }

    @Test func plainTextIsCopiedAsIs() {
        #expect(Self.written("") == #""""#)
        #expect(Self.written("abc+/=") == #""abc+/=""#)
        #expect(Self.written("héllo ✓") == "\"héllo ✓\"")
    }

    @Test func escapesLandWhereTheBytesWere() {
        #expect(Self.written("\"start") == #""\"start""#)
        #expect(Self.written("end\\") == #""end\\""#)
        #expect(Self.written("a\nb\rc\td") == #""a\nb\rc\td""#)
        #expect(Self.written("\u{01}\u{1F}x\"\"") == #""\u0001\u001fx\"\"""#)
    }

    @Test func aLongStringRoundTripsThroughTheParser() throws {
        let text = String(repeating: "QUJD", count: 50_000) + "\"\n" + String(repeating: "x", count: 1000)
        var out: [UInt8] = []
        JSONWriter.writeString(text, into: &out)
        #expect(try JSONParser.parse(out) == .string(text))
    }
}
