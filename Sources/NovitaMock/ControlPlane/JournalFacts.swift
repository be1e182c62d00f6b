import MicroHTTP

/// What a journal entry keeps of the request as sent — its method, path, key, test id, query and
/// headers — as bytes the journal writes into its own memory (no allocation, no reference to
/// storage other requests share: counting references to a finished task's body on every poll was
/// a cache line both poll threads wrote), turned back into strings only when the journal is read
/// (every poll is journaled, few are read). The response body is kept beside them
/// (`RequestJournal.append`), once for the entries that sent the same one.
///
/// Layout (`JournalFactsWriter`): method, path, key, test id as fields, then the query and the
/// headers, each a count followed by name and value fields. A field is its length (UInt32,
/// little-endian; `absent` for nil) and its bytes.
struct JournalFacts: Sendable {
    private let bytes: [UInt8]
    fileprivate static let absent = UInt32.max

    /// Facts as the journal wrote them (`JournalFactsSource`).
    init(bytes: [UInt8]) {
        self.bytes = bytes
    }

    var byteCount: Int { bytes.count }

    var method: String {
        var reader = reader()
        return reader.field() ?? ""
    }
    var path: String {
        var reader = reader()
        reader.skip(1)
        return reader.field() ?? ""
    }
    var apiKey: String? {
        var reader = reader()
        reader.skip(2)
        return reader.field()
    }
    var testID: String? {
        var reader = reader()
        reader.skip(3)
        return reader.field()
    }

    var query: [(name: String, value: String)] {
        var reader = reader()
        reader.skip(4)
        return reader.pairs()
    }

    var headers: [(name: String, value: String)] {
        var reader = reader()
        reader.skip(4)
        reader.skip(2 * reader.count())
        return reader.pairs()
    }

    private func reader() -> Reader { Reader(bytes: bytes) }

    private struct Reader {
        let bytes: [UInt8]
        var offset = 0

        mutating func length() -> UInt32 {
            guard offset + 4 <= bytes.count else { return 0 }
            let value =
                UInt32(bytes[offset]) | UInt32(bytes[offset + 1]) << 8 | UInt32(bytes[offset + 2]) << 16
                | UInt32(bytes[offset + 3]) << 24
            offset += 4
            return value
        }

        mutating func field() -> String? {
            let count = length()
            guard count != JournalFacts.absent else { return nil }
            let end = min(offset + Int(count), bytes.count)
            defer { offset = end }
            return String(decoding: bytes[offset..<end], as: UTF8.self)
        }

        mutating func count() -> Int { Int(length()) }

        mutating func skip(_ fields: Int) {
            for _ in 0..<fields {
                let count = length()
                if count != JournalFacts.absent { offset = min(offset + Int(count), bytes.count) }
            }
        }

        mutating func pairs() -> [(name: String, value: String)] {
            (0..<count()).map { _ in (field() ?? "", field() ?? "") }
        }
    }
}

/// What a journal entry's facts are written from: measured, then written straight into the
/// journal's memory (`RequestJournal.append`).
protocol JournalFactsSource {
    /// The bytes `write` writes.
    var byteCount: Int { get }
    func write(_ writer: inout JournalFactsWriter)
}

/// A request the pipeline handled.
struct PipelineFacts: JournalFactsSource {
    let method: String
    let path: String
    let apiKey: String?
    let testID: String?
    let query: [(name: String, value: String)]
    let headers: HTTPHeaders

    var byteCount: Int {
        var size = JournalFactsWriter.leadBytes(method, path, apiKey, testID)
        for (name, value) in query { size += 8 + name.utf8.count + value.utf8.count }
        for (name, value) in headers.fields { size += 8 + name.utf8.count + value.utf8.count }
        return size
    }

    func write(_ writer: inout JournalFactsWriter) {
        writer.lead(method, path, apiKey, testID)
        writer.count(query.count)
        for (name, value) in query {
            writer.string(name)
            writer.string(value)
        }
        writer.count(headers.fields.count)
        for (name, value) in headers.fields {
            writer.string(name)
            writer.string(value)
        }
    }
}

/// A request answered from its head (`EarlyResponder`): libmicrohttpd's bytes, copied without
/// a string in between. Valid while the responder's call lasts.
struct BorrowedFacts: JournalFactsSource {
    let method: String
    /// The path, the key and the test id as the bytes sent: no string is made for them.
    let path: UnsafeRawBufferPointer
    let apiKey: UnsafeRawBufferPointer?
    let testID: UnsafeRawBufferPointer?
    let query: UnsafeBufferPointer<BorrowedField>
    let headers: UnsafeBufferPointer<BorrowedField>

    var byteCount: Int {
        var size = JournalFactsWriter.fixedBytes + method.utf8.count + path.count
        size += (apiKey?.count ?? 0) + (testID?.count ?? 0)
        for field in query { size += 8 + field.name.count + field.value.count }
        for field in headers { size += 8 + field.name.count + field.value.count }
        return size
    }

    func write(_ writer: inout JournalFactsWriter) {
        writer.string(method)
        writer.raw(path)
        writer.raw(apiKey)
        writer.raw(testID)
        writer.fields(query)
        writer.fields(headers)
    }
}

/// Writes facts' fields one after another at `out` (`JournalFacts` reads them back).
struct JournalFactsWriter {
    /// The lengths and counts every entry has: four fields and two counts.
    static let fixedBytes = 4 * 6

    let out: UnsafeMutableRawPointer
    private(set) var offset = 0

    init(into out: UnsafeMutableRawPointer) {
        self.out = out
    }

    /// What `lead` writes for these, and the other lengths and counts every entry has.
    static func leadBytes(_ method: String, _ path: String, _ apiKey: String?, _ testID: String?) -> Int {
        fixedBytes + method.utf8.count + path.utf8.count + (apiKey?.utf8.count ?? 0) + (testID?.utf8.count ?? 0)
    }

    /// The fields every entry starts with.
    mutating func lead(_ method: String, _ path: String, _ apiKey: String?, _ testID: String?) {
        string(method)
        string(path)
        string(apiKey)
        string(testID)
    }

    mutating func string(_ value: String?) {
        guard var value else {
            length(JournalFacts.absent)
            return
        }
        value.withUTF8 { raw(UnsafeRawBufferPointer($0)) }
    }

    /// Bytes as a field; nil as the absent field.
    mutating func raw(_ value: UnsafeRawBufferPointer?) {
        guard let value else {
            length(JournalFacts.absent)
            return
        }
        length(UInt32(truncatingIfNeeded: value.count))
        if let base = value.baseAddress, value.count > 0 {
            (out + offset).copyMemory(from: base, byteCount: value.count)
        }
        offset += value.count
    }

    mutating func count(_ value: Int) {
        length(UInt32(truncatingIfNeeded: value))
    }

    mutating func fields(_ fields: UnsafeBufferPointer<BorrowedField>) {
        count(fields.count)
        for field in fields {
            raw(field.name)
            raw(field.value)
        }
    }

    private mutating func length(_ value: UInt32) {
        out.storeBytes(of: value.littleEndian, toByteOffset: offset, as: UInt32.self)
        offset += 4
    }
}
