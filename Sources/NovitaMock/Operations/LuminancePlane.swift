import ImageCodecs

/// Per-pixel luma (BT.601 weights in 1/256: 77 R + 150 G + 29 B), the one brightness measure the
/// operations share: masks are read by it, text and subjects are found in it.
enum LuminancePlane {
    static func of(_ image: PixelBuffer) -> [UInt8] {
        let count = image.width * image.height
        return [UInt8](unsafeUninitializedCapacity: count) { output, initialized in
            image.rgb.withUnsafeBufferPointer { rgb in
                for i in 0..<count {
                    let sum = 77 &* Int32(rgb[i * 3]) &+ 150 &* Int32(rgb[i * 3 + 1]) &+ 29 &* Int32(rgb[i * 3 + 2])
                    output[i] = UInt8(truncatingIfNeeded: (sum &+ 128) >> 8)
                }
            }
            initialized = count
        }
    }
}
