/// One frame as the H.264 encoder produced it: its NAL units (without start codes), in order.
public struct EncodedVideoFrame: Sendable, Equatable {
    /// NAL units, each starting with its one-byte header; parameter sets (SPS, PPS) included when
    /// the encoder emitted them, which openh264 does before every IDR.
    public let nalUnits: [[UInt8]]
    /// An IDR picture: decoding can start here.
    public let isKeyframe: Bool

    public init(nalUnits: [[UInt8]], isKeyframe: Bool) {
        self.nalUnits = nalUnits
        self.isKeyframe = isKeyframe
    }

    /// The frame as an Annex-B byte stream (each NAL unit after a 4-byte start code), the form a
    /// raw `.h264` file or `ffprobe -f h264` reads.
    public var annexB: [UInt8] {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(nalUnits.reduce(0) { $0 + $1.count + 4 })
        for unit in nalUnits {
            bytes.append(contentsOf: [0, 0, 0, 1])
            bytes.append(contentsOf: unit)
        }
        return bytes
    }
}
