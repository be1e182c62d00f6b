import ImageCodecs
import Testing

@testable import NovitaMock

@Suite struct OutpaintingOperationTests {
    static let photo = OperationTestImages.photo(width: 120, height: 80)

    static func run(width: Int, height: Int, centerX: Int = 0, centerY: Int = 0) throws -> PixelBuffer {
        let fields: JSONObject = [
            "prompt": "a harbour", "width": .number(JSONNumber(width)), "height": .number(JSONNumber(height)),
            "center_x": .number(JSONNumber(centerX)), "center_y": .number(JSONNumber(centerY)),
        ]
        let input = OperationInput(images: ["image_file": photo], fields: fields, seed: 77)
        let output = try #require(try ImageOperation.outpainting.run(input).imageValue)
        #expect(output.alpha == nil)
        return output.pixels
    }

    /// Every input pixel that lands on the canvas, compared with the canvas at its place.
    static func expectInputPlaced(_ canvas: PixelBuffer, left: Int, top: Int) {
        var compared = 0
        for y in 0..<photo.height where (0..<canvas.height).contains(top + y) {
            for x in 0..<photo.width where (0..<canvas.width).contains(left + x) {
                if OperationTestImages.pixel(canvas, left + x, top + y) != OperationTestImages.pixel(photo, x, y) {
                    Issue.record("input pixel (\(x), \(y)) differs at (\(left + x), \(top + y))")
                    return
                }
                compared += 1
            }
        }
        #expect(compared > 0)
    }

    @Test(arguments: [
        (200, 160, 0, 0, 40, 40),  // centred
        (200, 160, 30, -20, 70, 20),  // right and up
        (201, 161, -50, 25, -10, 65),  // odd canvas; partly off the left edge
        (300, 100, 0, 0, 90, 10),
    ])
    func theInputLandsWithItsCentreAtTheCanvasCentrePlusTheOffset(
        _ c: (width: Int, height: Int, centerX: Int, centerY: Int, left: Int, top: Int)
    ) throws {
        let canvas = try Self.run(width: c.width, height: c.height, centerX: c.centerX, centerY: c.centerY)
        #expect(canvas.width == c.width && canvas.height == c.height)
        #expect(
            OutpaintingOperation.placement(
                canvasWidth: c.width, canvasHeight: c.height, input: Self.photo, centerX: c.centerX,
                centerY: c.centerY) == (c.left, c.top))
        Self.expectInputPlaced(canvas, left: c.left, top: c.top)
    }

    @Test func theRestContinuesTheEdgesThenTurnsIntoThePattern() throws {
        let canvas = try Self.run(width: 360, height: 240)
        // Just right of the input's right edge (sky, mid-height): close to the edge's colour.
        let edge = OperationTestImages.pixel(Self.photo, 119, 20).map(Int.init)
        let beside = OperationTestImages.pixel(canvas, 120 + 120 + 1, 80 + 20).map(Int.init)
        #expect(zip(edge, beside).allSatisfy { abs($0 - $1) <= 24 }, "\(edge) vs \(beside)")
        // Far away (top-left corner), mostly the pattern.
        let pattern = ProceduralPattern(RenderRequest(seed: 77, width: 360, height: 240, prompt: "a harbour"))
            .render(width: 360, height: 240)
        #expect(
            OperationTestImages.pixel(canvas, 0, 0) != OperationTestImages.pixel(Self.photo, 0, 0)
                && OperationTestImages.pixel(pattern, 0, 0) != OperationTestImages.pixel(canvas, 0, 0))
    }

    @Test func theInputCanLandEntirelyOffTheCanvas() throws {
        let canvas = try Self.run(width: 200, height: 160, centerX: 160, centerY: 0)
        #expect(canvas.width == 200 && canvas.height == 160)
    }

    @Test func aCanvasOutOfRangeFailsNamingTheField() {
        let input = OperationInput(images: ["image_file": Self.photo], fields: ["width": 0, "height": 100])
        do {
            _ = try ImageOperation.outpainting.run(input)
            Issue.record("expected a failure")
        } catch {
            #expect(error.field == "width")
        }
    }
}
