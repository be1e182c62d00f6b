import Foundation
import OutboundHTTP
import Testing

@testable import NovitaMock

/// Uploads through `S3ObjectStore` to a real moto server, read back with boto3.
@Suite("S3ObjectStore against moto_server", .motoServer())
struct S3ObjectStoreMotoTests {
    static func uniqueBucket(_ prefix: String) -> String {
        "\(prefix)-\(UUID().uuidString.lowercased().prefix(8))"
    }

    func store(_ moto: MotoServer) -> S3ObjectStore {
        S3ObjectStore(
            endpoint: moto.endpoint + "/", credentials: moto.credentials, client: OutboundHTTPClient(),
            timeoutMs: 20_000)
    }

    @Test func uploadedObjectsReadBackByteExactWithContentType() throws {
        let moto = try MotoServer.required()
        let bucket = Self.uniqueBucket("images")
        try moto.createBucket(bucket)
        let objects: [(key: String, type: String, bytes: [UInt8])] = [
            ("images/task-1/out_0.png", "image/png", [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A, 0, 1, 2, 255]),
            ("my path/tâche ünïcødé ✓/photo 1.jpeg", "image/jpeg", Array("jpeg bytes \u{0}\u{1}".utf8)),
            ("odd/chars-_.~!$'()*,;=@&+[]/x.webp", "image/webp", [1, 2, 3]),
        ]
        for object in objects {
            try store(moto).put(
                bucket: bucket, key: object.key, bytes: object.bytes, contentType: object.type, region: "us-east-1")
        }
        for object in objects {
            let stored = try moto.getObjectWithBoto3(bucket: bucket, key: object.key)
            #expect(stored.bytes == object.bytes, "\(object.key)")
            #expect(stored.contentType == object.type, "\(object.key)")
        }
    }

    @Test func twoMegabyteBinaryRoundTrips() throws {
        let moto = try MotoServer.required()
        let bucket = Self.uniqueBucket("large")
        try moto.createBucket(bucket)
        var generator = SystemRandomNumberGenerator()
        let bytes = (0..<(2 * 1024 * 1024)).map { _ in UInt8.random(in: 0...255, using: &generator) }
        try store(moto).put(
            bucket: bucket, key: "big/image.png", bytes: bytes, contentType: "image/png", region: "us-east-1")
        let stored = try moto.getObjectWithBoto3(bucket: bucket, key: "big/image.png")
        #expect(stored.bytes.count == bytes.count)
        #expect(stored.bytes == bytes)
    }

    @Test func secondPutReplacesTheObject() throws {
        let moto = try MotoServer.required()
        let bucket = Self.uniqueBucket("replace")
        try moto.createBucket(bucket)
        try store(moto).put(bucket: bucket, key: "k.png", bytes: [1], contentType: "image/png", region: "us-east-1")
        try store(moto).put(
            bucket: bucket, key: "k.png", bytes: [2, 2], contentType: "image/webp", region: "us-east-1")
        let stored = try moto.getObjectWithBoto3(bucket: bucket, key: "k.png")
        #expect(stored.bytes == [2, 2])
        #expect(stored.contentType == "image/webp")
    }

    @Test func missingBucketNamesNoSuchBucket() throws {
        let moto = try MotoServer.required()
        let bucket = Self.uniqueBucket("absent")
        let error = #expect(throws: StorageError.self) {
            try store(moto).put(
                bucket: bucket, key: "a/b.png", bytes: [1], contentType: "image/png", region: "us-east-1")
        }
        let message = try #require(error?.message)
        #expect(message.hasPrefix("S3 PUT \(moto.endpoint)/\(bucket)/a/b.png failed: 404 NoSuchBucket: "), "\(message)")
        #expect(message.contains("bucket does not exist"), "\(message)")
    }
}

/// moto checking every SigV4 signature (with botocore) against an IAM user's keys.
@Suite("S3ObjectStore against moto_server verifying signatures", .motoServer(verifySignatures: true))
struct S3ObjectStoreSignedMotoTests {
    func store(_ moto: MotoServer, credentials: S3Credentials) -> S3ObjectStore {
        S3ObjectStore(
            endpoint: moto.endpoint, credentials: credentials, client: OutboundHTTPClient(), timeoutMs: 20_000)
    }

    @Test func correctlySignedUploadIsAccepted() throws {
        let moto = try MotoServer.required()
        let bucket = S3ObjectStoreMotoTests.uniqueBucket("signed")
        try moto.createBucket(bucket)
        let bytes = Array("signed upload".utf8)
        // moto rebuilds the signed path from its decoded form, so only plain keys verify there.
        try store(moto, credentials: moto.credentials)
            .put(
                bucket: bucket, key: "outputs/task-42/image_0.png", bytes: bytes, contentType: "image/png",
                region: "us-east-1")
        let stored = try moto.getObjectWithBoto3(bucket: bucket, key: "outputs/task-42/image_0.png")
        #expect(stored.bytes == bytes)
        #expect(stored.contentType == "image/png")
    }

    @Test func wrongSecretIsSignatureDoesNotMatch() throws {
        let moto = try MotoServer.required()
        let bucket = S3ObjectStoreMotoTests.uniqueBucket("badsig")
        try moto.createBucket(bucket)
        var wrong = moto.credentials
        wrong.secretAccessKey = "not-the-secret"
        let error = #expect(throws: StorageError.self) {
            try store(moto, credentials: wrong).put(
                bucket: bucket, key: "k.png", bytes: [1], contentType: "image/png", region: "us-east-1")
        }
        #expect(error?.message.contains("403 SignatureDoesNotMatch") == true, "\(String(describing: error))")
    }

    @Test func unknownAccessKeyIsInvalidAccessKeyId() throws {
        let moto = try MotoServer.required()
        let bucket = S3ObjectStoreMotoTests.uniqueBucket("badkey")
        try moto.createBucket(bucket)
        let unknown = S3Credentials(accessKeyID: "AKIAUNKNOWNKEY000000", secretAccessKey: "x")
        let error = #expect(throws: StorageError.self) {
            try store(moto, credentials: unknown).put(
                bucket: bucket, key: "k.png", bytes: [1], contentType: "image/png", region: "us-east-1")
        }
        #expect(error?.message.contains("403 InvalidAccessKeyId") == true, "\(String(describing: error))")
    }
}
