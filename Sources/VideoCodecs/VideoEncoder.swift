public import ImageCodecs

/// Whole clips in one call: H.264 in MP4, or an animated GIF. For clips produced frame by frame,
/// `MP4Builder` and `GIFEncoder` take one frame at a time.
public enum VideoEncoder {
    /// Frame rates accepted, in whole frames per second (Novita's endpoints ask for as few as 6).
    public static let supportedFrameRates = 1...120

    /// An MP4 (H.264, yuv420p) of `frames` at `fps`: `frames.count` frames lasting exactly
    /// `frames.count / fps` seconds. Width and height come from the first frame and must be even.
    ///
    /// - Throws: `VideoEncodingError`: `.noFrames`, `.oddDimensions`, `.frameSizeMismatch`, …
    public static func encodeMP4(
        frames: [PixelBuffer], fps: Int, settings: H264EncoderSettings = .standard
    ) throws(VideoEncodingError) -> [UInt8] {
        guard let first = frames.first else { throw .noFrames }
        let builder = try MP4Builder(width: first.width, height: first.height, frameRate: fps, settings: settings)
        for frame in frames { try builder.append(frame) }
        return try builder.finish()
    }

    /// An animated GIF of `frames` at `fps` that loops forever (see `GIFEncoder` for its palette
    /// and timing). Width and height come from the first frame; odd sizes are fine in GIF.
    ///
    /// - Throws: `VideoEncodingError`: `.noFrames`, `.frameSizeMismatch`, …
    public static func encodeGIF(frames: [PixelBuffer], fps: Int) throws(VideoEncodingError) -> [UInt8] {
        guard let first = frames.first else { throw .noFrames }
        let encoder = try GIFEncoder(width: first.width, height: first.height, frameRate: fps)
        for frame in frames { try encoder.append(frame) }
        return try encoder.finish()
    }

    /// The limits both containers share: 16-bit sizes (GIF's screen, the MP4 sample entry) and a
    /// supported frame rate.
    static func checkContainerLimits(width: Int, height: Int, frameRate: Int) throws(VideoEncodingError) {
        guard width > 0, height > 0, width <= 0xFFFF, height <= 0xFFFF else {
            throw .dimensionsTooLarge(width: width, height: height)
        }
        guard supportedFrameRates.contains(frameRate) else { throw .unsupportedFrameRate(frameRate) }
    }
}
