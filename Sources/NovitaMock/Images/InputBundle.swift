/// Several input images kept as one stored input (inpainting's image and mask, instant-id's face
/// and reference pictures): the `InputImageStore` holds one blob per task, content-addressed and
/// persisted with `--state-dir`, so a task with many inputs keeps them in one framed blob.
///
/// Layout: the magic `NMIB1\n`, then per image its field name (UInt16 little-endian length,
/// UTF-8) and its file bytes (UInt32 little-endian length). A blob without the magic is a single
/// image file (what tasks with one input store).
enum InputBundle {
    static let magic: [UInt8] = Array("NMIB1\n".utf8)

    static func encode(_ images: [(name: String, bytes: [UInt8])]) -> [UInt8] {
        var out = magic
        out.reserveCapacity(magic.count + images.reduce(0) { $0 + 6 + $1.name.utf8.count + $1.bytes.count })
        for (name, bytes) in images {
            let nameBytes = Array(name.utf8)
            append(UInt64(nameBytes.count), bytes: 2, to: &out)
            out += nameBytes
            append(UInt64(bytes.count), bytes: 4, to: &out)
            out += bytes
        }
        return out
    }

    /// The named images of a bundle; nil when `blob` is not one (or is cut short).
    static func decode(_ blob: [UInt8]) -> [(name: String, bytes: [UInt8])]? {
        guard blob.count >= magic.count, blob[0..<magic.count].elementsEqual(magic) else { return nil }
        var offset = magic.count
        var images: [(name: String, bytes: [UInt8])] = []
        func read(_ count: Int) -> Int? {
            guard offset + count <= blob.count else { return nil }
            var value = 0
            for i in 0..<count { value |= Int(blob[offset + i]) << (8 * i) }
            offset += count
            return value
        }
        while offset < blob.count {
            guard let nameLength = read(2), offset + nameLength <= blob.count else { return nil }
            let name = String(decoding: blob[offset..<offset + nameLength], as: UTF8.self)
            offset += nameLength
            guard let length = read(4), offset + length <= blob.count else { return nil }
            images.append((name, Array(blob[offset..<offset + length])))
            offset += length
        }
        return images
    }

    private static func append(_ value: UInt64, bytes: Int, to out: inout [UInt8]) {
        for i in 0..<bytes { out.append(UInt8(truncatingIfNeeded: value >> (8 * UInt64(i)))) }
    }
}
