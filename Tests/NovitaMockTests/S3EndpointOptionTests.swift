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
        let (status, output) = try StartupRefusal.run(["--s3-endpoint", endpoint])
        #expect(status == 64, "\(output)")
        #expect(output.contains("--s3-endpoint \(endpoint) is not a usable URL"), "\(output)")
        #expect(output.contains(reason), "\(output)")
    }
}
