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

    /// zlib level, 0 (stored) … 9.
    public var level: Int
    public var strategy: Strategy
    public var filters: Filters

    public init(level: Int, strategy: Strategy, filters: Filters) {
        self.level = level
        self.strategy = strategy
        self.filters = filters
    }

    /// What `ImageEncoder.encode(_:as:parameters:)` uses: level 1, run-length strategy, Up filter.
    /// Chosen by measurement (see the benchmark test): within ~2–3× of a stored encode, far smaller.
    public static let standard = PNGCompression(level: 1, strategy: .runLength, filters: .up)

    /// Level 0: deflate "stored" blocks, no filtering — the speed baseline.
    public static let stored = PNGCompression(level: 0, strategy: .standard, filters: .none)

    /// zlib memLevel, windowBits and the IDAT chunk size: fixed, not configurable.
    static let memLevel: Int32 = 8
    static let windowBits: Int32 = 15
    static let idatSize = 65536
}
