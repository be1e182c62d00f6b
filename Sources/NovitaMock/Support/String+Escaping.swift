extension String {
    /// The string with each character found in `table` replaced by its entry (XML entities,
    /// Prometheus label escapes …).
    func escaping(_ table: [Character: String]) -> String {
        var out = ""
        out.reserveCapacity(utf8.count)
        for character in self {
            if let replacement = table[character] {
                out += replacement
            } else {
                out.append(character)
            }
        }
        return out
    }

    static let xmlEscapes: [Character: String] = ["&": "&amp;", "<": "&lt;", ">": "&gt;"]
    static let prometheusLabelEscapes: [Character: String] = ["\\": "\\\\", "\"": "\\\"", "\n": "\\n"]
}
