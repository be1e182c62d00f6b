import ImageCodecs

@testable import NovitaMock

/// Photo-like inputs for the operation tests: a sky gradient over dark green ground, a dark
/// subject standing in the middle, a line of white lettering, and a little deterministic grain.
enum OperationTestImages {
    /// The subject's box, as fractions of the picture (for assertions): head and body centred.
    static func subjectCentre(width: Int, height: Int) -> (x: Int, y: Int) { (width / 2, height * 55 / 100) }

    static func photo(width: Int, height: Int, text: String = "SALE 50% OFF") -> PixelBuffer {
        var image = PixelBuffer(width: width, height: height)
        let horizon = height * 78 / 100
        var grain: UInt64 = 0x1234_5678
        for y in 0..<height {
            for x in 0..<width {
                grain = grain &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
                let noise = Int((grain >> 60) & 7) - 3
                var pixel: (Int, Int, Int)
                if y < horizon {
                    // Deep blue at the top to a pale haze at the horizon.
                    let t = y * 256 / horizon
                    pixel = (70 + 150 * t / 256, 130 + 100 * t / 256, 220 + 25 * t / 256)
                } else {
                    let t = (y - horizon) * 256 / max(1, height - horizon)
                    pixel = (40 - 20 * t / 256, 95 - 40 * t / 256, 45 - 20 * t / 256)
                }
                // The subject: a body (ellipse) with a head (disc) on top, near-black brown.
                let bodyDX = (x - width / 2) * 1000 / max(1, width * 16 / 100)
                let bodyDY = (y - height * 62 / 100) * 1000 / max(1, height * 26 / 100)
                let headDX = x - width / 2
                let headDY = y - height * 30 / 100
                let headRadius = min(width, height) * 9 / 100
                if bodyDX * bodyDX + bodyDY * bodyDY <= 1_000_000
                    || headDX * headDX + headDY * headDY <= headRadius * headRadius
                {
                    pixel = (48, 34, 30)
                }
                let o = (y * width + x) * 3
                image.rgb[o] = UInt8(clamping: pixel.0 + noise)
                image.rgb[o + 1] = UInt8(clamping: pixel.1 + noise)
                image.rgb[o + 2] = UInt8(clamping: pixel.2 + noise)
            }
        }
        if !text.isEmpty {
            let scale = max(1, min(width, height) / 200)
            image.rgb.withUnsafeMutableBufferPointer { pixels in
                CaptionCanvas(pixels: pixels, width: width, height: height)
                    .text(CaptionBand.glyphs(text), x: width / 16, y: height / 12, scale: scale, color: (255, 255, 255))
            }
        }
        return image
    }

    /// The region a text of `count` glyphs covers in `photo` (x0, y0, x1, y1).
    static func textBox(width: Int, height: Int, count: Int) -> (Int, Int, Int, Int) {
        let scale = max(1, min(width, height) / 200)
        return (
            width / 16, height / 12, width / 16 + count * BitmapFont.advance * scale,
            height / 12 + BitmapFont.glyphHeight * scale
        )
    }

    /// White (erase) over the subject's head, black elsewhere; a grey ramp at one side to test the threshold.
    static func headMask(width: Int, height: Int) -> PixelBuffer {
        var mask = PixelBuffer(width: width, height: height)
        let radius = min(width, height) * 13 / 100
        for y in 0..<height {
            for x in 0..<width {
                let dx = x - width / 2
                let dy = y - height * 30 / 100
                if dx * dx + dy * dy <= radius * radius {
                    let o = (y * width + x) * 3
                    mask.rgb[o] = 255
                    mask.rgb[o + 1] = 255
                    mask.rgb[o + 2] = 255
                }
            }
        }
        return mask
    }

    /// A cartoon face: skin-coloured oval, two eyes and a mouth, on a warm backdrop.
    static func face(width: Int, height: Int) -> PixelBuffer {
        var image = PixelBuffer(width: width, height: height, fill: (230, 190, 120))
        for y in 0..<height {
            for x in 0..<width {
                let fx = (x - width / 2) * 1000 / max(1, width * 40 / 100)
                let fy = (y - height / 2) * 1000 / max(1, height * 46 / 100)
                var pixel: (UInt8, UInt8, UInt8)? = nil
                if fx * fx + fy * fy <= 1_000_000 { pixel = (240, 200, 170) }
                for eyeX in [width * 36 / 100, width * 64 / 100] {
                    let ex = x - eyeX
                    let ey = y - height * 42 / 100
                    if ex * ex + ey * ey <= (width / 14) * (width / 14) { pixel = (40, 60, 120) }
                }
                let mx = (x - width / 2) * 1000 / max(1, width * 16 / 100)
                let my = (y - height * 68 / 100) * 1000 / max(1, height * 5 / 100)
                if mx * mx + my * my <= 1_000_000 { pixel = (190, 50, 60) }
                if let pixel {
                    let o = (y * width + x) * 3
                    image.rgb[o] = pixel.0
                    image.rgb[o + 1] = pixel.1
                    image.rgb[o + 2] = pixel.2
                }
            }
        }
        return image
    }

    static func pixel(_ image: PixelBuffer, _ x: Int, _ y: Int) -> [UInt8] {
        let o = (y * image.width + x) * 3
        return Array(image.rgb[o..<(o + 3)])
    }
}
