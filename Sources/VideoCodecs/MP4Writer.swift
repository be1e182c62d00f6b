/// A small ISO BMFF (MP4) writer for one H.264 video track, with `moov` before `mdat`
/// ("fast start": a browser can start playing and seeking while the rest downloads).
///
/// Layout: `ftyp`, `moov` (`mvhd`, `trak` → `tkhd`, `mdia` → `mdhd`, `hdlr`, `minf` → `vmhd`,
/// `dinf`/`dref`, `stbl` → `stsd`/`avc1`/`avcC`, `stts`, `stss`, `stsc`, `stsz`, `stco`), `mdat`.
/// Samples are AVCC (4-byte big-endian length before each NAL unit); the SPS and PPS live only in
/// `avcC`, so they are taken out of the samples. All samples form one chunk.
///
/// Timing is exact: the timescale is `frameRate × 1000` and every sample lasts 1000 ticks, so
/// `frames / frameRate` seconds is represented without rounding in `mvhd`, `tkhd` and `mdhd`.
/// There are no B-frames (Baseline profile), so decode and presentation order agree and no `ctts`
/// or edit list is needed. Creation times are zero: the same samples give the same file.
public struct MP4Writer: Sendable {
    public let width: Int
    public let height: Int
    public let frameRate: Int

    private var sequenceParameterSet: [UInt8]?
    private var pictureParameterSet: [UInt8]?
    private var mediaData: [UInt8] = []
    private var sampleSizes: [UInt32] = []
    /// 1-based sample numbers of the IDR frames, as `stss` lists them.
    private var syncSamples: [UInt32] = []

    /// Ticks per frame; the timescale is `frameRate` times this.
    static let ticksPerFrame: UInt32 = 1000

    /// - Throws: `.dimensionsTooLarge` past the 16-bit sizes of the sample entry,
    ///   `.unsupportedFrameRate` outside `VideoEncoder.supportedFrameRates`.
    public init(width: Int, height: Int, frameRate: Int) throws(VideoEncodingError) {
        try VideoEncoder.checkContainerLimits(width: width, height: height, frameRate: frameRate)
        self.width = width
        self.height = height
        self.frameRate = frameRate
    }

    /// Frames appended so far.
    public var frameCount: Int { sampleSizes.count }

    /// Appends one frame as the next sample, lasting `1 / frameRate` seconds.
    ///
    /// - Throws: `.missingOrChangedParameterSets` when the first frame carries no SPS/PPS or a
    ///   later one carries different ones (a single `avcC` describes the whole track).
    public mutating func append(_ frame: EncodedVideoFrame) throws(VideoEncodingError) {
        var sample: [UInt8] = []
        var sequenceParameterSet = self.sequenceParameterSet
        var pictureParameterSet = self.pictureParameterSet
        for unit in frame.nalUnits where !unit.isEmpty {
            switch NALUnitType.of(unit) {
            case NALUnitType.sequenceParameterSet.rawValue:
                try Self.keep(unit, in: &sequenceParameterSet)
            case NALUnitType.pictureParameterSet.rawValue:
                try Self.keep(unit, in: &pictureParameterSet)
            default:
                let length = UInt32(unit.count)
                sample.append(contentsOf: [
                    UInt8(length >> 24), UInt8((length >> 16) & 0xFF), UInt8((length >> 8) & 0xFF),
                    UInt8(length & 0xFF),
                ])
                sample.append(contentsOf: unit)
            }
        }
        guard sequenceParameterSet != nil, pictureParameterSet != nil else { throw .missingOrChangedParameterSets }
        // Leave room below 4 GiB for the header: 32-bit mdat size and chunk offset.
        guard mediaData.count + sample.count < Int(UInt32.max) - (1 << 24) else { throw .fileTooLarge }
        self.sequenceParameterSet = sequenceParameterSet
        self.pictureParameterSet = pictureParameterSet
        mediaData.append(contentsOf: sample)
        sampleSizes.append(UInt32(sample.count))
        if frame.isKeyframe { syncSamples.append(UInt32(sampleSizes.count)) }
    }

    private static func keep(_ unit: [UInt8], in slot: inout [UInt8]?) throws(VideoEncodingError) {
        if let existing = slot {
            guard existing == unit else { throw .missingOrChangedParameterSets }
        } else {
            slot = unit
        }
    }

    /// The complete file.
    ///
    /// - Throws: `.noFrames` before the first `append`.
    public func finish() throws(VideoEncodingError) -> [UInt8] {
        guard let sps = sequenceParameterSet, let pps = pictureParameterSet, !sampleSizes.isEmpty else {
            throw .noFrames
        }
        // The chunk offset is where mdat's payload starts, which depends on moov's size; moov's size
        // does not depend on the offset's value, so write it once to measure and once for real.
        let measured = header(sps: sps, pps: pps, chunkOffset: 0)
        let mdatHeaderSize = 8
        let header = header(sps: sps, pps: pps, chunkOffset: UInt32(measured.count + mdatHeaderSize))
        var file = header
        file.reserveCapacity(header.count + mdatHeaderSize + mediaData.count)
        var mdatHeader = ISOBoxWriter()
        mdatHeader.uint32(UInt32(mdatHeaderSize + mediaData.count))
        mdatHeader.fourCC("mdat")
        file.append(contentsOf: mdatHeader.bytes)
        file.append(contentsOf: mediaData)
        return file
    }

    /// `ftyp` and `moov`.
    private func header(sps: [UInt8], pps: [UInt8], chunkOffset: UInt32) -> [UInt8] {
        let timescale = UInt32(frameRate) * Self.ticksPerFrame
        let duration = UInt32(sampleSizes.count) * Self.ticksPerFrame
        var writer = ISOBoxWriter()
        writer.box("ftyp") { ftyp in
            ftyp.fourCC("isom")
            ftyp.uint32(0x200)
            for brand in ["isom", "iso2", "avc1", "mp41"] { ftyp.fourCC(brand) }
        }
        writer.box("moov") { moov in
            moov.fullBox("mvhd") { mvhd in
                mvhd.uint32(0)  // creation time
                mvhd.uint32(0)  // modification time
                mvhd.uint32(timescale)
                mvhd.uint32(duration)
                mvhd.uint32(0x0001_0000)  // rate 1.0
                mvhd.uint16(0x0100)  // volume 1.0
                mvhd.zeros(10)
                mvhd.unityMatrix()
                mvhd.zeros(24)  // pre_defined
                mvhd.uint32(2)  // next track id
            }
            moov.box("trak") { trak in
                trak.fullBox("tkhd", flags: 0x3) { tkhd in  // enabled, in movie
                    tkhd.uint32(0)
                    tkhd.uint32(0)
                    tkhd.uint32(1)  // track id
                    tkhd.uint32(0)
                    tkhd.uint32(duration)  // in the movie timescale, which equals the media's
                    tkhd.zeros(8)
                    tkhd.uint16(0)  // layer
                    tkhd.uint16(0)  // alternate group
                    tkhd.uint16(0)  // volume: video
                    tkhd.uint16(0)
                    tkhd.unityMatrix()
                    tkhd.uint32(UInt32(width) << 16)
                    tkhd.uint32(UInt32(height) << 16)
                }
                trak.box("mdia") { mdia in
                    mdia.fullBox("mdhd") { mdhd in
                        mdhd.uint32(0)
                        mdhd.uint32(0)
                        mdhd.uint32(timescale)
                        mdhd.uint32(duration)
                        mdhd.uint16(0x55C4)  // language "und", packed ISO 639-2
                        mdhd.uint16(0)
                    }
                    mdia.fullBox("hdlr") { hdlr in
                        hdlr.uint32(0)
                        hdlr.fourCC("vide")
                        hdlr.zeros(12)
                        hdlr.append(Array("VideoHandler".utf8) + [0])
                    }
                    mdia.box("minf") { minf in
                        minf.fullBox("vmhd", flags: 1) { vmhd in vmhd.zeros(8) }
                        minf.box("dinf") { dinf in
                            dinf.fullBox("dref") { dref in
                                dref.uint32(1)
                                dref.fullBox("url ", flags: 1) { _ in }  // media in this file
                            }
                        }
                        minf.box("stbl") { stbl in
                            writeSampleTable(&stbl, sps: sps, pps: pps, chunkOffset: chunkOffset)
                        }
                    }
                }
            }
        }
        return writer.bytes
    }

    private func writeSampleTable(_ stbl: inout ISOBoxWriter, sps: [UInt8], pps: [UInt8], chunkOffset: UInt32) {
        stbl.fullBox("stsd") { stsd in
            stsd.uint32(1)
            stsd.box("avc1") { avc1 in
                avc1.zeros(6)
                avc1.uint16(1)  // data reference index
                avc1.zeros(16)
                avc1.uint16(UInt16(width))
                avc1.uint16(UInt16(height))
                avc1.uint32(0x0048_0000)  // 72 dpi
                avc1.uint32(0x0048_0000)
                avc1.uint32(0)
                avc1.uint16(1)  // frames per sample
                avc1.zeros(32)  // compressor name
                avc1.uint16(0x0018)  // depth: colour, no alpha
                avc1.uint16(0xFFFF)  // pre_defined -1
                avc1.box("avcC") { avcC in
                    avcC.uint8(1)  // configuration version
                    avcC.uint8(sps.count > 1 ? sps[1] : 66)  // profile
                    avcC.uint8(sps.count > 2 ? sps[2] : 0)  // profile compatibility
                    avcC.uint8(sps.count > 3 ? sps[3] : 0)  // level
                    avcC.uint8(0xFF)  // 4-byte NAL lengths
                    avcC.uint8(0xE1)  // one SPS
                    avcC.uint16(UInt16(sps.count))
                    avcC.append(sps)
                    avcC.uint8(1)  // one PPS
                    avcC.uint16(UInt16(pps.count))
                    avcC.append(pps)
                }
            }
        }
        stbl.fullBox("stts") { stts in
            stts.uint32(1)
            stts.uint32(UInt32(sampleSizes.count))
            stts.uint32(Self.ticksPerFrame)
        }
        stbl.fullBox("stss") { stss in
            stss.uint32(UInt32(syncSamples.count))
            for sample in syncSamples { stss.uint32(sample) }
        }
        stbl.fullBox("stsc") { stsc in
            stsc.uint32(1)
            stsc.uint32(1)  // from chunk 1,
            stsc.uint32(UInt32(sampleSizes.count))  // every sample in one chunk
            stsc.uint32(1)  // sample description 1
        }
        stbl.fullBox("stsz") { stsz in
            stsz.uint32(0)  // sizes vary
            stsz.uint32(UInt32(sampleSizes.count))
            for size in sampleSizes { stsz.uint32(size) }
        }
        stbl.fullBox("stco") { stco in
            stco.uint32(1)
            stco.uint32(chunkOffset)
        }
    }
}
