import ImageCodecs
import Testing
import VideoCodecs

/// The codecs without external tools: determinism, the file layout, and errors as Swift values.
@Suite struct VideoEncoderTests {
    private static func clip(frames: Int, width: Int = 160, height: Int = 96, offset: Int = 0) -> [PixelBuffer] {
        (0..<frames).map { MovingTestPattern.frame($0 + offset, width: width, height: height) }
    }

    @Test func theSameFramesGiveTheSameBytes() throws {
        let frames = Self.clip(frames: 20, width: 320, height: 180)
        let first = try VideoEncoder.encodeMP4(frames: frames, fps: 24)
        let second = try VideoEncoder.encodeMP4(frames: frames, fps: 24)
        #expect(first == second)
        let bitrate = H264EncoderSettings(rateControl: .bitrate(bitsPerSecond: 300_000))
        #expect(
            try VideoEncoder.encodeMP4(frames: frames, fps: 24, settings: bitrate)
                == VideoEncoder.encodeMP4(frames: frames, fps: 24, settings: bitrate))
        #expect(try VideoEncoder.encodeGIF(frames: frames, fps: 24) == VideoEncoder.encodeGIF(frames: frames, fps: 24))
    }

    /// Clips are encoded side by side in the CPU pool: encoders share no state, so a clip's bytes
    /// do not depend on what else is being encoded.
    @Test func concurrentEncodesGiveTheSameBytesAsOneAtATime() async throws {
        let frames = Self.clip(frames: 8, width: 256, height: 144)
        let alone = try VideoEncoder.encodeMP4(frames: frames, fps: 24)
        let gifAlone = try VideoEncoder.encodeGIF(frames: frames, fps: 24)
        let results = try await withThrowingTaskGroup(of: ([UInt8], [UInt8]).self) { group in
            for _ in 0..<4 {
                group.addTask {
                    (
                        try VideoEncoder.encodeMP4(frames: frames, fps: 24),
                        try VideoEncoder.encodeGIF(frames: frames, fps: 24)
                    )
                }
            }
            return try await group.reduce(into: []) { $0.append($1) }
        }
        #expect(results.count == 4)
        #expect(results.allSatisfy { $0.0 == alone && $0.1 == gifAlone })
    }

    /// The quantiser is really pinned: with rate control off, file size follows the QP alone.
    @Test func lowerQPGivesLargerFiles() throws {
        let frames = Self.clip(frames: 6, width: 320, height: 180)
        let sizes = try [18, 26, 34, 42].map { qp in
            try VideoEncoder.encodeMP4(frames: frames, fps: 24, settings: .init(rateControl: .constantQP(qp))).count
        }
        #expect(sizes == sizes.sorted(by: >), "sizes by QP 18, 26, 34, 42: \(sizes)")
        #expect(Set(sizes).count == sizes.count)
    }

    @Test func differentFramesGiveDifferentBytes() throws {
        let a = try VideoEncoder.encodeMP4(frames: Self.clip(frames: 5), fps: 24)
        let b = try VideoEncoder.encodeMP4(frames: Self.clip(frames: 5, offset: 1), fps: 24)
        #expect(a != b)
    }

    @Test func streamingAndWholeClipAgree() throws {
        let frames = Self.clip(frames: 12)
        let builder = try MP4Builder(width: 160, height: 96, frameRate: 12)
        for frame in frames { try builder.append(frame) }
        #expect(builder.frameCount == 12)
        #expect(try builder.finish() == VideoEncoder.encodeMP4(frames: frames, fps: 12))
    }

    /// Top-level boxes in order, each size adding up to the file: ftyp, moov before mdat.
    @Test func moovComesBeforeMdat() throws {
        let bytes = try VideoEncoder.encodeMP4(frames: Self.clip(frames: 3), fps: 24)
        var offset = 0
        var types: [String] = []
        while offset + 8 <= bytes.count {
            let size = bytes[offset..<offset + 4].reduce(0) { $0 << 8 | Int($1) }
            types.append(String(decoding: bytes[offset + 4..<offset + 8], as: UTF8.self))
            #expect(size >= 8)
            offset += max(size, 8)
        }
        #expect(offset == bytes.count)
        #expect(types == ["ftyp", "moov", "mdat"])
    }

    @Test func annexBFramesStartWithParameterSetsAndAnIDR() throws {
        let encoder = try H264Encoder(width: 64, height: 48, frameRate: 10)
        let first = try encoder.encode(MovingTestPattern.frame(0, width: 64, height: 48))
        let second = try encoder.encode(MovingTestPattern.frame(1, width: 64, height: 48))
        #expect(first.isKeyframe)
        #expect(!second.isKeyframe)
        #expect(first.nalUnits.map { $0[0] & 0x1F } == [7, 8, 5])
        #expect(first.annexB.starts(with: [0, 0, 0, 1, first.nalUnits[0][0]]))
    }

    @Test func planesConvertedBeforehandEncodeToTheSameBytes() throws {
        let frames = (0..<5).map { MovingTestPattern.frame($0, width: 64, height: 48) }
        let fromPixels = try MP4Builder(width: 64, height: 48, frameRate: 10)
        let fromPlanes = try MP4Builder(width: 64, height: 48, frameRate: 10)
        for frame in frames {
            try fromPixels.append(frame)
            try fromPlanes.append(planes: YUV420Frame(frame))
        }
        #expect(try fromPlanes.finish() == fromPixels.finish())
        let encoder = try H264Encoder(width: 64, height: 48, frameRate: 10)
        #expect(
            throws: VideoEncodingError.frameSizeMismatch(expectedWidth: 64, expectedHeight: 48, width: 32, height: 48)
        ) {
            try encoder.encode(planes: YUV420Frame(width: 32, height: 48))
        }
    }

    @Test func oddSizesAreRefused() {
        #expect(throws: VideoEncodingError.oddDimensions(width: 101, height: 50)) {
            try VideoEncoder.encodeMP4(frames: [PixelBuffer(width: 101, height: 50)], fps: 24)
        }
        #expect(throws: VideoEncodingError.oddDimensions(width: 100, height: 51)) {
            try MP4Builder(width: 100, height: 51, frameRate: 24)
        }
    }

    @Test func errorsAreSwiftValues() throws {
        #expect(throws: VideoEncodingError.noFrames) { try VideoEncoder.encodeMP4(frames: [], fps: 24) }
        #expect(throws: VideoEncodingError.noFrames) { try VideoEncoder.encodeGIF(frames: [], fps: 24) }
        #expect(throws: VideoEncodingError.unsupportedFrameRate(0)) {
            try VideoEncoder.encodeMP4(frames: Self.clip(frames: 1), fps: 0)
        }
        #expect(throws: VideoEncodingError.dimensionsTooSmall(width: 16, height: 14)) {
            try MP4Builder(width: 16, height: 14, frameRate: 24)
        }
        #expect(throws: VideoEncodingError.dimensionsTooLarge(width: 8192, height: 64)) {
            try MP4Builder(width: 8192, height: 64, frameRate: 24)
        }
        #expect(throws: VideoEncodingError.invalidSetting(name: "qp", value: 60)) {
            try MP4Builder(width: 64, height: 64, frameRate: 24, settings: .init(rateControl: .constantQP(60)))
        }
        #expect(
            throws: VideoEncodingError.frameSizeMismatch(expectedWidth: 160, expectedHeight: 96, width: 64, height: 64)
        ) {
            try VideoEncoder.encodeMP4(frames: Self.clip(frames: 1) + [PixelBuffer(width: 64, height: 64)], fps: 24)
        }
        let builder = try MP4Builder(width: 64, height: 64, frameRate: 24)
        #expect(throws: VideoEncodingError.noFrames) { try builder.finish() }
        #expect(throws: VideoEncodingError.alreadyFinished) { try builder.append(PixelBuffer(width: 64, height: 64)) }
    }
}
