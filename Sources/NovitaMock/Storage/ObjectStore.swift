/// Where `custom_storage` images go: an S3-compatible server or a local directory.
///
/// `put` blocks until the object is stored, so callers run it off the request path.
protocol ObjectStore: Sendable {
    /// Stores `bytes` as `<bucket>/<key>`, replacing any object already there.
    ///
    /// - Parameters:
    ///   - key: `/`-separated, without a leading `/`.
    ///   - region: the bucket's region; signs S3 requests, ignored locally.
    func put(bucket: String, key: String, bytes: [UInt8], contentType: String, region: String) throws(StorageError)
}
