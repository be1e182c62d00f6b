/// A cyclic 1024-entry colour ramp drawn from the seed: four key colours on a colour-harmony
/// scheme (analogous, triadic, complementary, split), alternating dark and light so the pattern
/// has contrast, joined by smoothstep so the ramp has no visible kinks.
struct PatternPalette: Sendable {
    static let size = 1024
    /// `size * 3` bytes, RGB.
    let rgb: [UInt8]

    /// Hue offsets (in 1/1536 of the colour wheel) of the four keys for each scheme.
    private static let schemes: [[Int]] = [
        [0, 128, 256, 128],  // analogous
        [0, 512, 1024, 512],  // triadic
        [0, 768, 96, 864],  // complementary
        [0, 640, 896, 320],  // split complementary
    ]
    /// (min, max) brightness of each key: dark, light, mid, light.
    private static let values: [(Int, Int)] = [(40, 110), (205, 255), (130, 195), (215, 255)]

    init(random: inout SplitMix64) {
        let scheme = PatternPalette.schemes[random.int(in: 0...(PatternPalette.schemes.count - 1))]
        let baseHue = random.int(in: 0...1535)
        var keys: [(Int, Int, Int)] = []
        for (k, offset) in scheme.enumerated() {
            let hue = (baseHue + offset + random.int(in: -48...48) + 1536) % 1536
            let saturation = random.int(in: 130...235)
            let (low, high) = PatternPalette.values[k]
            keys.append(PatternPalette.hsv(hue: hue, saturation: saturation, value: random.int(in: low...high)))
        }
        rgb = PatternPalette.ramp(through: keys)
    }

    /// Joins the keys cyclically with smoothstep interpolation.
    private static func ramp(through keys: [(Int, Int, Int)]) -> [UInt8] {
        var bytes = [UInt8](repeating: 0, count: size * 3)
        let segment = size / keys.count
        for i in 0..<size {
            let a = keys[i / segment]
            let b = keys[(i / segment + 1) % keys.count]
            let t = (i % segment) * 256 / segment  // 0..<256
            let w = (t * t * (768 - 2 * t)) >> 16  // smoothstep, 0..<256
            bytes[i * 3] = UInt8((a.0 * (256 - w) + b.0 * w + 128) >> 8)
            bytes[i * 3 + 1] = UInt8((a.1 * (256 - w) + b.1 * w + 128) >> 8)
            bytes[i * 3 + 2] = UInt8((a.2 * (256 - w) + b.2 * w + 128) >> 8)
        }
        return bytes
    }

    /// Integer HSV → RGB; hue in 0..<1536 (six sectors of 256), saturation and value 0...255.
    static func hsv(hue: Int, saturation s: Int, value v: Int) -> (Int, Int, Int) {
        let sector = hue >> 8
        let f = hue & 255
        let p = v * (255 - s) / 255
        let q = v * (255 * 255 - s * f) / (255 * 255)
        let t = v * (255 * 255 - s * (255 - f)) / (255 * 255)
        switch sector {
        case 0: return (v, t, p)
        case 1: return (q, v, p)
        case 2: return (p, v, t)
        case 3: return (p, q, v)
        case 4: return (t, p, v)
        default: return (v, p, q)
        }
    }
}
