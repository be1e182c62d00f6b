public import ImageCodecs

/// Three planes of 8-bit YUV 4:2:0 (I420): full-size luma, then Cb and Cr at half width and height.
///
/// The conversion from RGB is BT.601 in limited ("studio") range, Y in 16…235 and Cb/Cr in
/// 16…240, in 8-bit fixed-point integer arithmetic: the same pixels give the same bytes on every
/// machine, which floating point and SIMD-dependent library converters do not promise. BT.601 is
/// also what the stream's VUI declares (`H264Encoder`), so players pick the matching matrix.
///
/// Public so a caller can convert a frame on one thread while `H264Encoder` encodes the previous
/// one on another (`H264Encoder.encode(planes:)`).
public struct YUV420Frame: Sendable {
    public let width: Int
    public let height: Int
    private(set) var luma: [UInt8]
    private(set) var blueDifference: [UInt8]
    private(set) var redDifference: [UInt8]

    var chromaWidth: Int { width / 2 }

    /// Planes for even `width` × `height`, all black until `convert` fills them.
    public init(width: Int, height: Int) {
        precondition(width > 0 && height > 0 && width % 2 == 0 && height % 2 == 0, "4:2:0 needs even sizes")
        self.width = width
        self.height = height
        luma = [UInt8](repeating: 16, count: width * height)
        blueDifference = [UInt8](repeating: 128, count: width * height / 4)
        redDifference = [UInt8](repeating: 128, count: width * height / 4)
    }

    /// The planes of `pixels` (even width and height).
    public init(_ pixels: PixelBuffer) {
        self.init(width: pixels.width, height: pixels.height)
        convert(pixels)
    }

    /// Overwrites the planes with `pixels`, which must have this frame's size. Chroma is taken
    /// from the mean of each 2×2 block's RGB (rounded), the usual centred 4:2:0 siting.
    public mutating func convert(_ pixels: PixelBuffer) {
        precondition(pixels.width == width && pixels.height == height, "frame size mismatch")
        let width = self.width
        let height = self.height
        let chromaWidth = self.chromaWidth
        pixels.rgb.withUnsafeBufferPointer { rgbBuffer in
            luma.withUnsafeMutableBufferPointer { yBuffer in
                blueDifference.withUnsafeMutableBufferPointer { uBuffer in
                    redDifference.withUnsafeMutableBufferPointer { vBuffer in
                        // Raw pointers and wrapping arithmetic (no value can overflow: at most
                        // 4 × 255 × 129 per term): at 720p this loop is up to half of the encoding time.
                        let rgb = rgbBuffer.baseAddress!
                        let yPlane = yBuffer.baseAddress!
                        let uPlane = uBuffer.baseAddress!
                        let vPlane = vBuffer.baseAddress!
                        for chromaRow in 0..<(height / 2) {
                            let top = rgb + chromaRow &* 2 &* width &* 3
                            let bottom = top + width &* 3
                            let yTop = yPlane + chromaRow &* 2 &* width
                            let yBottom = yTop + width
                            let u = uPlane + chromaRow &* chromaWidth
                            let v = vPlane + chromaRow &* chromaWidth
                            for pair in 0..<chromaWidth {
                                let p = pair &* 6
                                let r0 = Int32(top[p]), g0 = Int32(top[p &+ 1]), b0 = Int32(top[p &+ 2])
                                let r1 = Int32(top[p &+ 3]), g1 = Int32(top[p &+ 4]), b1 = Int32(top[p &+ 5])
                                let r2 = Int32(bottom[p]), g2 = Int32(bottom[p &+ 1]), b2 = Int32(bottom[p &+ 2])
                                let r3 = Int32(bottom[p &+ 3]), g3 = Int32(bottom[p &+ 4]), b3 = Int32(bottom[p &+ 5])
                                yTop[pair &* 2] = Self.luma(r0, g0, b0)
                                yTop[pair &* 2 &+ 1] = Self.luma(r1, g1, b1)
                                yBottom[pair &* 2] = Self.luma(r2, g2, b2)
                                yBottom[pair &* 2 &+ 1] = Self.luma(r3, g3, b3)
                                let r = r0 &+ r1 &+ r2 &+ r3
                                let g = g0 &+ g1 &+ g2 &+ g3
                                let b = b0 &+ b1 &+ b2 &+ b3
                                // Sums of four pixels: the same coefficients with two more bits of shift.
                                let cb = ((b &* 112 &- r &* 38 &- g &* 74 &+ 512) >> 10) &+ 128
                                let cr = ((r &* 112 &- g &* 94 &- b &* 18 &+ 512) >> 10) &+ 128
                                u[pair] = UInt8(truncatingIfNeeded: cb)
                                v[pair] = UInt8(truncatingIfNeeded: cr)
                            }
                        }
                    }
                }
            }
        }
    }

    /// BT.601 limited-range luma, `(66R + 129G + 25B + 128) >> 8 + 16`: 16 for black, 235 for white.
    @inline(__always)
    private static func luma(_ r: Int32, _ g: Int32, _ b: Int32) -> UInt8 {
        UInt8(truncatingIfNeeded: ((r &* 66 &+ g &* 129 &+ b &* 25 &+ 128) >> 8) &+ 16)
    }

    /// Calls `body` with pointers to the three planes, valid only during the call. The pointers
    /// are mutable because openh264's source picture wants them so; it only reads them.
    func withPlanes<Result>(
        _ body: (
            UnsafeMutablePointer<UInt8>, UnsafeMutablePointer<UInt8>, UnsafeMutablePointer<UInt8>
        ) throws -> Result
    ) rethrows -> Result {
        try luma.withUnsafeBufferPointer { y in
            try blueDifference.withUnsafeBufferPointer { u in
                try redDifference.withUnsafeBufferPointer { v in
                    try body(
                        UnsafeMutablePointer(mutating: y.baseAddress!), UnsafeMutablePointer(mutating: u.baseAddress!),
                        UnsafeMutablePointer(mutating: v.baseAddress!))
                }
            }
        }
    }
}
