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

    /// `append` writes after what the buffer already holds, and an editor's answer, written
    /// straight into its bytes, is exactly what `JSONWriter` makes of the same object.
    @Test(arguments: [0, 1, 2, 3, 4, 5, 3000, 100_001])
    func appendAndTheEditorAnswerAgreeWithEncodeAndJSONWriter(_ length: Int) {
        let bytes = (0..<length).map { UInt8(truncatingIfNeeded: $0 &* 7919 &+ 13) }
        var out: [UInt8] = Array("prefix".utf8)
        Base64.append(bytes, to: &out)
        #expect(out == Array("prefix".utf8) + Array(Base64.encode(bytes).utf8))
        for format in ImageFormat.allCases {
            let expected = JSONWriter.serialize([
                "image_file": .string(Base64.encode(bytes)), "image_type": .string(format.rawValue),
            ])
            #expect(EditorController.imageAnswer(bytes, format: format) == expected)
        }
    }

    /// `Int.max` means "no limit" to a caller; the capacity arithmetic must not overflow on it.
    @Test func noLimitDecodes() throws {
        let bytes: [UInt8] = Array("novita-mock".utf8)
        #expect(try Base64.decode(Substring(Base64.encode(bytes)).utf8, maxBytes: Int.max) == bytes)
    }
}
