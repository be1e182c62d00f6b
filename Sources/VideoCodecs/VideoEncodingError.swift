/// Why a clip could not be encoded. Every C status code is turned into one of these at the edge.
public enum VideoEncodingError: Error, Equatable, Sendable {
    /// A clip needs at least one frame.
    case noFrames
    /// 4:2:0 chroma covers 2×2 pixels, so width and height must be even (see `H264Encoder`).
    case oddDimensions(width: Int, height: Int)
    /// Smaller than one 16×16 macroblock each way, which openh264 refuses to encode.
    case dimensionsTooSmall(width: Int, height: Int)
    /// Larger than the encoder or the container can describe.
    case dimensionsTooLarge(width: Int, height: Int)
    /// Frames per second outside `VideoEncoder.supportedFrameRates`.
    case unsupportedFrameRate(Int)
    /// Every frame of a clip has the size of the first.
    case frameSizeMismatch(expectedWidth: Int, expectedHeight: Int, width: Int, height: Int)
    /// An encoder setting outside its documented range (named, with the value given).
    case invalidSetting(name: String, value: Int)
    /// openh264 answered a call with a non-zero status.
    case encoderFailed(operation: String, status: Int)
    /// openh264 produced no picture for a frame; the frame count would no longer be exact.
    case frameSkipped(index: Int)
    /// The encoder's first frame carried no SPS/PPS, or a later IDR carried different ones.
    case missingOrChangedParameterSets
    /// More frames were appended after `finish()`.
    case alreadyFinished
    /// The file would pass the 4 GiB that 32-bit box sizes and chunk offsets can address.
    case fileTooLarge
}
