import ImageCodecs
import Testing

@testable import NovitaMock

@Suite struct BackgroundOperationTests {
    static let width = 240
    static let height = 160
    static let photo = OperationTestImages.photo(width: width, height: height)

    static func cutOut(_ image: PixelBuffer) throws -> OperationImage {
        try #require(ImageOperation.removeBackground.run(OperationInput(images: ["image_file": image])).imageValue)
    }

    @Test func theBorderIsTransparentAndTheSubjectOpaque() throws {
        let output = try Self.cutOut(Self.photo)
        let alpha = try #require(output.alpha)
        #expect(output.pixels == Self.photo, "the colours stay; only alpha is added")
        for x in 0..<Self.width {
            #expect(alpha[x] == 0)
            #expect(alpha[(Self.height - 1) * Self.width + x] == 0)
        }
        for y in 0..<Self.height {
            #expect(alpha[y * Self.width] == 0)
            #expect(alpha[y * Self.width + Self.width - 1] == 0)
        }
        let (cx, cy) = OperationTestImages.subjectCentre(width: Self.width, height: Self.height)
        #expect(alpha[cy * Self.width + cx] == 255)
        // The head (dark on sky) and the body below the horizon (dark on dark green) both belong.
        #expect(alpha[(Self.height * 30 / 100) * Self.width + cx] == 255)
        #expect(alpha[(Self.height * 84 / 100) * Self.width + cx] == 255)
        // The sky beside the subject and the lettering are background.
        #expect(alpha[(Self.height / 2) * Self.width + Self.width / 8] == 0)
    }

    @Test func aSubjectCutOffByTheBottomEdgeStaysWhole() throws {
        // A portrait: the figure's torso (a red block) runs out of the bottom of the picture.
        var photo = OperationTestImages.photo(width: 240, height: 320, text: "")
        for y in 168..<320 {
            for x in 80..<160 {
                for (c, value) in [150, 60, 50].enumerated() { photo.rgb[(y * 240 + x) * 3 + c] = UInt8(value) }
            }
        }
        let alpha = try #require(try Self.cutOut(photo).alpha)
        #expect(alpha[319 * 240 + 120] == 255, "the torso reaches the border opaque")
        #expect(alpha[319 * 240 + 10] == 0 && alpha[319 * 240 + 230] == 0, "the ground beside it is background")
        #expect(alpha[20 * 240 + 120] == 0, "the sky above the figure is background")
    }

    @Test func largePicturesAreSearchedShrunkAndCutAtFullSize() throws {
        let photo = OperationTestImages.photo(width: 800, height: 800, text: "")
        let alpha = try #require(try Self.cutOut(photo).alpha)
        #expect(alpha.count == 800 * 800)
        #expect(alpha[0] == 0 && alpha[799] == 0 && alpha[800 * 800 - 1] == 0 && alpha[400 * 800 + 40] == 0)
        #expect(alpha[440 * 800 + 400] == 255 && alpha[240 * 800 + 400] == 255)
        let soft = alpha.filter { $0 > 0 && $0 < 255 }.count
        #expect(soft > 0 && soft < 800 * 12, "a soft rim, not a blur: \(soft)")
    }

    @Test func theEdgeIsSoftButNarrow() throws {
        let alpha = try #require(try Self.cutOut(Self.photo).alpha)
        // Along the row through the body's widest part (its edge vertical there), from the left
        // border into the body: 0 … a ramp of a few pixels … 255.
        let y = Self.height * 62 / 100
        let row = Array(alpha[(y * Self.width)..<(y * Self.width + Self.width / 2)])
        let ramp = row.filter { $0 > 0 && $0 < 255 }.count
        #expect((1...4).contains(ramp), "\(row)")
    }

    @Test func aPictureWithoutContrastGetsACentredEllipse() throws {
        let flat = PixelBuffer(width: 120, height: 80, fill: (90, 160, 90))
        let alpha = try #require(try Self.cutOut(flat).alpha)
        #expect(alpha[40 * 120 + 60] == 255)
        #expect(alpha[0] == 0 && alpha[119] == 0 && alpha[79 * 120] == 0 && alpha[80 * 120 - 1] == 0)
        #expect(alpha[40 * 120 + 1] == 0, "the ellipse leaves a margin at the sides")
    }

    @Test func replacedBackgroundKeepsTheSubjectAndPaintsTheRest() throws {
        func replace(_ prompt: String) throws -> PixelBuffer {
            let input = OperationInput(images: ["image_file": Self.photo], fields: ["prompt": .string(prompt)], seed: 9)
            let output = try #require(try ImageOperation.replaceBackground.run(input).imageValue)
            #expect(output.alpha == nil)
            return output.pixels
        }
        let warehouse = try replace("in a warehouse")
        #expect(warehouse.width == Self.width && warehouse.height == Self.height)
        let (cx, cy) = OperationTestImages.subjectCentre(width: Self.width, height: Self.height)
        #expect(OperationTestImages.pixel(warehouse, cx, cy) == OperationTestImages.pixel(Self.photo, cx, cy))
        // Above the caption band, the background is the pattern, not the sky.
        let top = OperationCaption.bandTop(width: Self.width, height: Self.height)
        var changed = 0
        for y in 0..<top where y % 4 == 0 {
            for x in stride(from: 0, to: Self.width / 5, by: 4)
            where OperationTestImages.pixel(warehouse, x, y) != OperationTestImages.pixel(Self.photo, x, y) {
                changed += 1
            }
        }
        #expect(changed > (top / 4) * (Self.width / 20) * 9 / 10)
        #expect(try replace("on a beach") != warehouse, "the prompt draws the background")
    }
}
