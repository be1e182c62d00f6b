import ImageCodecs
import Testing

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Prints encode timings for a 1024×1024 frame (no timed assertion: machines differ).
/// Off by default (a few seconds in debug); run with
/// `CODEC_BENCHMARK=1 swift test -c release --filter EncoderBenchmark`.
@Suite("Encoder timings (printed, not asserted)", .serialized, .enabled(if: getenv("CODEC_BENCHMARK") != nil))
struct EncoderBenchmarkTests {
    static let image = TestImages.realistic(width: 1024, height: 1024, seed: 2024)
    static let text = "a lighthouse at dusk\nSteps: 20, Sampler: Euler a, CFG scale: 7.5, Seed: 1, Size: 1024x1024"

    static func measure(_ label: String, repeats: Int = 5, _ body: () throws -> [UInt8]) rethrows -> Double {
        var best = Duration.seconds(1000)
        var size = 0
        let clock = ContinuousClock()
        for _ in 0..<repeats {
            var bytes: [UInt8] = []
            let elapsed = try clock.measure { bytes = try body() }
            best = min(best, elapsed)
            size = bytes.count
        }
        let milliseconds = Double(best.components.attoseconds) / 1e15 + Double(best.components.seconds) * 1000
        print("benchmark \(label): best of \(repeats) \(Int(milliseconds * 10) / 10) ms, \(size) bytes")
        return milliseconds
    }

    @Test func pngSettings() throws {
        let candidates: [(String, PNGCompression)] = [
            ("png stored (level 0, no filter)", .stored),
            ("png standard (level 1, RLE, Up)", .standard),
            ("png level 1, RLE, Sub", PNGCompression(level: 1, strategy: .runLength, filters: .sub)),
            ("png level 1, RLE, Paeth", PNGCompression(level: 1, strategy: .runLength, filters: .paeth)),
            ("png level 1, default, Up", PNGCompression(level: 1, strategy: .standard, filters: .up)),
            ("png level 1, default, Sub", PNGCompression(level: 1, strategy: .standard, filters: .sub)),
            ("png level 1, huffman-only, Up", PNGCompression(level: 1, strategy: .huffmanOnly, filters: .up)),
            ("png level 1, huffman-only, Sub", PNGCompression(level: 1, strategy: .huffmanOnly, filters: .sub)),
            ("png level 1, RLE, all filters", PNGCompression(level: 1, strategy: .runLength, filters: .all)),
            ("png level 6, default, all filters", PNGCompression(level: 6, strategy: .standard, filters: .all)),
        ]
        for (label, compression) in candidates {
            _ = try Self.measure(label) {
                try ImageEncoder.encodePNG(Self.image, parameters: Self.text, compression: compression)
            }
        }
    }

    /// How much the content matters: the same frame with less per-sample noise.
    @Test(arguments: [0, 1, 2])
    func pngByNoise(amplitude: Int) throws {
        let image = TestImages.realistic(width: 1024, height: 1024, seed: 2024, noise: amplitude)
        let candidates: [(String, PNGCompression)] = [
            ("stored", .stored),
            ("stored + Up", PNGCompression(level: 0, strategy: .standard, filters: .up)),
            ("standard", .standard),
            ("huffman-only Up", PNGCompression(level: 1, strategy: .huffmanOnly, filters: .up)),
            ("level 1 default Up", PNGCompression(level: 1, strategy: .standard, filters: .up)),
        ]
        for (label, compression) in candidates {
            _ = try Self.measure("noise ±\(amplitude) png \(label)") {
                try ImageEncoder.encodePNG(image, parameters: Self.text, compression: compression)
            }
        }
    }

    @Test(arguments: ImageFormat.allCases)
    func defaultEncoders(format: ImageFormat) throws {
        _ = try Self.measure("\(format.rawValue) default encode", repeats: 3) {
            try ImageEncoder.encode(Self.image, as: format, parameters: Self.text)
        }
    }

    @Test func inspectSpeed() throws {
        let png = try ImageEncoder.encode(Self.image, as: .png, parameters: Self.text)
        let jpeg = try ImageEncoder.encode(Self.image, as: .jpeg, parameters: Self.text)
        let webp = try ImageEncoder.encode(Self.image, as: .webp, parameters: Self.text)
        for (label, bytes) in [("png", png), ("jpeg", jpeg), ("webp", webp)] {
            let clock = ContinuousClock()
            let rounds = 50
            let elapsed = try clock.measure {
                for _ in 0..<rounds { _ = try ImageInspector.inspect(bytes, maxPixels: 16_777_216) }
            }
            print("benchmark inspect \(label) (\(bytes.count) bytes): \(elapsed / rounds) per call")
            let decodeTime = try clock.measure { _ = try ImageDecoder.decode(bytes, maxPixels: 16_777_216) }
            print("benchmark decode \(label): \(decodeTime)")
        }
    }
}
