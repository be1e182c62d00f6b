import Foundation
import ImageCodecs
import Testing

@testable import NovitaMock

/// Every editor answers with `Base64.encode` of its image: it must agree with Foundation's encoder
/// on every tail length (0, 1 or 2 leftover bytes) and round-trip through the decoder.
@Suite("Base64 encoding")
struct Base64EncodeTests {
    @Test(arguments: [0, 1, 2, 3, 4, 5, 6, 7, 64, 65, 66, 3000, 100_001])
    func agreesWithFoundation(_ length: Int) throws {
        var generator = SystemRandomNumberGenerator()
        let bytes = (0..<length).map { _ in UInt8.random(in: 0...255, using: &generator) }
        let encoded = Base64.encode(bytes)
        #expect(encoded == Data(bytes).base64EncodedString())
        #expect(try Base64.decode(Substring(encoded).utf8, maxBytes: length + 1) == bytes)
    }

    /// `append` writes after what the buffer already holds (from 1 MB up, in two halves on two
    /// threads), and an editor's answer, written straight into its bytes, is exactly what
    /// `JSONWriter` makes of the same object.
    @Test(arguments: [0, 1, 2, 3, 4, 5, 3000, 100_001, 1_500_002])
    func appendAndTheEditorAnswerAgreeWithEncodeAndJSONWriter(_ length: Int) {
        let bytes = (0..<length).map { UInt8(truncatingIfNeeded: $0 &* 7919 &+ 13) }
        var out: [UInt8] = Array("prefix".utf8)
        Base64.append(bytes, to: &out)
        #expect(out == Array("prefix".utf8) + Array(Base64.encode(bytes).utf8))
        #expect(out.dropFirst(6).elementsEqual(Data(bytes).base64EncodedData()))
        for format in ImageFormat.allCases where length < 1_000_000 {  // the JSON's scan is slow unoptimised
            let expected = JSONWriter.serialize([
                "image_file": .string(Base64.encode(bytes)), "image_type": .string(format.rawValue),
            ])
            #expect(EditorController.imageAnswer(bytes, format: format) == expected)
        }
    }

    /// The decoder reads runs of four letters at a time and everything else one character at a
    /// time: line breaks and spaces anywhere, missing padding, and a bad character or misplaced
    /// padding at any place of a group, reported at its offset.
    @Test(arguments: [1, 2, 3, 57, 58, 59, 3000])
    func decodesWhatClientsSendAndPointsAtWhatIsWrong(_ length: Int) throws {
        let bytes = (0..<length).map { UInt8(truncatingIfNeeded: $0 &* 40_503 &+ 7) }
        let encoded = Array(Base64.encode(bytes).utf8)
        func decode(_ text: [UInt8], maxBytes: Int = .max) throws(Base64.DecodeError) -> [UInt8]? {
            try Base64.decode(Substring(String(decoding: text, as: UTF8.self)).utf8, maxBytes: maxBytes)
        }
        // MIME-style lines, a stray space in every place of a group, no padding.
        var lines: [UInt8] = []
        for (i, c) in encoded.enumerated() {
            if i > 0 && i % 76 == 0 { lines += [0x0D, 0x0A] }
            lines.append(c)
        }
        #expect(try decode(lines) == bytes)
        for place in 0..<min(8, encoded.count) {
            var spaced = encoded
            spaced.insert(0x20, at: place)
            #expect(try decode(spaced) == bytes, "space at \(place)")
        }
        #expect(try decode(Array(encoded.prefix { $0 != UInt8(ascii: "=") })) == bytes)
        // A bad character at each place of the first groups and near the end.
        for place in Array(0..<min(8, encoded.count)) + [max(0, encoded.count - 5)] {
            var broken = encoded
            broken[place] = UInt8(ascii: "*")
            #expect(throws: Base64.DecodeError.invalidCharacter(offset: place)) { try decode(broken) }
        }
        if length >= 4 {
            var padded = encoded
            padded[1] = UInt8(ascii: "=")
            #expect(throws: Base64.DecodeError.misplacedPadding(offset: 2)) { try decode(padded) }
        }
        // The output limit: exactly enough decodes, one byte less refuses.
        #expect(try decode(encoded, maxBytes: length) == bytes)
        #expect(try decode(encoded, maxBytes: length - 1) == nil)
    }

    /// `Int.max` means "no limit" to a caller; the capacity arithmetic must not overflow on it.
    @Test func noLimitDecodes() throws {
        let bytes: [UInt8] = Array("novita-mock".utf8)
        #expect(try Base64.decode(Substring(Base64.encode(bytes)).utf8, maxBytes: Int.max) == bytes)
    }
}
