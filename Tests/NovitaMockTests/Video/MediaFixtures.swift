import ImageCodecs
import VideoCodecs

@testable import NovitaMock

/// Small media files of each kind a video endpoint takes as input.
enum MediaFixtures {
    /// A tenth of a second of 8 kHz mono 16-bit silence.
    static let wav: [UInt8] = {
        func le(_ value: Int, _ bytes: Int) -> [UInt8] {
            (0..<bytes).map { UInt8(truncatingIfNeeded: value >> (8 * $0)) }
        }
        let samples = [UInt8](repeating: 0, count: 1600)
        return Array("RIFF".utf8) + le(36 + samples.count, 4) + Array("WAVEfmt ".utf8) + le(16, 4) + le(1, 2)
            + le(1, 2) + le(8000, 4) + le(16000, 4) + le(2, 2) + le(16, 2) + Array("data".utf8) + le(samples.count, 4)
            + samples
    }()

    /// An MP4 of the mock's own encoder: `frames` frames of `width × height` at `fps`, each a flat
    /// grey a little lighter than the one before.
    static func mp4(width: Int = 64, height: Int = 48, fps: Int = 8, frames: Int = 2) throws -> [UInt8] {
        let builder = try MP4Builder(width: width, height: height, frameRate: fps)
        for index in 0..<frames {
            let level = UInt8(truncatingIfNeeded: 40 + index * 8)
            try builder.append(PixelBuffer(width: width, height: height, fill: (level, level, level)))
        }
        return try builder.finish()
    }
}
