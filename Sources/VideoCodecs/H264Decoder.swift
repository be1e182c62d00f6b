import COpenH264
public import ImageCodecs

/// openh264's decoder (the same library as `H264Encoder`): Annex B access units in, RGB frames
/// out (BT.601, limited range, as the encoder writes). Feed the samples of one stream in decoding
/// order; `decode` answers the picture each completes in display order, if any (a stream with
/// B-frames holds some back: `flush` gives them at the end). Decodes Baseline, Main and High
/// progressive streams (ffmpeg's libx264 defaults included); a stream it cannot decode throws.
public final class H264Decoder {
    private let handle: UnsafeMutablePointer<ISVCDecoder?>

    public enum Failure: Error, Sendable, CustomStringConvertible {
        case create
        case initialize(Int)
        case decode(state: UInt32)

        public var description: String {
            switch self {
            case .create: "openh264 could not create a decoder"
            case .initialize(let status): "openh264 refused the decoder settings (\(status))"
            case .decode(let state): "openh264 could not decode the frame (state \(state))"
            }
        }
    }

    public init() throws(Failure) {
        var created: UnsafeMutablePointer<ISVCDecoder?>?
        guard WelsCreateDecoder(&created) == 0, let created, let table = created.pointee else { throw .create }
        var parameters = SDecodingParam()
        parameters.uiTargetDqLayer = UInt8.max
        parameters.eEcActiveIdc = ERROR_CON_DISABLE
        parameters.sVideoProperty.eVideoBsType = VIDEO_BITSTREAM_AVC
        let status = table.pointee.Initialize(created, &parameters)
        guard status == 0 else {
            WelsDestroyDecoder(created)
            throw .initialize(status)
        }
        handle = created
    }

    deinit {
        if let table = handle.pointee { _ = table.pointee.Uninitialize(handle) }
        WelsDestroyDecoder(handle)
    }

    /// Decodes one access unit (Annex B, start codes); the picture it completes, or nil.
    public func decode(_ accessUnit: [UInt8]) throws(Failure) -> PixelBuffer? {
        guard let table = handle.pointee else { throw .create }
        var planes: [UnsafeMutablePointer<UInt8>?] = [nil, nil, nil]
        var info = SBufferInfo()
        let state = planes.withUnsafeMutableBufferPointer { planes in
            accessUnit.withUnsafeBufferPointer { source in
                table.pointee.DecodeFrameNoDelay(
                    handle, source.baseAddress, Int32(source.count), planes.baseAddress, &info)
            }
        }
        guard state.rawValue == 0 else { throw .decode(state: state.rawValue) }
        return Self.picture(planes, info)
    }

    /// The pictures the decoder still holds for reordering (a stream with B-frames), in display
    /// order; call after the last access unit.
    public func flush() -> [PixelBuffer] {
        guard let table = handle.pointee else { return [] }
        var endOfStream: Int32 = 1
        _ = table.pointee.SetOption(handle, DECODER_OPTION_END_OF_STREAM, &endOfStream)
        var remaining: Int32 = 0
        _ = table.pointee.GetOption(handle, DECODER_OPTION_NUM_OF_FRAMES_REMAINING_IN_BUFFER, &remaining)
        var pictures: [PixelBuffer] = []
        for _ in 0..<max(0, Int(remaining)) {
            var planes: [UnsafeMutablePointer<UInt8>?] = [nil, nil, nil]
            var info = SBufferInfo()
            let state = planes.withUnsafeMutableBufferPointer { planes in
                table.pointee.FlushFrame(handle, planes.baseAddress, &info)
            }
            guard state.rawValue == 0 else { break }
            if let picture = Self.picture(planes, info) { pictures.append(picture) }
        }
        return pictures
    }

    private static func picture(_ planes: [UnsafeMutablePointer<UInt8>?], _ info: SBufferInfo) -> PixelBuffer? {
        guard info.iBufferStatus == 1, let y = planes[0], let u = planes[1], let v = planes[2] else { return nil }
        let buffer = info.UsrData.sSystemBuffer
        let (width, height) = (Int(buffer.iWidth), Int(buffer.iHeight))
        guard width > 0, height > 0 else { return nil }
        return rgb(
            y: y, u: u, v: v, lumaStride: Int(buffer.iStride.0), chromaStride: Int(buffer.iStride.1), width: width,
            height: height)
    }

    /// I420 (BT.601, limited range) to RGB, in integers.
    static func rgb(
        y: UnsafeMutablePointer<UInt8>, u: UnsafeMutablePointer<UInt8>, v: UnsafeMutablePointer<UInt8>,
        lumaStride: Int, chromaStride: Int, width: Int, height: Int
    ) -> PixelBuffer {
        var out = PixelBuffer(width: width, height: height)
        out.rgb.withUnsafeMutableBufferPointer { rgb in
            for row in 0..<height {
                for column in 0..<width {
                    let c = 298 * (Int(y[row * lumaStride + column]) - 16)
                    let chroma = (row / 2) * chromaStride + column / 2
                    let d = Int(u[chroma]) - 128
                    let e = Int(v[chroma]) - 128
                    let i = (row * width + column) * 3
                    rgb[i] = UInt8(clamping: (c + 409 * e + 128) >> 8)
                    rgb[i + 1] = UInt8(clamping: (c - 100 * d - 208 * e + 128) >> 8)
                    rgb[i + 2] = UInt8(clamping: (c + 516 * d + 128) >> 8)
                }
            }
        }
        return out
    }
}
