extension JSONWriter {
    /// Serialises `value` indented by two spaces per level, one key or element a line, keys in
    /// their stored order: cassettes are files people read in a review, and the same value
    /// always gives the same text.
    static func pretty(_ value: JSONValue) -> [UInt8] {
        var out: [UInt8] = []
        writePretty(value, indent: 0, into: &out)
        out.append(0x0A)
        return out
    }

    private static func writePretty(_ value: JSONValue, indent: Int, into out: inout [UInt8]) {
        func newline(_ level: Int) {
            out.append(0x0A)
            out.append(contentsOf: repeatElement(UInt8(ascii: " "), count: level * 2))
        }
        switch value {
        case .array(let elements) where !elements.isEmpty:
            out.append(UInt8(ascii: "["))
            for (index, element) in elements.enumerated() {
                if index > 0 { out.append(UInt8(ascii: ",")) }
                newline(indent + 1)
                writePretty(element, indent: indent + 1, into: &out)
            }
            newline(indent)
            out.append(UInt8(ascii: "]"))
        case .object(let object) where !object.isEmpty:
            out.append(UInt8(ascii: "{"))
            for (index, entry) in object.entries.enumerated() {
                if index > 0 { out.append(UInt8(ascii: ",")) }
                newline(indent + 1)
                writeString(entry.key, into: &out)
                out.append(contentsOf: Array(": ".utf8))
                writePretty(entry.value, indent: indent + 1, into: &out)
            }
            newline(indent)
            out.append(UInt8(ascii: "}"))
        default:
            write(value, into: &out)
        }
    }
}
