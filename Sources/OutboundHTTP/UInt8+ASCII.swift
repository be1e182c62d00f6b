extension UInt8 {
    /// `0`…`9`.
    var isASCIIDigit: Bool { self >= 0x30 && self <= 0x39 }

    /// `0`…`9`, `a`…`f`, `A`…`F`.
    var isASCIIHexDigit: Bool { isASCIIDigit || (self | 0x20 >= 0x61 && self | 0x20 <= 0x66) }
}
