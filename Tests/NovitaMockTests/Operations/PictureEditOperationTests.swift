import ImageCodecs
import Testing

@testable import NovitaMock

/// remove-text, merge-face and reimagine: edits that keep the input's size.
@Suite struct PictureEditOperationTests {
    static let width = 320
    static let height = 200
    static let photo = OperationTestImages.photo(width: width, height: height)

    static func run(_ operation: ImageOperation, _ images: [String: PixelBuffer], seed: UInt32 = 5) throws
        -> PixelBuffer
    {
        let output = try #require(try operation.run(OperationInput(images: images, seed: seed)).imageValue)
        #expect(output.alpha == nil)
        return output.pixels
    }

    @Test func removeTextClearsTheLetteringAndLeavesTheRestAlone() throws {
        let output = try Self.run(.removeText, ["image_file": Self.photo])
        #expect(output.width == Self.width && output.height == Self.height)
        let (x0, y0, x1, y1) = OperationTestImages.textBox(width: Self.width, height: Self.height, count: 12)
        // No white lettering left where it was: the sky closed over it.
        var white = 0
        for y in y0..<y1 {
            for x in x0..<x1 where OperationTestImages.pixel(output, x, y).allSatisfy({ $0 > 240 }) { white += 1 }
        }
        #expect(white == 0)
        // Everything well away from the lettering, above the caption, is unchanged — the
        // subject's outline and the horizon included.
        let top = OperationCaption.bandTop(width: Self.width, height: Self.height)
        var differing = 0
        for y in (y1 + 12)..<top {
            for x in 0..<Self.width
            where OperationTestImages.pixel(output, x, y) != OperationTestImages.pixel(Self.photo, x, y) {
                differing += 1
            }
        }
        #expect(differing == 0)
    }

    @Test func mergeFacePutsTheFaceInTheMiddleAndKeepsTheCorners() throws {
        let face = PixelBuffer(width: 90, height: 120, fill: (250, 40, 200))
        let output = try Self.run(.mergeFace, ["image_file": Self.photo, "face_image_file": face])
        #expect(output.width == Self.width && output.height == Self.height)
        #expect(OperationTestImages.pixel(output, Self.width / 2, Self.height / 2) == [250, 40, 200])
        for (x, y) in [(2, 2), (Self.width - 3, 2), (Self.width / 2, 4)] {
            #expect(OperationTestImages.pixel(output, x, y) == OperationTestImages.pixel(Self.photo, x, y))
        }
        // Feathered: between the opaque core and the untouched target, blends.
        let side = min(Self.width, Self.height) * 40 / 100
        let rim = Self.height / 2 - side / 2 + 3
        let blended = OperationTestImages.pixel(output, Self.width / 2, rim)
        #expect(blended != [250, 40, 200] && blended != OperationTestImages.pixel(Self.photo, Self.width / 2, rim))
    }

    @Test func reimagineIsASeededVariationOfTheInput() throws {
        let first = try Self.run(.reimagine, ["image_file": Self.photo], seed: 1)
        let second = try Self.run(.reimagine, ["image_file": Self.photo], seed: 2)
        #expect(first.width == Self.width && first.height == Self.height)
        let rows = OperationCaption.bandTop(width: Self.width, height: Self.height)
        let fromInput = RenderingTestSupport.meanAbsoluteDifference(first, Self.photo, rows: rows)
        let betweenSeeds = RenderingTestSupport.meanAbsoluteDifference(first, second, rows: rows)
        #expect(fromInput > 10 && fromInput < 100, "a variation: changed, still related (\(fromInput))")
        #expect(betweenSeeds > 8, "\(betweenSeeds)")
        // Exactly half input, half the seeded pattern, above the caption.
        let pattern = ProceduralPattern(
            RenderRequest(seed: 1, width: Self.width, height: Self.height, prompt: "reimagine")
        ).render(width: Self.width, height: Self.height)
        for i in stride(from: 0, to: rows * Self.width * 3, by: 101) {
            #expect(Int(first.rgb[i]) == (Int(Self.photo.rgb[i]) + Int(pattern.rgb[i]) + 1) / 2)
        }
    }
}
