import ImageCodecs
import Testing
import VideoCodecs

@testable import NovitaMock

/// The frames themselves, before any encoder: motion, the caption's frame counter, and
/// image-to-video starting from its input.
@Suite struct VideoFrameRendererTests {
    static func renderer(frames: Int = 8, input: PixelBuffer? = nil) -> VideoFrameRenderer {
        let parameters = GenerationParameters(
            kind: input == nil ? .txt2video : .img2video, modelName: "m", prompt: "a fox", negativePrompt: "",
            width: 128, height: 96, imageNum: 1, steps: 20, guidanceScale: 7.5, samplerName: "", seed: 99,
            strength: 1, format: .png)
        let video = VideoParameters(
            frameCount: frames, framesPerSecond: 8, container: .mp4,
            segments: [
                .init(prompt: "a fox", frames: frames / 2), .init(prompt: "a hare", frames: frames - frames / 2),
            ])
        return VideoFrameRenderer(parameters: parameters, video: video, input: input)
    }

    /// The rows above the caption band.
    static func picture(_ image: PixelBuffer) -> ArraySlice<UInt8> {
        let band = CaptionBand.layout(width: image.width, height: image.height).bandTop
        return image.rgb[0..<(band * image.width * 3)]
    }

    @Test func consecutiveFramesMoveAndTheSameFrameIsTheSame() {
        let renderer = Self.renderer()
        let first = renderer.frame(0)
        #expect(Self.picture(renderer.frame(1)) != Self.picture(first))
        #expect(Self.renderer().frame(0).rgb == first.rgb)
    }

    @Test func theCaptionCountsFramesAndFollowsThePrompts() {
        let renderer = Self.renderer()
        #expect(renderer.caption(0).title == "a fox")
        #expect(renderer.caption(5).title == "a hare")
        #expect(renderer.caption(7).details.allSatisfy { $0.contains("frame 8/8") })
    }

    @Test func imageToVideoStartsFromTheInputAndEndsInThePattern() {
        let input = ImageResampler.resize(Fixtures.pngDecodedPixels(), width: 128, height: 96)
        let renderer = Self.renderer(frames: 6, input: input)
        #expect(Self.picture(renderer.frame(0)) == Self.picture(input))
        let patternOnly = Self.renderer(frames: 6).frame(5)
        #expect(Self.picture(renderer.frame(5)) == Self.picture(patternOnly))
        #expect(Self.picture(renderer.frame(2)) != Self.picture(input))
    }

    /// The clip is encoded while the next frame is drawn on another thread; the bytes must be
    /// those of drawing and encoding one frame after another.
    @Test func theOverlappedClipHasTheBytesOfTheSequentialOne() throws {
        let renderer = Self.renderer(frames: 10)
        var parameters = renderer.parameters
        parameters.video = renderer.video
        let record = TaskRecord(
            id: "t-1", serial: 1, tenant: "k", parameters: parameters, inputKey: nil, extra: ExtraOptions(),
            outcome: .succeed, imageBaseURL: "http://mock", requestSummary: [], submittedAt: 1, durationMs: 2,
            startedAt: 1, finishedAt: 3, status: .succeed, failureReason: "")
        let sequential = try VideoEncoder.encodeMP4(frames: (0..<10).map(renderer.frame), fps: 8)
        #expect(try ImageService.renderVideo(record, inputBytes: nil) == sequential)
        #expect(try ImageService.renderVideo(record, inputBytes: nil) == sequential)
    }
}
