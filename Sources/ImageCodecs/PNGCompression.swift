/// The zlib and filter settings of a PNG encode. Every field is pinned so output is byte-stable.
public struct PNGCompression: Sendable, Hashable {
    /// zlib's deflate strategy.
    public enum Strategy: Int32, Sendable, CaseIterable {
        case standard = 0  // Z_DEFAULT_STRATEGY
        case filtered = 1  // Z_FILTERED
        case huffmanOnly = 2  // Z_HUFFMAN_ONLY
        case runLength = 3  // Z_RLE
        case fixed = 4  // Z_FIXED
    }

    /// The PNG row filters libpng may choose from (several = libpng's heuristic picks per row).
    public struct Filters: OptionSet, Sendable, Hashable {
        public let rawValue: Int32
        public init(rawValue: Int32) { self.rawValue = rawValue }
        public static let none = Filters(rawValue: 0x08)
        public static let sub = Filters(rawValue: 0x10)
        public static let up = Filters(rawValue: 0x20)
        public static let average = Filters(rawValue: 0x40)
        public static let paeth = Filters(rawValue: 0x80)
        public static let all: Filters = [.none, .sub, .up, .average, .paeth]
    }

    /// Who writes the file and deflates the rows.
    public enum Deflater: Sendable, Hashable, CaseIterable {
        /// libpng and zlib, with `level`, `strategy` and `filters` as given.
        case zlib
        /// The mock's own writer (CImageShims `cis_png_encode_segmented`): one filter for every row
        /// (`filters` must be exactly `.none`, `.sub` or `.up`), rows deflated in segments of 256
        /// on up to one thread per core — literals and runs of the previous byte (what zlib's
        /// `Z_RLE` finds), one dynamic Huffman block per segment. `level` and `strategy` are not used.
        ///
        /// Per segment, without a branch per byte: one pass over the filtered rows in 4 KiB chunks
        /// takes the Adler-32 (SSE2 `psadbw`/`pmaddwd` on x86-64), a histogram of one 64-byte line
        /// in four (scaled: the counts only shape the codes, and every byte value gets one) and a
        /// bit per byte, "equals the byte before" (SSE2 compare and movemask, 16 bytes per step);
        /// the stretches of ≥ 3 such bits, found a 64-bit word at a time, become runs where their
        /// literals would cost more (integer cost estimates from the histogram), and the bytes they
        /// cover come off it; the writing pass puts three literals per 8-byte store. On a rendered
        /// 1024² image: ~0.6× the CPU time of the byte-by-byte encoder before it, files ~7 %
        /// smaller; sampling the histogram and the SSE2 compare took another ~24 % off (files
        /// +0.3 %).
        case segmentedHuffman
    }

    /// zlib level, 0 (stored) … 9.
    public var level: Int
    public var strategy: Strategy
    public var filters: Filters
    public var deflater: Deflater

    public init(level: Int, strategy: Strategy, filters: Filters, deflater: Deflater = .zlib) {
        self.level = level
        self.strategy = strategy
        self.filters = filters
        self.deflater = deflater
    }

    /// What `ImageEncoder.encode(_:as:parameters:)` uses: the Up filter and the segmented Huffman
    /// deflater. Chosen by measurement (BENCHMARKS.md, part (d)): on a rendered 1024² image it
    /// costs about a quarter of the CPU of libpng + zlib level 1 `Z_RLE` Up (`zlibRunLength`, the
    /// setting before it) for a file a few % smaller, and it spreads over the cores.
    public static let standard = PNGCompression(
        level: 1, strategy: .runLength, filters: .up, deflater: .segmentedHuffman)

    /// libpng + zlib level 1, run-length strategy, Up filter: the setting before `standard` and
    /// what its speed is compared with.
    public static let zlibRunLength = PNGCompression(level: 1, strategy: .runLength, filters: .up)

    /// Level 0: deflate "stored" blocks, no filtering — the speed baseline.
    public static let stored = PNGCompression(level: 0, strategy: .standard, filters: .none)

    /// zlib memLevel, windowBits and the IDAT chunk size: fixed, not configurable.
    static let memLevel: Int32 = 8
    static let windowBits: Int32 = 15
    static let idatSize = 65536
}
