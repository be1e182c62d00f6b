import ImageCodecs

/// Three planes of 8-bit YUV 4:2:0 (I420): full-size luma, then Cb and Cr at half width and height.
///
/// The conversion from RGB is BT.601 in limited ("studio") range, Y in 16…235 and Cb/Cr in
/// 16…240, in 8-bit fixed-point integer arithmetic: the same pixels give the same bytes on every
/// machine, which floating point and SIMD-dependent library converters do not promise. BT.601 is
/// also what the stream's VUI declares (`H264Encoder`), so players pick the matching matrix.
struct YUV420Frame {
    let width: Int
    let height: Int
    private(set) var luma: [UInt8]
    private(set) var blueDifference: [UInt8]
    private(set) var redDifference: [UInt8]

    var chromaWidth: Int { width / 2 }

    /// Planes for even `width` × `height`, all black until `convert` fills them.
    init(width: Int, height: Int) {
        precondition(width > 0 && height > 0 && width % 2 == 0 && height % 2 == 0, "4:2:0 needs even sizes")
        self.width = width
        self.height = height
        luma = [UInt8](repeating: 16, count: width * height)
        blueDifference = [UInt8](repeating: 128, count: width * height / 4)
        redDifference = [UInt8](repeating: 128, count: width * height / 4)
    }

    /// Overwrites the planes with `pixels`, which must have this frame's size. Chroma is taken
    /// from the mean of each 2×2 block's RGB (rounded), the usual centred 4:2:0 siting.
    mutating func convert(_ pixels: PixelBuffer) {
        precondition(pixels.width == width && pixels.height == height, "frame size mismatch")
        let width = self.width
        let height = self.height
        let chromaWidth = self.chromaWidth
        pixels.rgb.withUnsafeBufferPointer { rgb in
            luma.withUnsafeMutableBufferPointer { yPlane in
                blueDifference.withUnsafeMutableBufferPointer { uPlane in
                    redDifference.withUnsafeMutableBufferPointer { vPlane in
                        for row in stride(from: 0, to: height, by: 2) {
                            let top = row * width
                            let bottom = top + width
                            let chromaRow = (row / 2) * chromaWidth
                            for column in stride(from: 0, to: width, by: 2) {
                                let p0 = (top + column) * 3
                                let p1 = p0 + 3
                                let p2 = (bottom + column) * 3
                                let p3 = p2 + 3
                                let r0 = Int(rgb[p0]), g0 = Int(rgb[p0 + 1]), b0 = Int(rgb[p0 + 2])
                                let r1 = Int(rgb[p1]), g1 = Int(rgb[p1 + 1]), b1 = Int(rgb[p1 + 2])
                                let r2 = Int(rgb[p2]), g2 = Int(rgb[p2 + 1]), b2 = Int(rgb[p2 + 2])
                                let r3 = Int(rgb[p3]), g3 = Int(rgb[p3 + 1]), b3 = Int(rgb[p3 + 2])
                                yPlane[top + column] = Self.luma(r0, g0, b0)
                                yPlane[top + column + 1] = Self.luma(r1, g1, b1)
                                yPlane[bottom + column] = Self.luma(r2, g2, b2)
                                yPlane[bottom + column + 1] = Self.luma(r3, g3, b3)
                                let r = r0 + r1 + r2 + r3
                                let g = g0 + g1 + g2 + g3
                                let b = b0 + b1 + b2 + b3
                                // Sums of four pixels: the same coefficients with two more bits of shift.
                                let cb = ((-38 * r - 74 * g + 112 * b + 512) >> 10) + 128
                                let cr = ((112 * r - 94 * g - 18 * b + 512) >> 10) + 128
                                uPlane[chromaRow + column / 2] = UInt8(truncatingIfNeeded: cb)
                                vPlane[chromaRow + column / 2] = UInt8(truncatingIfNeeded: cr)
                            }
                        }
                    }
                }
            }
        }
    }

    /// BT.601 limited-range luma, `(66R + 129G + 25B + 128) >> 8 + 16`: 16 for black, 235 for white.
    @inline(__always)
    private static func luma(_ r: Int, _ g: Int, _ b: Int) -> UInt8 {
        UInt8(truncatingIfNeeded: ((66 * r + 129 * g + 25 * b + 128) >> 8) + 16)
    }

    /// Calls `body` with pointers to the three planes, valid only during the call.
    mutating func withPlanes<Result>(
        _ body: (
            UnsafeMutablePointer<UInt8>, UnsafeMutablePointer<UInt8>, UnsafeMutablePointer<UInt8>
        ) throws -> Result
    ) rethrows -> Result {
        try luma.withUnsafeMutableBufferPointer { y in
            try blueDifference.withUnsafeMutableBufferPointer { u in
                try redDifference.withUnsafeMutableBufferPointer { v in
                    try body(y.baseAddress!, u.baseAddress!, v.baseAddress!)
                }
            }
        }
    }
}
