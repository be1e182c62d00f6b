import MicroHTTP

/// The request's side of a journal entry — method, path, key, test id, query and headers — in one
/// byte array: one allocation to keep, one to drop, however many fields the request had; turned
/// back into strings only when the journal is read (every poll is journaled, few are read).
///
/// Layout: method, path, key, test id as fields, then the query and the headers, each a count
/// followed by name and value fields. A field is its length (UInt32, little-endian; `absent` for
/// nil) and its bytes.
struct JournalRequestFacts: Sendable {
    private let bytes: [UInt8]
    private static let absent = UInt32.max

    var byteCount: Int { bytes.count }

    init(
        method: String, path: String, apiKey: String?, testID: String?, query: [(name: String, value: String)],
        headers: HTTPHeaders
    ) {
        var size = 4 * 6 + Self.size(method) + Self.size(path) + Self.size(apiKey) + Self.size(testID)
        for (name, value) in query { size += 8 + name.utf8.count + value.utf8.count }
        for (name, value) in headers.fields { size += 8 + name.utf8.count + value.utf8.count }
        bytes = Self.write(size: size) { writer in
            writer.string(method)
            writer.string(path)
            writer.string(apiKey)
            writer.string(testID)
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

    /// The facts of a request answered from its head (`EarlyResponder`), copied from libmicrohttpd's
    /// bytes without a string in between.
    init(
        method: String, path: String, apiKey: String?, testID: String?, query: UnsafeBufferPointer<BorrowedField>,
        headers: UnsafeBufferPointer<BorrowedField>
    ) {
        var size = 4 * 6 + Self.size(method) + Self.size(path) + Self.size(apiKey) + Self.size(testID)
        for field in query { size += 8 + field.name.count + field.value.count }
        for field in headers { size += 8 + field.name.count + field.value.count }
        bytes = Self.write(size: size) { writer in
            writer.string(method)
            writer.string(path)
            writer.string(apiKey)
            writer.string(testID)
            writer.fields(query)
            writer.fields(headers)
        }
    }

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

    private static func size(_ field: String?) -> Int {
        field?.utf8.count ?? 0
    }

    /// An array of `size` bytes filled by `fields`, which must write exactly that many.
    private static func write(size: Int, _ fields: (inout Writer) -> Void) -> [UInt8] {
        [UInt8](unsafeUninitializedCapacity: size) { buffer, initialized in
            var writer = Writer(into: UnsafeMutableRawPointer(buffer.baseAddress!))
            fields(&writer)
            precondition(writer.offset == size, "journal facts measured \(size) bytes, wrote \(writer.offset)")
            initialized = size
        }
    }

    /// Writes fields one after another at `out`.
    private struct Writer {
        let out: UnsafeMutableRawPointer
        private(set) var offset = 0

        init(into out: UnsafeMutableRawPointer) {
            self.out = out
        }

        mutating func string(_ value: String?) {
            guard var value else {
                length(absent)
                return
            }
            value.withUTF8 { raw(UnsafeRawBufferPointer($0)) }
        }

        mutating func raw(_ value: UnsafeRawBufferPointer) {
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
            guard count != JournalRequestFacts.absent else { return nil }
            let end = min(offset + Int(count), bytes.count)
            defer { offset = end }
            return String(decoding: bytes[offset..<end], as: UTF8.self)
        }

        mutating func count() -> Int { Int(length()) }

        mutating func skip(_ fields: Int) {
            for _ in 0..<fields {
                let count = length()
                if count != JournalRequestFacts.absent { offset = min(offset + Int(count), bytes.count) }
            }
        }

        mutating func pairs() -> [(name: String, value: String)] {
            (0..<count()).map { _ in (field() ?? "", field() ?? "") }
        }
    }
}
