import Foundation
import Testing

@testable import NovitaMock

@Suite("LocalObjectStore")
struct LocalObjectStoreTests {
    /// A fresh directory under the system temp dir, removed by `cleanUp`.
    static func temporaryRoot() throws -> String {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("local-store-\(UUID().uuidString)")
            .path
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        return path
    }

    @Test func writesNestedKeysCreatingDirectories() throws {
        let root = try Self.temporaryRoot()
        defer { try? FileManager.default.removeItem(atPath: root) }
        let store = LocalObjectStore(root: root + "/storage")  // the root itself does not exist yet
        let bytes: [UInt8] = [0x89, 0x50, 0x4E, 0x47, 0, 255]
        try store.put(
            bucket: "bucket", key: "path/to/task 1/ü.png", bytes: bytes, contentType: "image/png", region: "us-east-1")
        let written = try Data(contentsOf: URL(fileURLWithPath: root + "/storage/bucket/path/to/task 1/ü.png"))
        #expect([UInt8](written) == bytes)
        // The temporary file was renamed into place, not left beside it.
        #expect(
            try FileManager.default.contentsOfDirectory(atPath: root + "/storage/bucket/path/to/task 1") == ["ü.png"])
    }

    @Test func replacesAnExistingObject() throws {
        let root = try Self.temporaryRoot()
        defer { try? FileManager.default.removeItem(atPath: root) }
        let store = LocalObjectStore(root: root)
        try store.put(bucket: "b", key: "k.png", bytes: [1, 2, 3], contentType: "image/png", region: "r")
        try store.put(bucket: "b", key: "k.png", bytes: [9], contentType: "image/png", region: "r")
        #expect([UInt8](try Data(contentsOf: URL(fileURLWithPath: root + "/b/k.png"))) == [9])
    }

    @Test(arguments: [
        ("b", "../escape.png"), ("b", "a/../../escape.png"), ("b", "a/.."), ("b", "/etc/passwd"), ("b", "./a.png"),
        ("b", "a//b.png"), ("b", ""), ("..", "k.png"), ("", "k.png"), ("a/b", "k.png"), (".", "k.png"),
        ("b", "nul\u{0}.png"),
    ])
    func keysThatWouldEscapeTheRootAreRefused(bucket: String, key: String) throws {
        let root = try Self.temporaryRoot()
        defer { try? FileManager.default.removeItem(atPath: root) }
        let store = LocalObjectStore(root: root + "/inner")
        #expect(throws: StorageError.self) {
            try store.put(bucket: bucket, key: key, bytes: [1], contentType: "image/png", region: "r")
        }
        #expect(!FileManager.default.fileExists(atPath: root + "/escape.png"))
        #expect(!FileManager.default.fileExists(atPath: root + "/inner"))
    }

    @Test func unwritableRootGivesAnActionableError() throws {
        let root = try Self.temporaryRoot()
        defer { try? FileManager.default.removeItem(atPath: root) }
        // A regular file where a directory is needed.
        _ = FileManager.default.createFile(atPath: root + "/file", contents: Data([1]))
        let error = #expect(throws: StorageError.self) {
            try LocalObjectStore(root: root + "/file").put(
                bucket: "b", key: "k.png", bytes: [1], contentType: "image/png", region: "r")
        }
        #expect(
            error?.message.hasPrefix("Could not store b/k.png under \(root)/file") == true,
            "\(String(describing: error))")
    }

    @Test func filePathJoinsRootBucketAndKey() throws {
        #expect(
            try LocalObjectStore(root: "/srv/store/").filePath(bucket: "b", key: "p/t/f.png")
                == "/srv/store/b/p/t/f.png")
        #expect(
            try LocalObjectStore(root: "./mock-storage").filePath(bucket: "b", key: "f.png") == "./mock-storage/b/f.png"
        )
    }
}
