public import ImageCodecs

/// Encodes a clip frame by frame into an MP4: only the compressed samples are kept, so a long
/// 720p clip never holds all its raw frames in memory.
///
/// Not `Sendable`: it owns an `H264Encoder`. Use it from one thread, then `finish()` once.
public final class MP4Builder {
    private let encoder: H264Encoder
    private var writer: MP4Writer
    private var finished = false

    /// - Throws: `VideoEncodingError` as `H264Encoder.init` does.
    public init(width: Int, height: Int, frameRate: Int, settings: H264EncoderSettings = .standard)
        throws(VideoEncodingError)
    {
        encoder = try H264Encoder(width: width, height: height, frameRate: frameRate, settings: settings)
        writer = try MP4Writer(width: width, height: height, frameRate: frameRate)
    }

    /// Frames appended so far.
    public var frameCount: Int { writer.frameCount }

    /// Encodes `frame` as the next frame of the clip.
    public func append(_ frame: PixelBuffer) throws(VideoEncodingError) {
        guard !finished else { throw .alreadyFinished }
        try writer.append(encoder.encode(frame))
    }

    /// Encodes `planes` (a frame converted with `YUV420Frame(_:)`) as the next frame of the clip.
    public func append(planes: YUV420Frame) throws(VideoEncodingError) {
        guard !finished else { throw .alreadyFinished }
        try writer.append(encoder.encode(planes: planes))
    }

    /// The MP4 file of every frame appended. The builder takes no more frames afterwards.
    ///
    /// - Throws: `.noFrames` when nothing was appended.
    public func finish() throws(VideoEncodingError) -> [UInt8] {
        guard !finished else { throw .alreadyFinished }
        finished = true
        return try writer.finish()
    }
}
