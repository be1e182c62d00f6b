import ImageCodecs
import Testing

@testable import NovitaMock

/// What every operation promises alike: names, determinism, output sizes, failures that name a field.
@Suite struct ImageOperationTests {
    static let photo = OperationTestImages.photo(width: 150, height: 100)
    static let input = OperationInput(
        images: [
            "image_file": photo, "mask_file": OperationTestImages.headMask(width: 150, height: 100),
            "face_image_file": OperationTestImages.face(width: 60, height: 70),
        ],
        fields: [
            "prompt": "a lighthouse", "negative_prompt": "fog", "width": 256, "height": 192, "center_x": 10,
            "center_y": -5,
        ],
        seed: 31337)

    @Test func namesAreTheEndpointDefinitionsOperationNames() {
        #expect(
            ImageOperation.allCases.map(\.rawValue) == [
                "cleanup", "remove-background", "replace-background", "remove-text", "merge-face", "reimagine",
                "img2prompt", "outpainting",
            ])
        #expect(ImageOperation(rawValue: "remove-background") == .removeBackground)
    }

    @Test(arguments: ImageOperation.allCases)
    func sameInputSameOutput(operation: ImageOperation) throws {
        #expect(try operation.run(Self.input) == operation.run(Self.input))
    }

    @Test(arguments: ImageOperation.allCases)
    func outputShape(operation: ImageOperation) throws {
        let output = try operation.run(Self.input)
        switch operation {
        case .img2prompt:
            #expect(output.textValue?.isEmpty == false)
        case .outpainting:
            let image = try #require(output.imageValue)
            #expect(image.pixels.width == 256 && image.pixels.height == 192 && image.alpha == nil)
        case .removeBackground:
            let image = try #require(output.imageValue)
            #expect(image.pixels.width == 150 && image.pixels.height == 100)
            #expect(image.alpha?.count == 150 * 100)
        default:
            let image = try #require(output.imageValue)
            #expect(image.pixels.width == 150 && image.pixels.height == 100 && image.alpha == nil)
        }
    }

    @Test(arguments: ImageOperation.allCases)
    func aMissingImageFailsNamingTheField(operation: ImageOperation) {
        for field in operation.imageFields {
            var input = Self.input
            input.images[field] = nil
            do {
                _ = try operation.run(input)
                Issue.record("\(operation) ran without \(field)")
            } catch {
                #expect(error == OperationFailure(field: field, message: "is required"))
            }
        }
    }

    @Test(arguments: [ImageOperation.replaceBackground, .reimagine, .outpainting, .mergeFace, .removeText])
    func theCaptionNamesWhatMadeThePicture(operation: ImageOperation) throws {
        let image = try #require(try operation.run(Self.input).imageValue).pixels
        let top = OperationCaption.bandTop(width: image.width, height: image.height)
        // The band is dark: its mean is far below the picture's above it.
        func mean(_ rows: Range<Int>) -> Int {
            let bytes = image.rgb[(rows.lowerBound * image.width * 3)..<(rows.upperBound * image.width * 3)]
            return bytes.reduce(0) { $0 + Int($1) } / bytes.count
        }
        #expect(mean(top..<image.height) < mean(0..<top) - 20)
    }

    @Test func aDerivedSeedIsStableAndFollowsTheInputs() {
        let photo = OperationTestImages.photo(width: 33, height: 17)
        let seed = OperationInput.derivedSeed(images: ["image_file": photo], fields: ["prompt": "a", "width": 5])
        #expect(seed == OperationInput.derivedSeed(images: ["image_file": photo], fields: ["width": 5, "prompt": "a"]))
        var touched = photo
        touched.rgb[touched.rgb.count - 1] ^= 1
        #expect(
            seed != OperationInput.derivedSeed(images: ["image_file": touched], fields: ["prompt": "a", "width": 5]))
        #expect(seed != OperationInput.derivedSeed(images: ["image_file": photo], fields: ["prompt": "b", "width": 5]))
        #expect(seed != OperationInput.derivedSeed(images: ["mask_file": photo], fields: ["prompt": "a", "width": 5]))
    }
}
