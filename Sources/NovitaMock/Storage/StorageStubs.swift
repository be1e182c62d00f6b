// Temporary: replaced by the real storage (S3 SigV4 uploads, local writes).
import OutboundHTTP

struct StorageError: Error, Sendable, Equatable { let message: String }
protocol ObjectStore: Sendable {
    func put(bucket: String, key: String, bytes: [UInt8], contentType: String, region: String) throws(StorageError)
}
struct S3Credentials: Sendable, Equatable {
    var accessKeyID: String
    var secretAccessKey: String
    var sessionToken: String?
}
struct S3ObjectStore: ObjectStore {
    var endpoint: String
    var credentials: S3Credentials
    var client: OutboundHTTPClient
    var timeoutMs: Int
    func put(bucket: String, key: String, bytes: [UInt8], contentType: String, region: String) throws(StorageError) {
        throw StorageError(message: "not implemented")
    }
}
struct LocalObjectStore: ObjectStore {
    var root: String
    func put(bucket: String, key: String, bytes: [UInt8], contentType: String, region: String) throws(StorageError) {
        throw StorageError(message: "not implemented")
    }
}
