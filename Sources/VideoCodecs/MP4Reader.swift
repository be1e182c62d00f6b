/// A small ISO-BMFF (MP4) reader: the first video track's size, timing, sample table and H.264
/// parameter sets, read from `ftyp` / `moov` / `trak` / `tkhd` / `mdhd` / `hdlr` / `stsd` (`avc1` →
/// `avcC`) / `stts` / `stsz` / `stsc` / `stco` / `co64`. It reads what ffmpeg, phones and this
/// package's own `MP4Writer` produce; fragmented files (`moof`) and edit lists are not followed.
/// Every offset and count is checked against the file: a cut or hostile file is an error, never
/// a trap.
public struct MP4Reader: Sendable {
    /// The first video track.
    public let width: Int
    public let height: Int
    /// The media time scale (ticks a second) and the track's length in those ticks.
    public let timescale: Int
    public let durationTicks: Int
    /// Each sample's length in ticks (`stts` expanded), in decoding order.
    public let sampleDurations: [Int]
    /// Each sample's place in the file.
    public let sampleRanges: [Range<Int>]
    /// The sample entry's four-character code (`avc1`, `hvc1`, `mp4v` …).
    public let codec: String
    /// For `avc1`/`avc3`: the sequence and picture parameter sets and the NAL length size.
    public let sequenceParameterSets: [[UInt8]]
    public let pictureParameterSets: [[UInt8]]
    public let nalLengthSize: Int

    public var frameCount: Int { sampleRanges.count }
    public var durationSeconds: Double { timescale > 0 ? Double(durationTicks) / Double(timescale) : 0 }
    /// The rate the samples' mean duration gives, rounded to whole frames a second (at least 1).
    public var framesPerSecond: Int {
        let total = sampleDurations.reduce(0, +)
        guard total > 0, timescale > 0 else { return 1 }
        return max(1, Int((Double(frameCount) * Double(timescale) / Double(total)).rounded()))
    }

    public struct Failure: Error, Sendable, CustomStringConvertible {
        public let description: String
        init(_ description: String) { self.description = description }
    }

    /// Whether `bytes` start like an MP4 (or QuickTime) file: a `ftyp` box first.
    public static func looksLikeMP4(_ bytes: [UInt8]) -> Bool {
        bytes.count >= 12 && bytes[4] == 0x66 && bytes[5] == 0x74 && bytes[6] == 0x79 && bytes[7] == 0x70
    }

    public init(_ bytes: [UInt8]) throws(Failure) {
        guard Self.looksLikeMP4(bytes) else { throw Failure("not an MP4 file (no ftyp box at the start)") }
        let top = try Self.boxes(bytes, in: 0..<bytes.count)
        guard let moov = top.first(where: { $0.type == "moov" }) else { throw Failure("no moov box") }
        var video: Range<Int>?
        for trak in try Self.boxes(bytes, in: moov.body) where trak.type == "trak" {
            guard let mdia = try Self.child("mdia", of: trak.body, in: bytes),
                let hdlr = try Self.child("hdlr", of: mdia, in: bytes), hdlr.count >= 12
            else { continue }
            if Self.fourCC(bytes, at: hdlr.lowerBound + 8) == "vide" {
                video = trak.body
                break
            }
        }
        guard let trak = video else { throw Failure("no video track") }
        guard let tkhd = try Self.child("tkhd", of: trak, in: bytes), tkhd.count >= 84 else {
            throw Failure("no track header")
        }
        // tkhd: version 1 has 64-bit times; width and height are the last 8 bytes, 16.16 fixed.
        width = Int(Self.uint32(bytes, at: tkhd.upperBound - 8) >> 16)
        height = Int(Self.uint32(bytes, at: tkhd.upperBound - 4) >> 16)
        guard let mdia = try Self.child("mdia", of: trak, in: bytes),
            let mdhd = try Self.child("mdhd", of: mdia, in: bytes), mdhd.count >= 24
        else { throw Failure("no media header") }
        if bytes[mdhd.lowerBound] == 1 {
            guard mdhd.count >= 36 else { throw Failure("media header cut short") }
            timescale = Int(Self.uint32(bytes, at: mdhd.lowerBound + 20))
            durationTicks = Int(clamping: Self.uint64(bytes, at: mdhd.lowerBound + 24))
        } else {
            timescale = Int(Self.uint32(bytes, at: mdhd.lowerBound + 12))
            durationTicks = Int(Self.uint32(bytes, at: mdhd.lowerBound + 16))
        }
        guard let minf = try Self.child("minf", of: mdia, in: bytes),
            let stbl = try Self.child("stbl", of: minf, in: bytes)
        else { throw Failure("no sample table") }
        let table = try Self.boxes(bytes, in: stbl)
        func box(_ type: String) -> Range<Int>? { table.first { $0.type == type }?.body }

        // stsd: the first sample entry; for AVC its avcC after the 78-byte visual sample entry.
        guard let stsd = box("stsd"), stsd.count >= 16 else { throw Failure("no sample description") }
        let entry = stsd.lowerBound + 8
        let entrySize = Int(Self.uint32(bytes, at: entry))
        guard entrySize >= 8, entry + entrySize <= stsd.upperBound else { throw Failure("sample entry cut short") }
        codec = Self.fourCC(bytes, at: entry + 4)
        var sps: [[UInt8]] = []
        var pps: [[UInt8]] = []
        var lengthSize = 4
        if codec == "avc1" || codec == "avc3", entrySize > 86,
            let avcC = try Self.boxes(bytes, in: entry + 86..<entry + entrySize).first(where: { $0.type == "avcC" })?
                .body
        {
            (sps, pps, lengthSize) = try Self.parameterSets(bytes, avcC)
        }
        sequenceParameterSets = sps
        pictureParameterSets = pps
        nalLengthSize = lengthSize

        // stts: (count, delta) runs.
        guard let stts = box("stts"), stts.count >= 8 else { throw Failure("no decoding times (stts)") }
        let runs = Int(Self.uint32(bytes, at: stts.lowerBound + 4))
        guard runs <= (stts.count - 8) / 8 else { throw Failure("stts cut short") }
        var durations: [Int] = []
        for run in 0..<runs {
            let count = Int(Self.uint32(bytes, at: stts.lowerBound + 8 + run * 8))
            let delta = Int(Self.uint32(bytes, at: stts.lowerBound + 12 + run * 8))
            guard durations.count + count <= bytes.count else { throw Failure("stts counts more samples than bytes") }
            durations += repeatElement(delta, count: count)
        }

        // stsz: one size for all, or a table.
        guard let stsz = box("stsz"), stsz.count >= 12 else { throw Failure("no sample sizes (stsz)") }
        let fixed = Int(Self.uint32(bytes, at: stsz.lowerBound + 4))
        let sampleCount = Int(Self.uint32(bytes, at: stsz.lowerBound + 8))
        guard sampleCount <= bytes.count, fixed != 0 || sampleCount <= (stsz.count - 12) / 4 else {
            throw Failure("stsz cut short")
        }
        let sizes = (0..<sampleCount).map {
            fixed != 0 ? fixed : Int(Self.uint32(bytes, at: stsz.lowerBound + 12 + $0 * 4))
        }

        // stco / co64: chunk offsets; stsc: (first chunk, samples per chunk) runs.
        var chunkOffsets: [Int] = []
        if let stco = box("stco"), stco.count >= 8 {
            let count = Int(Self.uint32(bytes, at: stco.lowerBound + 4))
            guard count <= (stco.count - 8) / 4 else { throw Failure("stco cut short") }
            chunkOffsets = (0..<count).map { Int(Self.uint32(bytes, at: stco.lowerBound + 8 + $0 * 4)) }
        } else if let co64 = box("co64"), co64.count >= 8 {
            let count = Int(Self.uint32(bytes, at: co64.lowerBound + 4))
            guard count <= (co64.count - 8) / 8 else { throw Failure("co64 cut short") }
            chunkOffsets = (0..<count).map { Int(clamping: Self.uint64(bytes, at: co64.lowerBound + 8 + $0 * 8)) }
        } else {
            throw Failure("no chunk offsets (stco)")
        }
        guard let stsc = box("stsc"), stsc.count >= 8 else { throw Failure("no sample-to-chunk table (stsc)") }
        let stscCount = Int(Self.uint32(bytes, at: stsc.lowerBound + 4))
        guard stscCount <= (stsc.count - 8) / 12 else { throw Failure("stsc cut short") }
        let stscRuns = (0..<stscCount).map {
            (
                first: Int(Self.uint32(bytes, at: stsc.lowerBound + 8 + $0 * 12)),
                perChunk: Int(Self.uint32(bytes, at: stsc.lowerBound + 12 + $0 * 12))
            )
        }
        var ranges: [Range<Int>] = []
        ranges.reserveCapacity(sampleCount)
        var sample = 0
        var run = 0
        for (chunkIndex, offset) in chunkOffsets.enumerated() where sample < sampleCount {
            // The runs are in chunk order: one pass over both (a hostile table stays linear).
            let chunk = chunkIndex + 1
            while run + 1 < stscRuns.count, stscRuns[run + 1].first <= chunk { run += 1 }
            let perChunk = stscRuns.isEmpty || stscRuns[run].first > chunk ? 0 : stscRuns[run].perChunk
            var position = offset
            for _ in 0..<min(perChunk, sampleCount - sample) {
                let end = position + sizes[sample]
                guard position >= 0, end <= bytes.count else {
                    throw Failure("sample \(sample + 1) lies past the end")
                }
                ranges.append(position..<end)
                position = end
                sample += 1
            }
        }
        guard ranges.count == sampleCount else {
            throw Failure("the chunks hold \(ranges.count) of \(sampleCount) samples")
        }
        sampleRanges = ranges
        sampleDurations =
            durations.count == sampleCount ? durations : Array(repeating: durations.first ?? 1, count: sampleCount)
    }

    /// One sample's NAL units (length-prefixed in the file), each without its prefix.
    public func nalUnits(ofSample index: Int, in bytes: [UInt8]) -> [ArraySlice<UInt8>] {
        let range = sampleRanges[index]
        var units: [ArraySlice<UInt8>] = []
        var position = range.lowerBound
        while position + nalLengthSize <= range.upperBound {
            var length = 0
            for i in 0..<nalLengthSize { length = length << 8 | Int(bytes[position + i]) }
            position += nalLengthSize
            guard length > 0, position + length <= range.upperBound else { break }
            units.append(bytes[position..<position + length])
            position += length
        }
        return units
    }

    /// One sample as an Annex B stream (start codes), parameter sets first on the first sample:
    /// what a decoder takes.
    public func annexB(ofSample index: Int, in bytes: [UInt8]) -> [UInt8] {
        var out: [UInt8] = []
        let startCode: [UInt8] = [0, 0, 0, 1]
        if index == 0 {
            for set in sequenceParameterSets + pictureParameterSets { out += startCode + set }
        }
        for unit in nalUnits(ofSample: index, in: bytes) { out += startCode + unit }
        return out
    }

    // MARK: boxes

    struct Box {
        var type: String
        var body: Range<Int>
    }

    static func boxes(_ bytes: [UInt8], in range: Range<Int>) throws(Failure) -> [Box] {
        var result: [Box] = []
        var position = range.lowerBound
        while position + 8 <= range.upperBound {
            var size = Int(uint32(bytes, at: position))
            var header = 8
            if size == 1 {
                guard position + 16 <= range.upperBound else { throw Failure("a box header is cut short") }
                size = Int(clamping: uint64(bytes, at: position + 8))
                header = 16
            } else if size == 0 {
                size = range.upperBound - position
            }
            guard size >= header, size <= range.upperBound - position else {
                throw Failure("the \(fourCC(bytes, at: position + 4)) box at \(position) runs past its parent")
            }
            result.append(Box(type: fourCC(bytes, at: position + 4), body: position + header..<position + size))
            position += size
        }
        return result
    }

    static func child(_ type: String, of range: Range<Int>, in bytes: [UInt8]) throws(Failure) -> Range<Int>? {
        try boxes(bytes, in: range).first { $0.type == type }?.body
    }

    static func parameterSets(_ bytes: [UInt8], _ avcC: Range<Int>) throws(Failure) -> ([[UInt8]], [[UInt8]], Int) {
        guard avcC.count >= 7 else { throw Failure("avcC cut short") }
        let lengthSize = Int(bytes[avcC.lowerBound + 4] & 3) + 1
        var position = avcC.lowerBound + 5
        func sets(count: Int) throws(Failure) -> [[UInt8]] {
            var out: [[UInt8]] = []
            for _ in 0..<count {
                guard position + 2 <= avcC.upperBound else { throw Failure("avcC cut short") }
                let length = Int(bytes[position]) << 8 | Int(bytes[position + 1])
                position += 2
                guard position + length <= avcC.upperBound else { throw Failure("avcC cut short") }
                out.append(Array(bytes[position..<position + length]))
                position += length
            }
            return out
        }
        let spsCount = Int(bytes[position] & 0x1F)
        position += 1
        let sps = try sets(count: spsCount)
        guard position < avcC.upperBound else { throw Failure("avcC cut short") }
        let ppsCount = Int(bytes[position])
        position += 1
        return (sps, try sets(count: ppsCount), lengthSize)
    }

    static func uint32(_ bytes: [UInt8], at offset: Int) -> UInt32 {
        guard offset >= 0, offset + 4 <= bytes.count else { return 0 }
        return UInt32(bytes[offset]) << 24 | UInt32(bytes[offset + 1]) << 16 | UInt32(bytes[offset + 2]) << 8
            | UInt32(bytes[offset + 3])
    }

    static func uint64(_ bytes: [UInt8], at offset: Int) -> UInt64 {
        UInt64(uint32(bytes, at: offset)) << 32 | UInt64(uint32(bytes, at: offset + 4))
    }

    static func fourCC(_ bytes: [UInt8], at offset: Int) -> String {
        guard offset >= 0, offset + 4 <= bytes.count else { return "????" }
        return String(decoding: bytes[offset..<offset + 4].map { (32...126).contains($0) ? $0 : 0x3F }, as: UTF8.self)
    }
}
