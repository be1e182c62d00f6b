import Foundation
import Testing

/// `--s3-endpoint` is read by the URL parser uploads use: an endpoint no upload could reach is a
/// usage error at start, not a failure on every `custom_storage` task.
@Suite("--s3-endpoint")
struct S3EndpointOptionTests {
    @Test(arguments: [
        ("http://key:secret@127.0.0.1:9000", "user information"), ("s3://bucket", "http"),
        ("http://127.0.0.1:+9000", "port"),
    ])
    func anUnusableEndpointIsAUsageError(endpoint: String, reason: String) throws {
        let process = Process()
        process.executableURL = MockProcess.binary
        process.arguments = ["--host", "127.0.0.1", "--port", "0", "--s3-endpoint", endpoint]
        let errors = Pipe()
        process.standardError = errors
        process.standardOutput = FileHandle.nullDevice
        try process.run()
        let output = String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        #expect(process.terminationStatus == 64, "\(output)")
        #expect(output.contains("--s3-endpoint \(endpoint) is not a usable URL"), "\(output)")
        #expect(output.contains(reason), "\(output)")
    }
}
