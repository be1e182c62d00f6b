import Testing

@testable import NovitaMock

@Suite("Strict JSON parsing")
struct JSONParserTests {
    func parse(_ text: String) throws(JSONParseError) -> JSONValue {
        try JSONParser.parse(Array(text.utf8))
    }

    @Test func keepsKeyOrderAndIntegers() throws {
        let value = try parse(#"{"b": 512, "a": 512.0, "c": 512.5, "d": -1, "e": 4294967295}"#)
        let object = try #require(value.objectValue)
        #expect(object.keys == ["b", "a", "c", "d", "e"])
        #expect(object["b"]?.integerValue == 512)
        #expect(object["a"]?.integerValue == 512)
        #expect(object["c"]?.integerValue == nil)
        #expect(object["c"]?.doubleValue == 512.5)
        #expect(object["e"]?.integerValue == 4_294_967_295)
    }

    @Test func decodesEscapesAndUnicode() throws {
        let value = try parse(#"["a\"b\\c\/\n\t", "\u00e9\ud83d\ude00", "猫"]"#)
        #expect(value == ["a\"b\\c/\n\t", "é😀", "猫"])
    }

    @Test(arguments: [
        ("{\"a\": 1,}", "expected a string key"),
        ("{\"a\": 1} x", "unexpected data after the JSON value"),
        ("{\"a\": 1, \"a\": 2}", "duplicate key \"a\""),
        ("[01]", "leading zeros"),
        ("123456789012345678901234567890", "out of the 64-bit range"),
        ("1e400", "out of the double-precision range"),
        ("\"\\ud800\"", "unpaired surrogate"),
        ("\"tab\there\"", "unescaped control character"),
        ("", "empty body"),
        ("{\"a\" 1}", "expected ':'"),
        ("tru", "invalid literal"),
        ("\"abc", "unterminated string"),
    ])
    func refusesMalformed(text: String, reason: String) {
        #expect(throws: JSONParseError.self) { try parse(text) }
        do {
            _ = try parse(text)
        } catch {
            #expect(error.reason.contains(reason), "\(error.reason)")
        }
    }

    @Test func reportsByteOffsetOfDuplicateKey() {
        do {
            _ = try parse(#"{"a": 1, "a": 2}"#)
            Issue.record("expected a failure")
        } catch {
            #expect(error.offset == 9)
        }
    }

    @Test func refusesInvalidUTF8() {
        let bytes: [UInt8] = [0x22, 0xC3, 0x28, 0x22]
        #expect(throws: JSONParseError.self) { try JSONParser.parse(bytes) }
    }

    @Test func capsNestingWithoutOverflowingTheStack() {
        let deep = String(repeating: "[", count: 100_000) + String(repeating: "]", count: 100_000)
        do {
            _ = try parse(deep)
            Issue.record("expected a failure")
        } catch {
            #expect(error.reason.contains("nesting deeper than 64"))
        }
        let fine = String(repeating: "[", count: 64) + String(repeating: "]", count: 64)
        #expect((try? parse(fine)) != nil)
    }

    @Test func writerRoundTrips() throws {
        let value: JSONValue = ["z": [1, 2.5, "x\u{1}\"\n"], "a": nil, "b": true]
        let text = JSONWriter.string(value)
        #expect(text == #"{"z":[1,2.5,"x\u0001\"\n"],"a":null,"b":true}"#)
        #expect(try parse(text) == value)
    }
}
