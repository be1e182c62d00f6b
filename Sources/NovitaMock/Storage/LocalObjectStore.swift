import FoundationEssentials

/// Stores objects as files `<root>/<bucket>/<key>`, for `custom_storage` with no S3 endpoint.
///
/// A key can only name a file inside the root: absolute keys and `.`, `..` or empty segments
/// are refused. Each file is written to a temporary name and renamed, so a reader never sees a
/// half-written object. `contentType` and `region` are not recorded.
struct LocalObjectStore: ObjectStore {
    /// The directory that holds one directory per bucket; created on first use.
    var root: String

    func put(bucket: String, key: String, bytes: [UInt8], contentType: String, region: String) throws(StorageError) {
        let path = try filePath(bucket: bucket, key: key)
        let directory = String(path[..<path.lastIndex(of: "/")!])
        do {
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
            // `.atomic` writes a temporary file beside the target and renames it into place.
            try Data(bytes).write(to: URL(filePath: path), options: .atomic)
        } catch {
            throw StorageError("Could not store \(bucket)/\(key) under \(root): writing \(path) failed: \(error)")
        }
    }

    /// `<root>/<bucket>/<key>`, or why the bucket and key cannot name a file inside the root.
    func filePath(bucket: String, key: String) throws(StorageError) -> String {
        guard !root.isEmpty else { throw StorageError("The local storage directory is not set") }
        guard Self.isSafeSegment(bucket) else {
            throw StorageError(
                "Bucket name \"\(bucket)\" cannot be stored locally: it must be one path segment, not \".\" or \"..\"")
        }
        guard !key.hasPrefix("/") else {
            throw StorageError("Object key \"\(key)\" is absolute; keys are relative to the bucket")
        }
        let segments = key.split(separator: "/", omittingEmptySubsequences: false)
        guard segments.allSatisfy({ Self.isSafeSegment($0) }) else {
            throw StorageError(
                "Object key \"\(key)\" cannot be stored locally: its segments must be non-empty and not \".\" or \"..\""
            )
        }
        var base = Substring(root)
        while base.count > 1 && base.hasSuffix("/") { base = base.dropLast() }
        return "\(base == "/" ? "" : base)/\(bucket)/\(key)"
    }

    private static func isSafeSegment(_ segment: some StringProtocol) -> Bool {
        !segment.isEmpty && segment != "." && segment != ".." && !segment.contains("/") && !segment.contains("\0")
    }
}
