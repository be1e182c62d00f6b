import Foundation
import ImageCodecs
import Testing
import VideoCodecs

/// ffprobe reads the animated GIFs as GIF with the asked-for size, frame count and length.
@Suite(.enabled(if: FFmpegTools.available, Comment(rawValue: FFmpegTools.missingMessage)))
struct GIFProbeTests {
    /// This test's files, removed when it ends.
    private let scratch: ScratchDirectory

    init() throws { scratch = try ScratchDirectory() }

    @Test(arguments: [(160, 90, 24, 48), (101, 77, 8, 16), (320, 240, 30, 10), (3, 1, 10, 3)])
    func ffprobeReadsTheAnimation(width: Int, height: Int, fps: Int, frames: Int) throws {
        let encoder = try GIFEncoder(width: width, height: height, frameRate: fps)
        for index in 0..<frames { try encoder.append(MovingTestPattern.frame(index, width: width, height: height)) }
        let path = try scratch.write(try encoder.finish(), name: "clip.gif")
        let fields = try FFmpegTools.probe(path)
        #expect(fields["codec_name"] == "gif")
        #expect(fields["format_name"] == "gif")
        #expect(fields["width"] == String(width))
        #expect(fields["height"] == String(height))
        #expect(fields["nb_read_frames"] == String(frames))
        // Centisecond delays add up to the clip's length at every whole frame.
        let duration = try #require(fields["format_duration"].flatMap(Double.init))
        let expected = (Double(frames * 100) / Double(fps)).rounded() / 100
        #expect(abs(duration - expected) < 0.000_001, "duration \(duration), expected \(expected)")
        let decode = try FFmpegTools.run(FFmpegTools.ffmpeg, ["-v", "error", "-i", path, "-f", "null", "-"])
        #expect(decode.status == 0 && decode.standardError.isEmpty, "ffmpeg reported: \(decode.standardError)")
    }

    @Test func loopsForever() throws {
        let frame = MovingTestPattern.frame(0, width: 16, height: 16)
        let bytes = try VideoEncoder.encodeGIF(frames: [frame, frame], fps: 10)
        let netscape = Array("NETSCAPE2.0".utf8) + [0x03, 0x01, 0x00, 0x00]
        #expect(bytes.firstRange(of: netscape) != nil)
    }
}
