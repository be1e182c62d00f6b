public import ImageCodecs

/// Encodes RGB frames to an animated GIF89a that loops forever, frame by frame.
///
/// Colours: one fixed global palette of 6 × 7 × 6 levels of red, green and blue (252 colours; the
/// eye tells greens apart best), reached through a 4×4 ordered (Bayer) dither. A fixed palette and
/// an ordered dither keep the output a pure function of the pixels — no per-clip quantiser whose
/// choices shift when one frame changes — and keep mean colours of regions close to the input.
///
/// Timing: GIF delays are in hundredths of a second, so frame `i` lasts
/// `round((i + 1) × 100 / fps) − round(i × 100 / fps)` centiseconds: the delays add up to the exact
/// clip length at every whole frame even when `100 / fps` is not whole (24 fps: 4, 4, 4, 5, 4, 4 …).
/// Browsers stretch delays under 2 cs, so rates above 50 fps play slower there.
///
/// Not `Sendable`: it accumulates one file. Use it from one thread, then `finish()` once.
public final class GIFEncoder {
    public let width: Int
    public let height: Int
    public let frameRate: Int

    private var output: [UInt8] = []
    private var compressor = GIFLZWCompressor()
    private var indices: [UInt8]
    private var frameIndex = 0
    private var finished = false

    static let redLevels = 6
    static let greenLevels = 7
    static let blueLevels = 6
    /// The 4×4 Bayer matrix, thresholds 0…15.
    private static let bayer: [Int] = [0, 8, 2, 10, 12, 4, 14, 6, 3, 11, 1, 9, 15, 7, 13, 5]

    /// - Throws: `.dimensionsTooLarge` past GIF's 16-bit sizes, `.unsupportedFrameRate` outside
    ///   `VideoEncoder.supportedFrameRates`.
    public init(width: Int, height: Int, frameRate: Int) throws(VideoEncodingError) {
        try VideoEncoder.checkContainerLimits(width: width, height: height, frameRate: frameRate)
        self.width = width
        self.height = height
        self.frameRate = frameRate
        indices = [UInt8](repeating: 0, count: width * height)
        writeHeader()
    }

    /// Frames appended so far.
    public var frameCount: Int { frameIndex }

    private func writeHeader() {
        output.append(contentsOf: Array("GIF89a".utf8))
        appendUInt16(width)
        appendUInt16(height)
        output.append(0xF7)  // global colour table of 256 entries, 8 bits per primary
        output.append(0)  // background colour index
        output.append(0)  // square pixels
        for red in 0..<Self.redLevels {
            for green in 0..<Self.greenLevels {
                for blue in 0..<Self.blueLevels {
                    output.append(Self.level(red, of: Self.redLevels))
                    output.append(Self.level(green, of: Self.greenLevels))
                    output.append(Self.level(blue, of: Self.blueLevels))
                }
            }
        }
        let used = Self.redLevels * Self.greenLevels * Self.blueLevels
        output.append(contentsOf: repeatElement(0, count: (256 - used) * 3))
        // NETSCAPE2.0 application extension: loop count 0, forever.
        output.append(contentsOf: [0x21, 0xFF, 0x0B])
        output.append(contentsOf: Array("NETSCAPE2.0".utf8))
        output.append(contentsOf: [0x03, 0x01, 0x00, 0x00, 0x00])
    }

    private static func level(_ step: Int, of levels: Int) -> UInt8 {
        UInt8((step * 255 + (levels - 1) / 2) / (levels - 1))
    }

    /// Appends `frame` as the next frame of the animation.
    ///
    /// - Throws: `.frameSizeMismatch` when it is not this encoder's size, `.alreadyFinished`.
    public func append(_ frame: PixelBuffer) throws(VideoEncodingError) {
        guard !finished else { throw .alreadyFinished }
        guard frame.width == width, frame.height == height else {
            throw .frameSizeMismatch(
                expectedWidth: width, expectedHeight: height, width: frame.width, height: frame.height)
        }
        quantise(frame)
        let delay =
            Self.centiseconds(through: frameIndex + 1, fps: frameRate)
            - Self.centiseconds(through: frameIndex, fps: frameRate)
        frameIndex += 1
        // Graphic control extension: disposal "do not dispose", no transparency, the delay.
        output.append(contentsOf: [0x21, 0xF9, 0x04, 0x04])
        appendUInt16(delay)
        output.append(contentsOf: [0x00, 0x00])
        // Image descriptor: the whole canvas, no local colour table, not interlaced.
        output.append(0x2C)
        appendUInt16(0)
        appendUInt16(0)
        appendUInt16(width)
        appendUInt16(height)
        output.append(0)
        output.append(UInt8(GIFLZWCompressor.minimumCodeSize))
        let codes = compressor.compress(indices)
        var start = 0
        while start < codes.count {
            let end = min(start + 255, codes.count)
            output.append(UInt8(end - start))
            output.append(contentsOf: codes[start..<end])
            start = end
        }
        output.append(0)
    }

    /// `round(frames × 100 / fps)`: the time at which frame `frames` starts, in centiseconds.
    private static func centiseconds(through frames: Int, fps: Int) -> Int { (frames * 200 + fps) / (2 * fps) }

    /// Maps `frame` to palette indices with the ordered dither.
    private func quantise(_ frame: PixelBuffer) {
        let width = self.width
        let height = self.height
        Self.ditherTable.withUnsafeBufferPointer { tableBuffer in
            frame.rgb.withUnsafeBufferPointer { rgbBuffer in
                indices.withUnsafeMutableBufferPointer { outBuffer in
                    let table = tableBuffer.baseAddress!
                    let rgb = rgbBuffer.baseAddress!
                    let out = outBuffer.baseAddress!
                    for row in 0..<height {
                        let rowPixels = rgb + row &* width &* 3
                        let rowIndices = out + row &* width
                        let bayerRow = (row & 3) &* 4
                        for column in 0..<width {
                            let cell = table + (bayerRow &+ (column & 3)) &* 768
                            let pixel = column &* 3
                            rowIndices[column] = UInt8(
                                truncatingIfNeeded: cell[Int(rowPixels[pixel])]
                                    &+ cell[256 &+ Int(rowPixels[pixel &+ 1])]
                                    &+ cell[512 &+ Int(rowPixels[pixel &+ 2])])
                        }
                    }
                }
            }
        }
    }

    /// For each of the 16 dither cells, then red, green and blue, then each 8-bit value: that
    /// channel's share of the palette index. Indices are the sum of three lookups, so the dither
    /// costs no arithmetic per pixel.
    private static let ditherTable: [UInt16] = {
        var table = [UInt16](repeating: 0, count: 16 * 3 * 256)
        for cell in 0..<16 {
            // Threshold in 0…254 (odd steps of 255/32 centred in each of 16 cells).
            let threshold = (bayer[cell] * 2 + 1) * 255 / 32
            for value in 0..<256 {
                let base = cell * 768 + value
                table[base] = UInt16(dither(value, levels: redLevels, threshold: threshold) * greenLevels * blueLevels)
                table[base + 256] = UInt16(dither(value, levels: greenLevels, threshold: threshold) * blueLevels)
                table[base + 512] = UInt16(dither(value, levels: blueLevels, threshold: threshold))
            }
        }
        return table
    }()

    /// The palette step for `value`: the step below, or the one above when the remainder passes
    /// the threshold.
    private static func dither(_ value: Int, levels: Int, threshold: Int) -> Int {
        let scaled = value * (levels - 1)
        let step = scaled / 255
        return scaled % 255 > threshold ? step + 1 : step
    }

    /// The complete file. The encoder takes no more frames afterwards.
    ///
    /// - Throws: `.noFrames` when nothing was appended, `.alreadyFinished`.
    public func finish() throws(VideoEncodingError) -> [UInt8] {
        guard !finished else { throw .alreadyFinished }
        guard frameIndex > 0 else { throw .noFrames }
        finished = true
        output.append(0x3B)
        return output
    }

    private func appendUInt16(_ value: Int) {
        output.append(UInt8(value & 0xFF))
        output.append(UInt8((value >> 8) & 0xFF))
    }
}
