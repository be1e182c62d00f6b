/// What decides a video task's clip besides the seed, size and input image: how many frames, at
/// what rate, in which container, and which prompt captions which stretch of frames.
struct VideoParameters: Sendable, Hashable {
    /// `extra.response_video_type`.
    enum Container: String, Sendable, CaseIterable {
        case mp4
        case gif

        var mimeType: String { self == .mp4 ? "video/mp4" : "image/gif" }
        var fileExtension: String { rawValue }
    }

    /// One entry of txt2video's `prompts[]`: its prompt captions the next `frames` frames.
    struct Segment: Sendable, Hashable {
        var prompt: String
        var frames: Int
    }

    var frameCount: Int
    var framesPerSecond: Int
    var container: Container
    /// In order; their frames add up to `frameCount` (a single segment for one-prompt models).
    var segments: [Segment]

    /// The prompt shown on frame `index`.
    func prompt(ofFrame index: Int) -> String {
        var end = 0
        for segment in segments {
            end += segment.frames
            if index < end { return segment.prompt }
        }
        return segments.last?.prompt ?? ""
    }
}
