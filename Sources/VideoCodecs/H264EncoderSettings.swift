/// The encoder settings that shape the bytes. Each is pinned explicitly rather than left to
/// openh264's defaults, so that an upgrade of the library's defaults cannot change a clip.
public struct H264EncoderSettings: Sendable, Equatable {
    /// How many bits each frame gets.
    public enum RateControl: Sendable, Equatable {
        /// Every macroblock at this quantiser (0…51; lower is better and larger). No rate control
        /// runs, which is both the fastest and the most obviously deterministic choice.
        case constantQP(Int)
        /// openh264's bitrate mode aiming at this many bits per second, frame skipping off.
        case bitrate(bitsPerSecond: Int)
    }

    public var rateControl: RateControl
    /// Frames from one IDR to the next: frame 0 is always an IDR, then every `keyframeInterval`
    /// frames (a fixed GOP, so players can seek). `nil` means two seconds of frames.
    public var keyframeInterval: Int?

    public init(rateControl: RateControl = .constantQP(26), keyframeInterval: Int? = nil) {
        self.rateControl = rateControl
        self.keyframeInterval = keyframeInterval
    }

    /// QP 26: clean gradients and edges at a few hundred kB per second of 720p pattern video.
    public static let standard = H264EncoderSettings()

    /// The IDR period for `frameRate`, checked.
    func resolvedKeyframeInterval(frameRate: Int) throws(VideoEncodingError) -> Int {
        guard let interval = keyframeInterval else { return 2 * frameRate }
        guard interval >= 1 else { throw .invalidSetting(name: "keyframeInterval", value: interval) }
        return interval
    }
}
