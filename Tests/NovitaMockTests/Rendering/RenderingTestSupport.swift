import ImageCodecs

@testable import NovitaMock

/// Shared helpers for the rendering tests.
enum RenderingTestSupport {
    /// A synthetic input: colour gradients, a light disc and a dark rectangle.
    static func input(width: Int, height: Int) -> PixelBuffer {
        var image = PixelBuffer(width: width, height: height)
        for y in 0..<height {
            for x in 0..<width {
                let offset = (y * width + x) * 3
                let dx = x - width / 3
                let dy = y - height / 2
                var pixel = (x * 255 / width, y * 255 / height, 255 - x * 255 / width)
                if dx * dx + dy * dy < (height / 4) * (height / 4) { pixel = (250, 250, 240) }
                if x > width * 6 / 10, x < width * 85 / 100, y > height / 4, y < height * 3 / 5 { pixel = (20, 20, 20) }
                image.rgb[offset] = UInt8(pixel.0)
                image.rgb[offset + 1] = UInt8(pixel.1)
                image.rgb[offset + 2] = UInt8(pixel.2)
            }
        }
        return image
    }

    static func request(
        seed: UInt32 = 1234, width: Int = 256, height: Int = 256, prompt: String = "a lighthouse at dusk",
        strength: Double = 1
    ) -> RenderRequest {
        RenderRequest(
            seed: seed, index: 0, width: width, height: height, prompt: prompt, negativePrompt: "blurry",
            modelName: "sd_xl_base_1.0.safetensors", strength: strength)
    }

    /// Mean absolute difference per byte over the rows above `rows`.
    static func meanAbsoluteDifference(_ a: PixelBuffer, _ b: PixelBuffer, rows: Int) -> Double {
        let count = rows * a.width * 3
        var total = 0
        for i in 0..<count { total += abs(Int(a.rgb[i]) - Int(b.rgb[i])) }
        return Double(total) / Double(count)
    }

    /// The first row of the caption band.
    static func bandTop(_ image: PixelBuffer) -> Int {
        CaptionBand.layout(width: image.width, height: image.height).bandTop
    }
}
