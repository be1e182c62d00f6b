import ImageCodecs

// Temporary stand-in: replaced by the real renderer (pattern, resize, blend, caption).
struct RenderRequest: Sendable, Hashable {
    var seed: UInt32
    var index: Int
    var width: Int
    var height: Int
    var prompt: String
    var negativePrompt: String
    var modelName: String
    var strength: Double
}

enum ImageRenderer {
    static func render(_ request: RenderRequest, input: PixelBuffer?) -> PixelBuffer {
        var buffer = PixelBuffer(width: request.width, height: request.height)
        var state = UInt64(request.seed) &+ 0x9E37_79B9
        for i in 0..<buffer.rgb.count {
            state = state &* 6_364_136_223_846_793_005 &+ 1
            buffer.rgb[i] = UInt8(truncatingIfNeeded: state >> 56)
        }
        return buffer
    }

    static func upscale(_ input: PixelBuffer, factor: Double, caption: String) -> PixelBuffer {
        input
    }
}
