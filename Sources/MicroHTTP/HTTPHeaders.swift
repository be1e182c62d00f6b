/// An ordered list of header fields with case-insensitive lookup, as HTTP/1.1 defines names.
public struct HTTPHeaders: Sendable, Equatable, Sequence, ExpressibleByDictionaryLiteral {
    public private(set) var fields: [(name: String, value: String)]

    public init(_ fields: [(String, String)] = []) {
        self.fields = fields.map { (name: $0.0, value: $0.1) }
    }

    /// Takes the fields as they are (no copy).
    init(fields: [(name: String, value: String)]) {
        self.fields = fields
    }

    public init(dictionaryLiteral elements: (String, String)...) {
        self.init(elements)
    }

    /// The first value of the field `name` (any case), or nil.
    public subscript(name: String) -> String? {
        // The name as written first: most clients send the canonical case, and comparing short
        // strings exactly is a few instructions; then any case.
        for field in fields where field.name == name { return field.value }
        return fields.first { Self.namesMatch($0.name, name) }?.value
    }

    /// Every value of the field `name` (any case), in order.
    public func values(for name: String) -> [String] {
        fields.filter { Self.namesMatch($0.name, name) }.map(\.value)
    }

    /// Appends a field, keeping any earlier field of the same name.
    public mutating func add(_ name: String, _ value: String) {
        fields.append((name: name, value: value))
    }

    /// Replaces every field named `name` with one field.
    public mutating func set(_ name: String, _ value: String) {
        remove(name)
        fields.append((name: name, value: value))
    }

    public mutating func remove(_ name: String) {
        fields.removeAll { Self.namesMatch($0.name, name) }
    }

    /// Field names compared ASCII case-insensitively, byte by byte: names are tokens, and a
    /// lookup runs several times per request, so it must not allocate lowercased copies.
    static func namesMatch(_ left: String, _ right: String) -> Bool {
        guard left.utf8.count == right.utf8.count else { return false }
        // Native strings (all of a request's): compare their UTF-8 in place.
        let direct = left.utf8.withContiguousStorageIfAvailable { a in
            right.utf8.withContiguousStorageIfAvailable { b in
                for index in 0..<a.count where Self.lowercaseASCII(a[index]) != Self.lowercaseASCII(b[index]) {
                    return false
                }
                return true
            }
        }
        if let direct, let result = direct { return result }
        return left.utf8.elementsEqual(right.utf8) { Self.lowercaseASCII($0) == Self.lowercaseASCII($1) }
    }

    private static func lowercaseASCII(_ byte: UInt8) -> UInt8 {
        byte >= 0x41 && byte <= 0x5A ? byte | 0x20 : byte
    }

    public func makeIterator() -> IndexingIterator<[(name: String, value: String)]> {
        fields.makeIterator()
    }

    public static func == (lhs: HTTPHeaders, rhs: HTTPHeaders) -> Bool {
        lhs.fields.elementsEqual(rhs.fields) { $0.name == $1.name && $0.value == $1.value }
    }
}
