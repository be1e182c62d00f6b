import OutboundHTTP
import Testing

@testable import NovitaMock

@Suite("S3ObjectStore without a server")
struct S3ObjectStoreTests {
    let store = S3ObjectStore(
        endpoint: "http://127.0.0.1:5000/", credentials: S3Credentials(accessKeyID: "a", secretAccessKey: "b"),
        client: OutboundHTTPClient(), timeoutMs: 2000)

    @Test func objectURLIsPathStyleWithEncodedKeySegments() {
        #expect(
            store.objectURL(bucket: "b", key: "images/task 1/ü+&.png")
                == "http://127.0.0.1:5000/b/images/task%201/%C3%BC%2B%26.png")
        #expect(store.objectURL(bucket: "my-bucket", key: "a~b_c-d.e") == "http://127.0.0.1:5000/my-bucket/a~b_c-d.e")
    }

    @Test func s3ErrorBodyBecomesCodeAndMessage() {
        let body = Array(
            """
            <?xml version="1.0" encoding="UTF-8"?>
            <Error><Code>NoSuchBucket</Code><Message>The specified bucket does not exist</Message><BucketName>b</BucketName></Error>
            """.utf8)
        #expect(
            S3ObjectStore.describe(status: 404, body: body) == "404 NoSuchBucket: The specified bucket does not exist")
        #expect(
            S3ObjectStore.describe(
                status: 403,
                body: Array("<Error><Code>AccessDenied</Code><Message>a &amp; b &lt;c&gt;</Message></Error>".utf8))
                == "403 AccessDenied: a & b <c>")
        #expect(S3ObjectStore.describe(status: 502, body: Array("<html>bad gateway</html>".utf8)) == "HTTP 502")
        #expect(S3ObjectStore.describe(status: 400, body: Array("<Error><Code>X</Code></Error>".utf8)) == "400 X")
    }

    @Test func unreachableEndpointSaysSo() throws {
        // Port 1 on loopback: nothing listens there.
        let error = #expect(throws: StorageError.self) {
            try store.with(endpoint: "http://127.0.0.1:1").put(
                bucket: "b", key: "k.png", bytes: [1], contentType: "image/png", region: "us-east-1")
        }
        let message = try #require(error?.message)
        #expect(message.hasPrefix("S3 PUT http://127.0.0.1:1/b/k.png failed: connection failed: "), "\(message)")
    }

    @Test func badBucketAndEmptyKeyAreRefusedBeforeSending() {
        #expect(throws: StorageError.self) {
            try store.put(bucket: "a/b", key: "k", bytes: [], contentType: "image/png", region: "us-east-1")
        }
        #expect(throws: StorageError.self) {
            try store.put(bucket: "b", key: "", bytes: [], contentType: "image/png", region: "us-east-1")
        }
    }
}

extension S3ObjectStore {
    func with(endpoint: String) -> S3ObjectStore {
        var copy = self
        copy.endpoint = endpoint
        return copy
    }
}
