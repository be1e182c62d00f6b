import Foundation
import ImageCodecs
import Testing
import VideoCodecs

/// What an independent reader (ffprobe, ffmpeg) sees in the MP4s: the size, rate, frame count and
/// duration asked for, H.264 in yuv420p, and a stream that decodes without a single error.
@Suite(.enabled(if: FFmpegTools.available, Comment(rawValue: FFmpegTools.missingMessage)))
struct MP4ProbeTests {
    /// This test's files, removed when it ends.
    private let scratch: ScratchDirectory

    init() throws { scratch = try ScratchDirectory() }

    struct Clip: Sendable, CustomTestStringConvertible {
        let width: Int
        let height: Int
        let fps: Int
        let frames: Int
        var testDescription: String { "\(width)×\(height)@\(fps) × \(frames)" }
        var seconds: Double { Double(frames) / Double(fps) }
    }

    static let clips: [Clip] = [
        Clip(width: 640, height: 360, fps: 24, frames: 48),
        Clip(width: 1280, height: 720, fps: 30, frames: 10),
        Clip(width: 320, height: 240, fps: 8, frames: 16),
        // Not a multiple of 16 (cropped in the SPS), and a duration that is not whole seconds.
        Clip(width: 250, height: 142, fps: 25, frames: 7),
        Clip(width: 512, height: 512, fps: 16, frames: 33),
        // 1080p (1080 is not a multiple of 16 either), and a portrait clip at SVD's 6 fps.
        Clip(width: 1920, height: 1080, fps: 30, frames: 5),
        Clip(width: 576, height: 1024, fps: 6, frames: 25),
    ]

    @Test(arguments: clips)
    func ffprobeReadsTheRequestedClip(_ clip: Clip) throws {
        let builder = try MP4Builder(width: clip.width, height: clip.height, frameRate: clip.fps)
        for index in 0..<clip.frames {
            try builder.append(MovingTestPattern.frame(index, width: clip.width, height: clip.height))
        }
        let path = try scratch.write(try builder.finish(), name: "clip.mp4")
        let fields = try FFmpegTools.probe(path)

        #expect(fields["codec_name"] == "h264")
        #expect(fields["profile"] == "Constrained Baseline")
        #expect(fields["pix_fmt"] == "yuv420p")
        #expect(fields["color_space"] == "smpte170m")
        #expect(fields["width"] == String(clip.width))
        #expect(fields["height"] == String(clip.height))
        #expect(fields["r_frame_rate"] == "\(clip.fps)/1")
        #expect(fields["avg_frame_rate"] == "\(clip.fps)/1")
        #expect(fields["nb_frames"] == String(clip.frames))
        #expect(fields["nb_read_frames"] == String(clip.frames))
        let streamDuration = try #require(fields["duration"].flatMap(Double.init))
        let formatDuration = try #require(fields["format_duration"].flatMap(Double.init))
        // ffprobe prints six decimals; the container holds the exact ratio.
        #expect(abs(streamDuration - clip.seconds) < 0.000_001)
        #expect(abs(formatDuration - clip.seconds) < 0.000_001)
        #expect(fields["format_name"]?.contains("mp4") == true)
    }

    @Test func ffmpegDecodesEveryFrameWithoutAnError() throws {
        let frames = (0..<40).map { MovingTestPattern.frame($0, width: 480, height: 270) }
        let path = try scratch.write(try VideoEncoder.encodeMP4(frames: frames, fps: 20), name: "clip.mp4")
        let decode = try FFmpegTools.run(FFmpegTools.ffmpeg, ["-v", "error", "-i", path, "-f", "null", "-"])
        #expect(decode.status == 0)
        #expect(decode.standardError.isEmpty, "ffmpeg reported: \(decode.standardError)")
    }

    @Test func keyframesFallOnFrameZeroAndEveryGOP() throws {
        let frames = (0..<25).map { MovingTestPattern.frame($0, width: 320, height: 180) }
        let settings = H264EncoderSettings(rateControl: .constantQP(28), keyframeInterval: 10)
        let path = try scratch.write(
            try VideoEncoder.encodeMP4(frames: frames, fps: 25, settings: settings), name: "gop.mp4")
        let output = try FFmpegTools.run(
            FFmpegTools.ffprobe,
            [
                "-v", "error", "-select_streams", "v:0", "-show_entries", "frame=key_frame,pict_type", "-of", "csv=p=0",
                path,
            ])
        let lines = output.standardOutput.split(separator: "\n").map(String.init)
        #expect(lines.count == 25)
        let keyframes = lines.enumerated().filter { $0.element.hasPrefix("1") }.map(\.offset)
        #expect(keyframes == [0, 10, 20])
        #expect(lines.enumerated().allSatisfy { ($0.offset % 10 == 0) == $0.element.contains("I") })
    }

    @Test func bitrateModeKeepsTheFrameCount() throws {
        let frames = (0..<30).map { MovingTestPattern.frame($0, width: 640, height: 360) }
        let settings = H264EncoderSettings(rateControl: .bitrate(bitsPerSecond: 500_000))
        let path = try scratch.write(
            try VideoEncoder.encodeMP4(frames: frames, fps: 30, settings: settings), name: "bitrate.mp4")
        let fields = try FFmpegTools.probe(path)
        #expect(fields["nb_read_frames"] == "30")
        #expect(fields["r_frame_rate"] == "30/1")
    }
}
