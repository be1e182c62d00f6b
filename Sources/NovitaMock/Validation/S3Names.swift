/// The S3 naming rules the storage fields are checked against.
enum S3Names {
    /// AWS bucket naming rules: 3–63 characters of lowercase letters, digits, '.' and '-',
    /// starting and ending with a letter or digit, no "..", not an IPv4 address, none of the
    /// reserved prefixes and suffixes.
    static func isValidBucketName(_ name: String) -> Bool {
        let bytes = Array(name.utf8)
        guard (3...63).contains(bytes.count) else { return false }
        func isAlnum(_ b: UInt8) -> Bool { (0x61...0x7A).contains(b) || (0x30...0x39).contains(b) }
        guard bytes.allSatisfy({ isAlnum($0) || $0 == 0x2E || $0 == 0x2D }) else { return false }
        guard isAlnum(bytes.first!), isAlnum(bytes.last!) else { return false }
        if name.contains("..") || name.contains(".-") || name.contains("-.") { return false }
        if name.hasPrefix("xn--") || name.hasPrefix("sthree-") || name.hasSuffix("-s3alias")
            || name.hasSuffix("--ol-s3")
        {
            return false
        }
        let parts = name.split(separator: ".", omittingEmptySubsequences: false)
        if parts.count == 4 && parts.allSatisfy({ UInt8($0) != nil }) { return false }
        return true
    }

    /// A key prefix: no `..` segment, no control characters, at most 900 bytes (S3 keys are at
    /// most 1024 bytes and the task id and file name go after it).
    static func isValidPath(_ path: String) -> Bool {
        guard path.utf8.count <= 900 else { return false }
        guard !path.unicodeScalars.contains(where: { $0.value < 0x20 || $0.value == 0x7F }) else { return false }
        return !path.split(separator: "/").contains { $0 == ".." }
    }
}
