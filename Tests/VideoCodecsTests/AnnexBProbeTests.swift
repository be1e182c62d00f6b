import Foundation
import ImageCodecs
import Testing
import VideoCodecs

/// The encoder's raw output, without the MP4 writer: an Annex-B stream that ffmpeg reads alone.
@Suite(.enabled(if: FFmpegTools.available, Comment(rawValue: FFmpegTools.missingMessage)))
struct AnnexBProbeTests {
    /// This test's files, removed when it ends.
    private let scratch: ScratchDirectory

    init() throws { scratch = try ScratchDirectory() }

    @Test func rawH264StreamDecodesFrameForFrame() throws {
        let encoder = try H264Encoder(width: 320, height: 180, frameRate: 15)
        var stream: [UInt8] = []
        for index in 0..<12 {
            stream += try encoder.encode(MovingTestPattern.frame(index, width: 320, height: 180)).annexB
        }
        let path = try scratch.write(stream, name: "clip.h264")
        let output = try FFmpegTools.run(
            FFmpegTools.ffprobe,
            [
                "-v", "error", "-f", "h264", "-count_frames", "-show_entries",
                "stream=codec_name,width,height,pix_fmt,nb_read_frames", "-of", "default=noprint_wrappers=1", path,
            ])
        #expect(output.status == 0, "ffprobe: \(output.standardError)")
        let lines = Set(output.standardOutput.split(separator: "\n").map(String.init))
        #expect(
            lines.isSuperset(of: [
                "codec_name=h264", "width=320", "height=180", "pix_fmt=yuv420p", "nb_read_frames=12",
            ]), "ffprobe read \(lines.sorted())")
    }
}
