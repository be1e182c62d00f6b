internal import COpenH264
public import ImageCodecs

/// Encodes RGB frames to H.264 (Constrained Baseline profile, yuv420p, CAVLC) with Cisco's
/// openh264.
///
/// Why openh264 rather than libx264 or libavcodec: it is BSD-licensed (x264 is GPL), Debian ships
/// it as a ~1 MB library (`libopenh264-7`) with a plain C API, while libavcodec would pull tens of
/// megabytes of codecs into an image that must stay under 100 MB. Baseline H.264 plays in every
/// browser, which is all a mock of Novita's video results needs.
///
/// Determinism: one thread (`iMultipleThreadIdc` 1), a single slice, no scene-change detection,
/// no adaptive quantisation, denoising, background detection, long-term references or frame
/// skipping, constant SPS/PPS ids, and the RGB→YUV conversion done by our own integer code
/// (`YUV420Frame`). The same frames and settings give the same bytes.
///
/// Speed: the deblocking filter is off (`iLoopFilterDisableIdc` 1). The frames are smooth
/// patterns at QP 26, where its effect cannot be seen, and it was ~14 % of a 720p clip's time
/// (81 frames: 72 → 82 frames/s, interleaved A/B of two release binaries).
///
/// Sizes: width and height must be even. In 4:2:0 H.264 the SPS crops in units of two pixels, so
/// an odd size cannot be represented at all (x264 refuses it too); odd sizes throw
/// `VideoEncodingError.oddDimensions` rather than being silently padded to a size nobody asked
/// for. Even sizes that are not multiples of 16 are fine: openh264 crops the last macroblocks.
///
/// Not `Sendable`: it owns a C encoder that is used from one thread at a time.
public final class H264Encoder {
    public let width: Int
    public let height: Int
    public let frameRate: Int
    public let settings: H264EncoderSettings

    private let encoder: UnsafeMutablePointer<ISVCEncoder?>
    private var planes: YUV420Frame
    private var frameIndex = 0

    /// The smallest side openh264 encodes (one macroblock; below it EncodeFrame answers
    /// "unsupported data").
    static let minimumSide = 16

    /// The largest side accepted. With the 36 864 macroblocks per frame of H.264's highest common
    /// level (5.1/5.2, e.g. 4096 × 2304), this keeps every clip within what players decode.
    static let maximumSide = 4096

    /// Prepares an encoder for `width` × `height` frames at `frameRate` frames per second.
    ///
    /// - Throws: `VideoEncodingError` for odd, undersized (< 16) or oversized dimensions, a frame rate outside
    ///   `VideoEncoder.supportedFrameRates`, settings out of range, or an openh264 failure.
    public init(width: Int, height: Int, frameRate: Int, settings: H264EncoderSettings = .standard)
        throws(VideoEncodingError)
    {
        guard width > 0, height > 0, width % 2 == 0, height % 2 == 0 else {
            throw .oddDimensions(width: width, height: height)
        }
        guard width >= Self.minimumSide, height >= Self.minimumSide else {
            throw .dimensionsTooSmall(width: width, height: height)
        }
        guard width <= Self.maximumSide, height <= Self.maximumSide,
            ((width + 15) / 16) * ((height + 15) / 16) <= 36_864
        else { throw .dimensionsTooLarge(width: width, height: height) }
        guard VideoEncoder.supportedFrameRates.contains(frameRate) else { throw .unsupportedFrameRate(frameRate) }
        let keyframeInterval = try settings.resolvedKeyframeInterval(frameRate: frameRate)

        // Everything that can fail happens before the stored properties are set, so a throwing
        // init never reaches deinit and the encoder is destroyed exactly once.
        guard let encoder = copenh264_create() else {
            throw .encoderFailed(operation: "WelsCreateSVCEncoder", status: -1)
        }
        // openh264 logs to stderr at WELS_LOG_WARNING by default; the mock's output is its own.
        _ = copenh264_set_option_int(encoder, ENCODER_OPTION_TRACE_LEVEL, Int32(WELS_LOG_QUIET))
        do throws(VideoEncodingError) {
            var parameters = SEncParamExt()
            var status = copenh264_get_default_params(encoder, &parameters)
            guard status == 0 else {
                throw VideoEncodingError.encoderFailed(operation: "GetDefaultParams", status: Int(status))
            }
            try Self.configure(
                &parameters, width: width, height: height, frameRate: frameRate, settings: settings,
                keyframeInterval: keyframeInterval)
            status = copenh264_initialize_ext(encoder, &parameters)
            guard status == 0 else {
                throw VideoEncodingError.encoderFailed(operation: "InitializeExt", status: Int(status))
            }
        } catch {
            copenh264_destroy(encoder)
            throw error
        }
        self.encoder = encoder
        self.width = width
        self.height = height
        self.frameRate = frameRate
        self.settings = settings
        self.planes = YUV420Frame(width: width, height: height)
    }

    deinit {
        _ = copenh264_uninitialize(encoder)
        copenh264_destroy(encoder)
    }

    /// Fills openh264's parameters: every field that changes the bitstream is set here.
    private static func configure(
        _ parameters: inout SEncParamExt, width: Int, height: Int, frameRate: Int, settings: H264EncoderSettings,
        keyframeInterval: Int
    ) throws(VideoEncodingError) {
        parameters.iUsageType = CAMERA_VIDEO_REAL_TIME
        parameters.iPicWidth = Int32(width)
        parameters.iPicHeight = Int32(height)
        parameters.fMaxFrameRate = Float(frameRate)
        parameters.iTemporalLayerNum = 1
        parameters.iSpatialLayerNum = 1
        parameters.iComplexityMode = LOW_COMPLEXITY
        parameters.uiIntraPeriod = UInt32(keyframeInterval)
        parameters.iNumRefFrame = 1
        parameters.eSpsPpsIdStrategy = CONSTANT_ID
        parameters.bPrefixNalAddingCtrl = false
        parameters.bEnableSSEI = false
        parameters.bSimulcastAVC = false
        parameters.iPaddingFlag = 0
        parameters.iEntropyCodingModeFlag = 0  // CAVLC: Constrained Baseline, decodable everywhere
        parameters.bEnableFrameSkip = false
        parameters.bEnableLongTermReference = false
        parameters.iMultipleThreadIdc = 1
        parameters.bUseLoadBalancing = false
        parameters.iLoopFilterDisableIdc = 1
        parameters.iLoopFilterAlphaC0Offset = 0
        parameters.iLoopFilterBetaOffset = 0
        parameters.bEnableDenoise = false
        parameters.bEnableBackgroundDetection = false
        parameters.bEnableAdaptiveQuant = false
        parameters.bEnableFrameCroppingFlag = true
        parameters.bEnableSceneChangeDetect = false
        parameters.bIsLosslessLink = false

        let layer = copenh264_spatial_layer(&parameters, 0)!
        layer.pointee.iVideoWidth = Int32(width)
        layer.pointee.iVideoHeight = Int32(height)
        layer.pointee.fFrameRate = Float(frameRate)
        layer.pointee.uiProfileIdc = PRO_BASELINE
        layer.pointee.uiLevelIdc = LEVEL_UNKNOWN  // the lowest level that fits the size and rate
        layer.pointee.sSliceArgument.uiSliceMode = SM_SINGLE_SLICE
        layer.pointee.sSliceArgument.uiSliceNum = 1
        // Declare what YUV420Frame produced: BT.601 ("smpte170m") in limited range, so a player
        // does not guess BT.709 for HD sizes and shift the colours.
        layer.pointee.bVideoSignalTypePresent = true
        layer.pointee.uiVideoFormat = UInt8(VF_UNDEF.rawValue)
        layer.pointee.bFullRange = false
        layer.pointee.bColorDescriptionPresent = true
        layer.pointee.uiColorPrimaries = UInt8(CP_SMPTE170M.rawValue)
        layer.pointee.uiTransferCharacteristics = UInt8(TRC_SMPTE170M.rawValue)
        layer.pointee.uiColorMatrix = UInt8(CM_SMPTE170M.rawValue)
        layer.pointee.bAspectRatioPresent = false

        switch settings.rateControl {
        case .constantQP(let qp):
            guard (0...51).contains(qp) else { throw .invalidSetting(name: "qp", value: qp) }
            parameters.iRCMode = RC_OFF_MODE
            parameters.iTargetBitrate = 0
            parameters.iMaxBitrate = Int32(UNSPECIFIED_BIT_RATE)
            parameters.iMinQp = Int32(qp)
            parameters.iMaxQp = Int32(qp)
            layer.pointee.iDLayerQp = Int32(qp)
            layer.pointee.iSpatialBitrate = 0
            layer.pointee.iMaxSpatialBitrate = Int32(UNSPECIFIED_BIT_RATE)
        case .bitrate(let bitsPerSecond):
            guard bitsPerSecond >= 10_000, bitsPerSecond <= Int(Int32.max) else {
                throw .invalidSetting(name: "bitsPerSecond", value: bitsPerSecond)
            }
            parameters.iRCMode = RC_BITRATE_MODE
            parameters.iTargetBitrate = Int32(bitsPerSecond)
            parameters.iMaxBitrate = Int32(UNSPECIFIED_BIT_RATE)
            parameters.iMinQp = 12
            parameters.iMaxQp = 42
            layer.pointee.iSpatialBitrate = Int32(bitsPerSecond)
            layer.pointee.iMaxSpatialBitrate = Int32(UNSPECIFIED_BIT_RATE)
        }
    }

    /// Encodes the next frame of the clip.
    ///
    /// - Throws: `VideoEncodingError.frameSizeMismatch` when `frame` is not this encoder's size,
    ///   `.frameSkipped` or `.encoderFailed` when openh264 does not produce the picture.
    public func encode(_ frame: PixelBuffer) throws(VideoEncodingError) -> EncodedVideoFrame {
        guard frame.width == width, frame.height == height else {
            throw .frameSizeMismatch(
                expectedWidth: width, expectedHeight: height, width: frame.width, height: frame.height)
        }
        planes.convert(frame)
        return try encodePlanes(planes)
    }

    /// Encodes the next frame of the clip from planes converted beforehand (perhaps on another
    /// thread, while the previous frame was being encoded): the same bytes as `encode(_:)` of the
    /// RGB frame the planes were converted from.
    ///
    /// - Throws: as `encode(_:)`.
    public func encode(planes frame: YUV420Frame) throws(VideoEncodingError) -> EncodedVideoFrame {
        guard frame.width == width, frame.height == height else {
            throw .frameSizeMismatch(
                expectedWidth: width, expectedHeight: height, width: frame.width, height: frame.height)
        }
        return try encodePlanes(frame)
    }

    private func encodePlanes(_ planes: YUV420Frame) throws(VideoEncodingError) -> EncodedVideoFrame {
        let index = frameIndex
        frameIndex += 1
        let chromaStride = Int32(planes.chromaWidth)
        let lumaStride = Int32(width)
        let pictureWidth = Int32(width)
        let pictureHeight = Int32(height)
        // Milliseconds, as openh264 wants; exact frame timing lives in the container, not here.
        let timestamp = Int64(index) * 1000 / Int64(frameRate)
        var info = SFrameBSInfo()
        // Built per call: its plane pointers are valid only inside `withPlanes`.
        var picture = SSourcePicture()
        let status = planes.withPlanes { y, u, v in
            copenh264_set_i420_planes(&picture, y, lumaStride, u, v, chromaStride)
            picture.iPicWidth = pictureWidth
            picture.iPicHeight = pictureHeight
            picture.uiTimeStamp = timestamp
            return copenh264_encode_frame(encoder, &picture, &info)
        }
        guard status == 0 else { throw .encoderFailed(operation: "EncodeFrame", status: Int(status)) }
        guard info.eFrameType != videoFrameTypeSkip, info.eFrameType != videoFrameTypeInvalid else {
            throw .frameSkipped(index: index)
        }
        return EncodedVideoFrame(nalUnits: Self.nalUnits(of: &info), isKeyframe: info.eFrameType == videoFrameTypeIDR)
    }

    /// The NAL units of every layer of `info`, start codes removed. The buffers belong to the
    /// encoder and are overwritten by the next call, so they are copied here.
    private static func nalUnits(of info: inout SFrameBSInfo) -> [[UInt8]] {
        var units: [[UInt8]] = []
        for layerIndex in 0..<Int(info.iLayerNum) {
            let layer = copenh264_frame_layer(&info, Int32(layerIndex))!.pointee
            guard var cursor = layer.pBsBuf, let lengths = layer.pNalLengthInByte else { continue }
            for nalIndex in 0..<Int(layer.iNalCount) {
                let length = Int(lengths[nalIndex])
                let bytes = UnsafeBufferPointer(start: cursor, count: length)
                cursor += length
                // Each NAL unit starts with a 3- or 4-byte start code: zeros, then a one.
                var start = 0
                while start < bytes.count, bytes[start] == 0 { start += 1 }
                guard start < bytes.count, bytes[start] == 1 else { continue }
                units.append(Array(bytes[(start + 1)...]))
            }
        }
        return units
    }
}
