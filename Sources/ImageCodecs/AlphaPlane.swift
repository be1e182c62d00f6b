/// The two things an encoder does with a separate alpha plane: interleave it for libpng and
/// libwebp, or flatten it away for JPEG. Integer arithmetic, so the bytes never vary.
enum AlphaPlane {
    /// RGBA bytes, 4 per pixel, from RGB pixels and one alpha byte per pixel.
    static func interleave(_ image: PixelBuffer, alpha: [UInt8]) -> [UInt8] {
        let count = image.width * image.height
        precondition(alpha.count == count, "alpha plane size mismatch")
        return [UInt8](unsafeUninitializedCapacity: count * 4) { output, initialized in
            image.rgb.withUnsafeBufferPointer { rgb in
                alpha.withUnsafeBufferPointer { alpha in
                    for i in 0..<count {
                        output[i * 4] = rgb[i * 3]
                        output[i * 4 + 1] = rgb[i * 3 + 1]
                        output[i * 4 + 2] = rgb[i * 3 + 2]
                        output[i * 4 + 3] = alpha[i]
                    }
                }
            }
            initialized = count * 4
        }
    }

    /// The image over a white background: `round((c·a + 255·(255 − a)) / 255)` per channel, so a
    /// transparent pixel becomes white and an opaque one keeps its colour exactly.
    static func compositedOverWhite(_ image: PixelBuffer, alpha: [UInt8]) -> PixelBuffer {
        let count = image.width * image.height
        precondition(alpha.count == count, "alpha plane size mismatch")
        let rgb = [UInt8](unsafeUninitializedCapacity: count * 3) { output, initialized in
            image.rgb.withUnsafeBufferPointer { source in
                alpha.withUnsafeBufferPointer { alpha in
                    for i in 0..<count {
                        let a = Int32(alpha[i])
                        let background = 255 &* (255 &- a) &+ 127
                        for c in 0..<3 {
                            output[i * 3 + c] = UInt8(
                                truncatingIfNeeded: (Int32(source[i * 3 + c]) &* a &+ background) / 255)
                        }
                    }
                }
            }
            initialized = count * 3
        }
        return PixelBuffer(width: image.width, height: image.height, rgb: rgb)
    }
}
