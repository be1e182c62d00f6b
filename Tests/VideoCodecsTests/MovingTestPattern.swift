import ImageCodecs

/// Frames that move: a diagonal colour gradient shifted a few pixels per frame, and the frame
/// number drawn as 3×5 block digits in a dark band at the top left, so a decoded frame shows
/// both where it is in the clip and that motion survived encoding.
enum MovingTestPattern {
    /// Pixels the gradient moves per frame.
    static let shiftPerFrame = 4

    static func frame(_ index: Int, width: Int, height: Int) -> PixelBuffer {
        var rgb = [UInt8](repeating: 0, count: width * height * 3)
        let shift = index * shiftPerFrame
        for y in 0..<height {
            for x in 0..<width {
                let i = (y * width + x) * 3
                let u = (x + shift) % 512
                rgb[i] = UInt8(u < 256 ? u : 511 - u)
                rgb[i + 1] = UInt8(y * 255 / max(1, height - 1))
                rgb[i + 2] = UInt8(255 - (x + y + shift) % 256)
            }
        }
        var frame = PixelBuffer(width: width, height: height, rgb: rgb)
        drawCounter(index, into: &frame)
        return frame
    }

    /// 3×5 glyphs for 0–9, one row of three bits per entry, top row first.
    private static let glyphs: [[UInt8]] = [
        [7, 5, 5, 5, 7], [2, 6, 2, 2, 7], [7, 1, 7, 4, 7], [7, 1, 7, 1, 7], [5, 5, 7, 1, 1],
        [7, 4, 7, 1, 7], [7, 4, 7, 5, 7], [7, 1, 1, 1, 1], [7, 5, 7, 5, 7], [7, 5, 7, 1, 7],
    ]

    /// The counter's block size in pixels, scaled with the frame.
    static func blockSize(width: Int) -> Int { max(2, width / 80) }

    private static func drawCounter(_ index: Int, into frame: inout PixelBuffer) {
        let block = blockSize(width: frame.width)
        let digits = Array(String(index)).map { Int(String($0))! }
        let bandWidth = min(frame.width, (digits.count * 4 + 1) * block)
        let bandHeight = min(frame.height, 7 * block)
        for y in 0..<bandHeight {
            for x in 0..<bandWidth { set(&frame, x, y, (16, 16, 16)) }
        }
        for (position, digit) in digits.enumerated() {
            for row in 0..<5 {
                for column in 0..<3 where glyphs[digit][row] >> (2 - column) & 1 == 1 {
                    let left = (1 + position * 4 + column) * block
                    let top = (1 + row) * block
                    guard left < frame.width, top < frame.height else { continue }  // tiny frames
                    for y in top..<min(frame.height, top + block) {
                        for x in left..<min(frame.width, left + block) { set(&frame, x, y, (255, 255, 255)) }
                    }
                }
            }
        }
    }

    private static func set(_ frame: inout PixelBuffer, _ x: Int, _ y: Int, _ colour: (UInt8, UInt8, UInt8)) {
        let i = (y * frame.width + x) * 3
        frame.rgb[i] = colour.0
        frame.rgb[i + 1] = colour.1
        frame.rgb[i + 2] = colour.2
    }

    /// Four flat quadrants of distinct colours, for checking that decoded colours match.
    static let quadrantColours: [(UInt8, UInt8, UInt8)] = [(200, 40, 40), (40, 180, 60), (50, 70, 210), (230, 220, 90)]

    static func quadrants(width: Int, height: Int) -> PixelBuffer {
        var frame = PixelBuffer(width: width, height: height)
        for y in 0..<height {
            for x in 0..<width {
                let quadrant = (y < height / 2 ? 0 : 2) + (x < width / 2 ? 0 : 1)
                set(&frame, x, y, quadrantColours[quadrant])
            }
        }
        return frame
    }

    /// The mean colour of the rectangle, per channel.
    static func meanColour(of frame: PixelBuffer, x: Range<Int>, y: Range<Int>) -> (Double, Double, Double) {
        var sums = (0, 0, 0)
        for row in y {
            for column in x {
                let i = (row * frame.width + column) * 3
                sums.0 += Int(frame.rgb[i])
                sums.1 += Int(frame.rgb[i + 1])
                sums.2 += Int(frame.rgb[i + 2])
            }
        }
        let count = Double(x.count * y.count)
        return (Double(sums.0) / count, Double(sums.1) / count, Double(sums.2) / count)
    }
}
