import ImageCodecs
import Testing

@testable import NovitaMock

@Suite struct CleanupOperationTests {
    static let photo = OperationTestImages.photo(width: 192, height: 128)
    static let mask = OperationTestImages.headMask(width: 192, height: 128)

    static func run(_ image: PixelBuffer, mask: PixelBuffer) throws -> PixelBuffer {
        let output = try ImageOperation.cleanup.run(OperationInput(images: ["image_file": image, "mask_file": mask]))
        let picture = try #require(output.imageValue)
        #expect(picture.alpha == nil)
        return picture.pixels
    }

    @Test func everyPixelOutsideTheMaskIsTheInputsExactly() throws {
        let output = try Self.run(Self.photo, mask: Self.mask)
        #expect(output.width == 192 && output.height == 128)
        var outside = 0
        for i in 0..<(192 * 128) where Self.mask.rgb[i * 3] < 128 {
            #expect(output.rgb[(i * 3)..<(i * 3 + 3)] == Self.photo.rgb[(i * 3)..<(i * 3 + 3)])
            outside += 1
        }
        #expect(outside > 192 * 128 / 2)
    }

    @Test func theMaskedHeadIsReplacedBySky() throws {
        let output = try Self.run(Self.photo, mask: Self.mask)
        // The top of the head (dark brown in the input) becomes sky-like: blue above red.
        let (x, y) = (96, 128 * 30 / 100 - 8)
        let before = OperationTestImages.pixel(Self.photo, x, y)
        let after = OperationTestImages.pixel(output, x, y)
        #expect(before[2] < 60)
        #expect(after[2] > 150 && after[2] > after[0], "\(after)")
    }

    @Test func theMaskIsReadByLumaAtHalfWay() throws {
        let image = PixelBuffer(width: 4, height: 1, fill: (200, 10, 10))
        var mask = PixelBuffer(width: 4, height: 1, fill: (127, 127, 127))
        for c in 0..<3 { mask.rgb[3 + c] = 128 }
        var marked = image
        marked.rgb[3] = 0  // the pixel under the 128 mask: must be refilled from its neighbours
        let output = try Self.run(marked, mask: mask)
        #expect(output == image)
    }

    @Test func aMaskOfAnotherSizeFailsNamingTheMask() {
        let input = OperationInput(images: ["image_file": Self.photo, "mask_file": PixelBuffer(width: 10, height: 10)])
        do {
            _ = try ImageOperation.cleanup.run(input)
            Issue.record("expected a failure")
        } catch {
            #expect(error.field == "mask_file")
            #expect(error.message.contains("192x128"))
        }
    }

    @Test func aMissingMaskFailsNamingIt() {
        do {
            _ = try ImageOperation.cleanup.run(OperationInput(images: ["image_file": Self.photo]))
            Issue.record("expected a failure")
        } catch {
            #expect(error == OperationFailure(field: "mask_file", message: "is required"))
        }
    }
}
