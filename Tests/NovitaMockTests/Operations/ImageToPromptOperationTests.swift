import ImageCodecs
import Testing

@testable import NovitaMock

@Suite struct ImageToPromptOperationTests {
    static func prompt(_ image: PixelBuffer) throws -> String {
        try #require(try ImageOperation.img2prompt.run(OperationInput(images: ["image_file": image])).textValue)
    }

    @Test func samePictureSameSentence() throws {
        let photo = OperationTestImages.photo(width: 160, height: 120)
        #expect(try Self.prompt(photo) == Self.prompt(photo))
    }

    @Test func theSentenceDescribesThePicture() throws {
        let sentence = try Self.prompt(OperationTestImages.photo(width: 160, height: 120))
        #expect(sentence.hasPrefix("a "))
        #expect(sentence.contains("landscape picture, 160x120"))
        #expect(sentence.contains("mostly sky blue"), "\(sentence)")
        #expect(sentence.contains("dark green"), "\(sentence)")
        #expect(sentence.contains("darker subject in the middle"), "\(sentence)")
    }

    @Test(arguments: [
        (PixelBuffer(width: 64, height: 64, fill: (210, 40, 40)), "square", "mostly red"),
        (PixelBuffer(width: 40, height: 90, fill: (20, 30, 90)), "portrait", "mostly navy"),
        (PixelBuffer(width: 90, height: 40, fill: (250, 250, 250)), "landscape", "mostly white"),
    ])
    func flatPicturesAreNamedByTheirColour(_ image: PixelBuffer, orientation: String, colour: String) throws {
        let sentence = try Self.prompt(image)
        #expect(sentence.contains(orientation))
        #expect(sentence.contains(colour))
        #expect(sentence.contains("low-contrast"))
    }

    @Test func differentPicturesGetDifferentSentences() throws {
        let pictures = [
            OperationTestImages.photo(width: 160, height: 120),
            OperationTestImages.photo(width: 160, height: 120, text: ""),
            OperationTestImages.face(width: 160, height: 120),
            PixelBuffer(width: 160, height: 120, fill: (240, 140, 40)),
            PixelBuffer(width: 160, height: 120, fill: (12, 12, 14)),
            OperationTestImages.photo(width: 120, height: 160),
        ]
        let sentences = try pictures.map(Self.prompt)
        #expect(Set(sentences.dropFirst(2)).count == 4, "\(sentences)")
        #expect(sentences[0] != sentences[2] && sentences[0] != sentences[5])
        #expect(sentences[4].contains("dark") && sentences[3].contains("orange"), "\(sentences)")
    }
}
