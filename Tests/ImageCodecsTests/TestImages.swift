import ImageCodecs

// sin/cos without Foundation.
#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Synthetic pictures and hand-built files for the codec tests.
enum TestImages {
    /// A deterministic stand-in for a rendered frame: smooth gradients, a little noise and a band
    /// of blocky "text", so compressors see both smooth areas and hard edges. `amplitude`: ± noise per sample.
    static func realistic(width: Int, height: Int, seed: UInt64 = 1, noise amplitude: Int = 4) -> PixelBuffer {
        var random = SplitMix(seed: seed)
        var rgb = [UInt8](repeating: 0, count: width * height * 3)
        let bandTop = height * 3 / 4
        let bandBottom = min(height, bandTop + max(8, height / 10))
        for y in 0..<height {
            for x in 0..<width {
                let i = (y * width + x) * 3
                let noise = amplitude == 0 ? 0 : Int(random.next() % UInt64(2 * amplitude + 1)) - amplitude
                if y >= bandTop && y < bandBottom {
                    // 5×7-ish glyph cells: deterministic on/off pattern, white on dark grey.
                    let cellX = x / 6
                    let cellY = (y - bandTop) / 8
                    let bit = ((cellX &* 2_654_435_761 ^ cellY &* 40503) >> ((x % 6) + (y % 8))) & 1
                    let on = x % 6 != 5 && (y - bandTop) % 8 != 7 && bit == 1
                    let value: UInt8 = on ? 240 : 32
                    rgb[i] = value
                    rgb[i + 1] = value
                    rgb[i + 2] = value
                } else {
                    let fx = Double(x) / Double(width)
                    let fy = Double(y) / Double(height)
                    let r = 128 + 100 * sin(fx * 6.3 + fy * 2.0)
                    let g = 128 + 90 * cos(fy * 4.1 - fx * 1.3)
                    let b = 60 + 150 * fx * fy
                    rgb[i] = clamp(Int(r) + noise)
                    rgb[i + 1] = clamp(Int(g) + noise)
                    rgb[i + 2] = clamp(Int(b) + noise)
                }
            }
        }
        return PixelBuffer(width: width, height: height, rgb: rgb)
    }

    static func clamp(_ value: Int) -> UInt8 { UInt8(max(0, min(255, value))) }

    /// Mean absolute difference per channel sample.
    static func meanAbsoluteError(_ a: PixelBuffer, _ b: PixelBuffer) -> Double {
        precondition(a.rgb.count == b.rgb.count)
        var total = 0
        for index in a.rgb.indices { total += abs(Int(a.rgb[index]) - Int(b.rgb[index])) }
        return Double(total) / Double(a.rgb.count)
    }

    // Tiny Pillow-made files (generated once; Pillow is not needed to run the tests).
    /// 32×24 greyscale JPEG of value = min(255, 8x + y), quality 95.
    static let grayJPEG = base64(
        "/9j/4AAQSkZJRgABAQAAAQABAAD/2wBDAAIBAQEBAQIBAQECAgICAgQDAgICAgUEBAMEBgUGBgYFBgYGBwkIBgcJBwYGCAsICQoKCgoKBggLDAsKDAkKCgr/wAALCAAYACABAREA/8QAHwAAAQUBAQEBAQEAAAAAAAAAAAECAwQFBgcICQoL/8QAtRAAAgEDAwIEAwUFBAQAAAF9AQIDAAQRBRIhMUEGE1FhByJxFDKBkaEII0KxwRVS0fAkM2JyggkKFhcYGRolJicoKSo0NTY3ODk6Q0RFRkdISUpTVFVWV1hZWmNkZWZnaGlqc3R1dnd4eXqDhIWGh4iJipKTlJWWl5iZmqKjpKWmp6ipqrKztLW2t7i5usLDxMXGx8jJytLT1NXW19jZ2uHi4+Tl5ufo6erx8vP09fb3+Pn6/9oACAEBAAA/APx9/Zt03/j3+X0r9AP2bdN/49/l9K/QD9m3Tf8Aj3+X0r9AP2bdN/49/l9K/kf/AGbdN/49/l9K/QD9m3Tf+Pf5fSv0A/Zt03/j3+X0r7+/Zz0/ZDE+3oua/kh/Zt03/j3+X0r9AP2bdN/49/l9K/QD9m3Tf+Pf5fSvvj4CWPk6YJMdI6//2Q=="
    )
    /// 16×16 Adobe CMYK JPEG, every pixel ink (C, M, Y, K) = (0, 255, 255, 0): red.
    static let cmykJPEG = base64(
        "/9j/7gAOQWRvYmUAZAAAAAAA/9sAQwACAQEBAQECAQEBAgICAgIEAwICAgIFBAQDBAYFBgYGBQYGBgcJCAYHCQcGBggLCAkKCgoKCgYICwwLCgwJCgoK/8AAFAgAEAAQBEMRAE0RAFkRAEsRAP/EAB8AAAEFAQEBAQEBAAAAAAAAAAABAgMEBQYHCAkKC//EALUQAAIBAwMCBAMFBQQEAAABfQECAwAEEQUSITFBBhNRYQcicRQygZGhCCNCscEVUtHwJDNicoIJChYXGBkaJSYnKCkqNDU2Nzg5OkNERUZHSElKU1RVVldYWVpjZGVmZ2hpanN0dXZ3eHl6g4SFhoeIiYqSk5SVlpeYmZqio6Slpqeoqaqys7S1tre4ubrCw8TFxsfIycrS09TV1tfY2drh4uPk5ebn6Onq8fLz9PX29/j5+v/aAA4EQwBNAFkASwAAPwD9/K/n/r+f+v38oooooooooooor//Z"
    )
    /// 32×32 progressive JPEG of (8x, 8y, 128), quality 95.
    static let progressiveJPEG = base64(
        "/9j/4AAQSkZJRgABAQAAAQABAAD/2wBDAAIBAQEBAQIBAQECAgICAgQDAgICAgUEBAMEBgUGBgYFBgYGBwkIBgcJBwYGCAsICQoKCgoKBggLDAsKDAkKCgr/2wBDAQICAgICAgUDAwUKBwYHCgoKCgoKCgoKCgoKCgoKCgoKCgoKCgoKCgoKCgoKCgoKCgoKCgoKCgoKCgoKCgoKCgr/wgARCAAgACADASIAAhEBAxEB/8QAFQABAQAAAAAAAAAAAAAAAAAABgj/xAAXAQADAQAAAAAAAAAAAAAAAAAEBggH/9oADAMBAAIQAxAAAAGTkyVNoghpMlTqlAF0yVMqwoaTpUypQH//xAAWEAADAAAAAAAAAAAAAAAAAAAABAX/2gAIAQEAAQUCUlCsoUlCkoUlCkoVlCkoVlCkoUlCkoUlCsoUlCko/8QAGBEAAgMAAAAAAAAAAAAAAAAAAAUGITH/2gAIAQMBAT8Bjb7LI2+yyNvssjb7LP/EABcRAAMBAAAAAAAAAAAAAAAAAAAEBWH/2gAIAQIBAT8BcsaOWNHLGjljT//EABUQAQEAAAAAAAAAAAAAAAAAAAAy/9oACAEBAAY/ApSlKUpSlKUpSlL/xAAVEAEBAAAAAAAAAAAAAAAAAAAAMf/aAAgBAQABPyGJMiRIESZAmRIkSJMgRP/aAAwDAQACAAMAAAAQA4Ug/8QAFREBAQAAAAAAAAAAAAAAAAAAAKH/2gAIAQMBAT8Qnp6env/EABURAQEAAAAAAAAAAAAAAAAAAAAx/9oACAECAQE/EKlixU//xAAVEAEBAAAAAAAAAAAAAAAAAAAA8f/aAAgBAQABPxCCkoKCioKSipKCgoKCkoqC/9k="
    )
    /// 16×16 lossless WebP with alpha: (200, 100, 50), opaque for x < 8, transparent after.
    static let losslessWebP = base64("UklGRiYAAABXRUJQVlA4TBoAAAAvD8ADEA8wZIM8MvMf8BALJvOX7s4gov+RCw==")

    /// A minimal standard-alphabet base64 decoder (tests avoid Foundation).
    static func base64(_ text: String) -> [UInt8] {
        let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/".utf8)
        var table = [Int](repeating: -1, count: 256)
        for (index, byte) in alphabet.enumerated() { table[Int(byte)] = index }
        var output: [UInt8] = []
        var buffer = 0
        var bits = 0
        for byte in text.utf8 where table[Int(byte)] >= 0 {
            buffer = buffer << 6 | table[Int(byte)]
            bits += 6
            if bits >= 8 {
                bits -= 8
                output.append(UInt8((buffer >> bits) & 0xFF))
            }
        }
        return output
    }
}

/// A tiny deterministic generator (SplitMix64).
struct SplitMix {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
