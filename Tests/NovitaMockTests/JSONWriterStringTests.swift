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

    /// The writer scans eight bytes at a time: every byte value that must be escaped, at every
    /// place in and across those words, beside multi-byte characters (bytes ≥ 0x80, which the
    /// word test must not confuse with the ones it looks for).
    @Test func everyEscapeIsFoundAtEveryPlaceOfAWord() {
        let specials: [UInt8] = Array(0..<0x20) + [0x22, 0x5C]
        for filler in ["a", "é", "✓"] {
            let base = Array(String(repeating: filler, count: 24).utf8)
            for special in specials {
                for position in stride(from: 0, to: base.count, by: filler.utf8.count) {
                    var bytes = base
                    bytes.insert(special, at: position)
                    let text = String(decoding: bytes, as: UTF8.self)
                    #expect(Self.written(text) == Self.reference(text), "byte \(special) at \(position)")
                }
            }
        }
        let plain = String(repeating: "0123456789+/=~\u{7F}", count: 7)
        #expect(Self.written(plain) == Self.reference(plain))
    }

    /// The escapes one byte at a time, as the writer did before it scanned words.
    static func reference(_ text: String) -> String {
        var out = "\""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            case _ where scalar.value < 0x20:
                let hex = String(scalar.value, radix: 16)
                out += "\\u00" + (hex.count == 1 ? "0" + hex : hex)
            default: out.unicodeScalars.append(scalar)
            }
        }
        return out + "\""
    }

    @Test func aLongStringRoundTripsThroughTheParser() throws {
        let text = String(repeating: "QUJD", count: 50_000) + "\"\n" + String(repeating: "x", count: 1000)
        var out: [UInt8] = []
        JSONWriter.writeString(text, into: &out)
        #expect(try JSONParser.parse(out) == .string(text))
    }
}
