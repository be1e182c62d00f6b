import ImageCodecs
import VideoCodecs

extension ImageService {
    static func videoCacheKey(taskID: String) -> String { "\(taskID)/video" }

    /// The encoded clip of a video task (encoded now if not cached), kept in the same
    /// byte-bounded cache as the images.
    func video(of record: TaskRecord) throws(RenderFailure) -> EncodedImage {
        try cache.image(for: Self.videoCacheKey(taskID: record.id)) { () throws(RenderFailure) -> [UInt8] in
            try Self.renderVideo(record, inputBytes: record.inputKey.flatMap(inputs.get))
        }
    }

    /// Encoding as a pure function of the task's inputs: frame by frame into the MP4 or GIF
    /// encoder, so a long clip never holds more than one raw frame.
    static func renderVideo(_ record: TaskRecord, inputBytes: [UInt8]?) throws(RenderFailure) -> [UInt8] {
        let p = record.parameters
        guard let video = p.video else { throw RenderFailure(message: "the task has no video parameters") }
        // One image is the first frame; a bundle holds the first, the last and references (§14).
        var input: PixelBuffer?
        var end: PixelBuffer?
        var references: [PixelBuffer] = []
        var source: [UInt8]?
        var face: PixelBuffer?
        if let inputBytes {
            for (name, bytes) in InputBundle.decode(inputBytes) ?? [(VideoInputs.first, inputBytes)] {
                if name == VideoInputs.source {
                    source = bytes
                    continue
                }
                let decoded: PixelBuffer
                do {
                    decoded = try ImageDecoder.decode(bytes, maxPixels: 16_777_216)
                } catch {
                    throw RenderFailure(
                        message:
                            "the input image\(name == VideoInputs.first ? "" : " " + name) could not be decoded: \(error)"
                    )
                }
                switch name {
                case VideoInputs.first: input = decoded
                case VideoInputs.last: end = decoded
                case VideoInputs.face: face = decoded
                default: references.append(decoded)
                }
            }
        }
        let overlay = VideoFrameOverlay(
            end: end, references: references, width: p.width, height: p.height, source: source, face: face)
        let frames: VideoFrameRenderer = {
            var frames = VideoFrameRenderer(parameters: p, video: video, input: input)
            if !overlay.isEmpty { frames.overlay = overlay }
            return frames
        }()
        do {
            switch video.container {
            case .mp4:
                let builder = try MP4Builder(width: p.width, height: p.height, frameRate: video.framesPerSecond)
                // Frame n + 1 is drawn and converted on the helper pool while openh264 encodes frame
                // n here: two cores instead of one, and never more than two raw frames held. The
                // frames are pure functions of the task, so the bytes do not depend on the timing.
                var next = Pending(on: .renderHelpers) { YUV420Frame(frames.frame(0)) }
                for index in 0..<video.frameCount {
                    let planes = next.take()
                    if index + 1 < video.frameCount {
                        next = Pending(on: .renderHelpers) { YUV420Frame(frames.frame(index + 1)) }
                    }
                    try builder.append(planes: planes)
                }
                return try builder.finish()
            case .gif:
                let encoder = try GIFEncoder(width: p.width, height: p.height, frameRate: video.framesPerSecond)
                for index in 0..<video.frameCount { try encoder.append(frames.frame(index)) }
                return try encoder.finish()
            }
        } catch {
            throw RenderFailure(message: "the video could not be encoded: \(error)")
        }
    }
}
