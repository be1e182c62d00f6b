extension StringProtocol {
    /// The text without leading and trailing spaces and tabs: HTTP's optional whitespace around
    /// header values, and the blanks around list items in flags and query parameters.
    ///
    /// The project's one trimmer, for the server, the outbound client and the mock alike. It
    /// walks UTF-8 bytes, not Characters: it runs on request paths.
    public var trimmingSpaces: String {
        let bytes = utf8
        func isBlank(_ byte: UInt8) -> Bool { byte == 0x20 || byte == 0x09 }
        guard let first = bytes.firstIndex(where: { !isBlank($0) }) else { return "" }
        // One forward pass: a generic StringProtocol's UTF-8 view only walks forward.
        var end = bytes.index(after: first)
        var index = end
        while index != bytes.endIndex {
            let next = bytes.index(after: index)
            if !isBlank(bytes[index]) { end = next }
            index = next
        }
        return String(decoding: bytes[first..<end], as: UTF8.self)
    }
}
