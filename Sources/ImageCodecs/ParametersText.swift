/// The generation-parameters text as each container stores it.
struct ParametersText {
    /// The text with NUL characters removed (they cannot live in a PNG tEXt/iTXt value).
    let text: String

    init(_ text: String) {
        self.text = text.contains("\0") ? String(text.unicodeScalars.filter { $0 != "\0" }) : text
    }

    /// The Latin-1 bytes when every character fits, else nil.
    var latin1: [UInt8]? {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(text.utf8.count)
        for scalar in text.unicodeScalars {
            guard scalar.value <= 0xFF else { return nil }
            bytes.append(UInt8(scalar.value))
        }
        return bytes
    }

    var isASCII: Bool { text.utf8.allSatisfy { $0 < 0x80 } }
}
